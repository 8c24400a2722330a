package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.device.PluginDeviceRegistry;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.server.Kernel;
import dev.shepherd.storage.PluginKeyValueStore;
import dev.shepherd.testing.TestKernel;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static java.util.Objects.requireNonNull;

/**
 * Enrolls many simulated iPhones without SCEP and without their Authenticate messages, for tests that need a fleet
 * quickly: each device gets a certificate of its own from the kernel CA (for one RSA key the fleet shares, since
 * generating thousands of keys is what makes SCEP slow), and then exactly the kernel calls the Apple plugin makes when a
 * device authenticates ({@code AppleMdmEndpoint.authenticate}): the enrollment with the token the certificate was
 * issued for, the certificate bound to the device at the CA, the plugin's binding of the certificate to the UDID, and
 * the enrollment kind in the inventory. The devices then speak for themselves, signed by their own certificates.
 */
public final class PreEnrolledAppleDevices {

    /** A device as enrolled: its UDID and its identity certificate (whose key is {@link #keys()}). */
    public record Member(String udid, X509Certificate certificate) {
        public Member {
            requireNonNull(udid, "udid is null");
            requireNonNull(certificate, "certificate is null");
        }
    }

    private final Kernel kernel;
    private final PluginKeyValueStore pluginStore;
    private final String pluginId;
    private final KeyPair keys;
    private final Optional<String> pushTopic;
    private final byte[] certificationRequest;

    /**
     * @param kernel the kernel over the store the servers will use
     * @param pluginStore the kernel's plugin storage over that store
     * @param pluginId the Apple plugin the devices are enrolled with, such as {@code apple-ios}
     */
    public PreEnrolledAppleDevices(Kernel kernel, PluginKeyValueStore pluginStore, String pluginId) throws Exception {
        this(kernel, pluginStore, pluginId, rsa2048(), Optional.empty());
    }

    /**
     * @param kernel the kernel over the store the servers will use
     * @param pluginStore the kernel's plugin storage over that store
     * @param pluginId the Apple plugin the devices are enrolled with, such as {@code apple-ios}
     * @param keys the key pair the whole fleet signs with: RSA, as SCEP gives devices, or EC P-256, as ACME does
     * @param pushTopic when present, each device also gets what its TokenUpdate would store (a push token from
     *        {@link #pushToken}, a push magic and this topic), so the plugin wakes it over APNs when a command is queued
     */
    public PreEnrolledAppleDevices(Kernel kernel, PluginKeyValueStore pluginStore, String pluginId, KeyPair keys,
                                   Optional<String> pushTopic) throws Exception {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.pluginStore = requireNonNull(pluginStore, "pluginStore is null");
        this.pluginId = requireNonNull(pluginId, "pluginId is null");
        this.keys = requireNonNull(keys, "keys is null");
        this.pushTopic = requireNonNull(pushTopic, "pushTopic is null");
        // The CA names the certificate itself (serial and bindings), so one request serves every device.
        String signatureAlgorithm = keys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        this.certificationRequest = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=Shepherd simulated fleet"), keys.getPublic())
                .build(new JcaContentSignerBuilder(signatureAlgorithm).build(keys.getPrivate())).getEncoded();
    }

    private static KeyPair rsa2048() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    /**
     * The push token of a device enrolled with a push topic: 32 bytes derived from its UDID, so a load generator
     * knows which device a push (to {@code /3/device/<token in hex>}) wakes without keeping a table.
     */
    public static byte[] pushToken(String udid) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(udid.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key pair every device of the fleet signs with. */
    public KeyPair keys() {
        return keys;
    }

    /**
     * Enrolls the devices, {@code threads} at a time.
     *
     * @return the enrolled devices, in the order of {@code udids}
     */
    public List<Member> enroll(List<String> udids, int threads) throws Exception {
        // Several tokens, as several enrollment links would be: every enrollment counts a use on its token's row, so
        // one token for the whole fleet would make the enrollments wait for each other.
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < threads * 4; i++) {
            tokens.add(kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("simulated fleet " + i, Ownership.CORPORATE,
                    Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(),
                    kernel.clock().instant().plus(Duration.ofDays(1)))).secret());
        }
        DeviceRegistry registry = new PluginDeviceRegistry(pluginId, kernel.devices(), kernel.enrollmentTokens(), kernel.recoveryKeys());
        DeviceBindings bindings = new DeviceBindings(new StoreOfPlugin(pluginStore, pluginId));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Member>> enrolling = new ArrayList<>();
            for (int i = 0; i < udids.size(); i++) {
                String udid = udids.get(i);
                String token = tokens.get(i % tokens.size());
                enrolling.add(pool.submit(() -> enrollOne(udid, token, registry, bindings)));
            }
            List<Member> members = new ArrayList<>();
            for (Future<Member> member : enrolling) {
                members.add(member.get());
            }
            return members;
        } finally {
            pool.shutdown();
        }
    }

    private Member enrollOne(String udid, String token, DeviceRegistry registry, DeviceBindings bindings) {
        // As SCEP issues it for a challenge bound to the enrollment token.
        X509Certificate certificate = kernel.certificateAuthority().sign(certificationRequest, Duration.ofDays(365),
                Map.of("enrollmentToken", token));
        IssuedCertificate issued = kernel.certificateAuthority().verify(List.of(certificate)).orElseThrow();
        // As at Authenticate: the same claim the plugin builds from the message, the same calls after it.
        Device device = registry.enroll(new EnrollmentClaim(Optional.of(token), Platform.IOS, EnrollmentMethod.LINK,
                Map.of("udid", udid), "SIM" + udid.substring(0, Math.min(8, udid.length())), "iPhone16,2", "17.5.1", "Simulated iPhone"));
        kernel.certificateAuthority().bindToDevice(issued.serialNumber(), device.id());
        bindings.bind(issued.serialNumber(), new DeviceBindings.Binding(udid, device.id(), DeviceBindings.storageKey(device)));
        registry.recordInventory(device.id(), Map.of(AppleMdmEndpoint.ENROLLMENT_INVENTORY_KEY, "device"));
        if (pushTopic.isPresent()) {
            // As at TokenUpdate: the token as base64, the magic and the topic as text, under the device's key.
            String key = DeviceBindings.storageKey(device);
            pluginStore.put(pluginId, ApnsPusher.tokenKey(key), Base64.getEncoder().encodeToString(pushToken(udid)).getBytes(StandardCharsets.UTF_8));
            pluginStore.put(pluginId, ApnsPusher.magicKey(key), UUID.nameUUIDFromBytes(pushToken(udid)).toString().getBytes(StandardCharsets.UTF_8));
            pluginStore.put(pluginId, "push-topic/" + key, pushTopic.get().getBytes(StandardCharsets.UTF_8));
        }
        return new Member(udid, certificate);
    }

    /** The plugin's view of the kernel's plugin storage, as the plugin host gives it to the plugin. */
    private record StoreOfPlugin(PluginKeyValueStore store, String pluginId) implements PluginStorage {
        @Override
        public Optional<byte[]> get(String key) {
            return store.get(pluginId, key);
        }

        @Override
        public void put(String key, byte[] value) {
            store.put(pluginId, key, value);
        }

        @Override
        public boolean delete(String key) {
            return store.delete(pluginId, key);
        }

        @Override
        public List<String> keys(String prefix) {
            return store.keys(pluginId, prefix);
        }
    }
}
