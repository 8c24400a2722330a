package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.platform.EnrollmentArtifact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * {@code /mdm/<plugin>/ade/enroll}: where a device Apple Business or School Manager assigned to this server asks for
 * its enrollment profile during Setup Assistant, the {@code url} of the ADE profile ({@link AdeServerTokenEndpoint}).
 *
 * <p>The request, from Apple's
 * <a href="https://developer.apple.com/documentation/devicemanagement/machineinfo">MachineInfo</a>: a POST of
 * {@code application/pkcs7-signature}, an attached CMS SignedData over a plist with {@code UDID}, {@code SERIAL},
 * {@code PRODUCT}, {@code VERSION} (and {@code LANGUAGE}, {@code IMEI} …), signed by the device's identity certificate,
 * carried with its intermediates; "the certificate chain should validate against the Apple Root CA". The signature
 * must verify and its certificate chain
 * to a trust anchor of plugin setting {@code adeDeviceCaFile} (a PEM file): in production Apple's root certificate
 * ("Apple Root CA", published at <a href="https://www.apple.com/certificateauthority/">Apple PKI</a>), under which
 * Apple's iPhone device CA issues the device identities; in tests a test CA standing in for it. Without that setting
 * the route answers 404: nothing unverified enrolls.
 *
 * <p>Only a serial number a device sync registered ({@link AdeDeviceSync#assignedToken}: assigned to this server by a
 * token still here), whose record is still PENDING on this plugin's platform, gets a profile: corporate, its SCEP
 * challenge bound to that serial number and UDID, so the device's Authenticate claims the record
 * ({@link AppleMdmEndpoint}). Supervision, removability and {@code await_device_configured} are the ADE profile's,
 * which Apple's cloud configuration gives the device; the MDM profile is the same as for every corporate device.
 * Every refusal is a 4xx problem: unsigned or malformed 400, mis-signed, untrusted or unknown 403.
 */
public abstract class AdeEnrollment implements DeviceEndpoint {

    /** Below the plugin's mount: the {@code url} of the ADE profiles this plugin defines. */
    public static final String PATH = "/ade/enroll";
    /** Plugin setting naming the PEM file of the trust anchors of device identities (Apple's root in production). */
    public static final String DEVICE_CA_SETTING = "adeDeviceCaFile";
    private static final String SIGNED_CONTENT = "application/pkcs7-signature";
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final Pattern FACT = Pattern.compile("[A-Za-z0-9._,:+ -]{1,128}");
    private static final Logger log = LoggerFactory.getLogger(AdeEnrollment.class);

    private final DeviceRegistry registry;
    private final AdeServerTokens tokens;
    private final AdeDeviceSync sync;
    private final PluginConfig config;
    private final PluginIdentity identity;
    private final ServerAddress address;
    private final Platform platform;
    private final EnrollmentProfiles profiles;
    private final Clock clock;
    private final Plists.Reader plists = new Plists.Reader(2);

    protected AdeEnrollment(DeviceRegistry registry, AdeServerTokens tokens, GroupDirectory groups, PluginStorage storage,
                            CertificateAuthority authority, ServerSigner signer, PluginConfig config, PluginIdentity identity,
                            PushCertificates pushCertificates, ServerAddress address, Clock clock, Platform platform, SettingProfiles.Os os) {
        this.registry = requireNonNull(registry, "registry is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.sync = new AdeDeviceSync(tokens, registry, groups, storage, config, platform);
        this.config = requireNonNull(config, "config is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.address = requireNonNull(address, "address is null");
        this.platform = requireNonNull(platform, "platform is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.profiles = new EnrollmentProfiles(authority, signer, config, identity, pushCertificates, os, clock);
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public int maxBodyBytes() {
        return MAX_BODY_BYTES;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.path().equals(PATH)) {
            return DeviceResponse.problem(404, "Not found", "ADE devices ask for their profile at " + identity.devicePath() + PATH);
        }
        if (!request.method().equals("POST")) {
            return DeviceResponse.problem(405, "Method not allowed", "The profile request is a POST").withHeader("Allow", "POST");
        }
        Optional<Set<TrustAnchor>> anchors = anchors();
        if (anchors.isEmpty()) {
            return DeviceResponse.problem(404, "Not found", "Automated Device Enrollment is not set up on this server");
        }
        if (!request.header("Content-Type").map(type -> type.toLowerCase(Locale.ROOT).startsWith(SIGNED_CONTENT)).orElse(false)) {
            return DeviceResponse.problem(415, "Unsupported media type", "The profile request is a CMS-signed MachineInfo plist, " + SIGNED_CONTENT);
        }
        SignedDeviceRequest signed;
        try {
            signed = SignedDeviceRequest.read(request.body(), plists);
        } catch (SignedDeviceRequest.BadSignature e) {
            return DeviceResponse.problem(403, "Untrusted device", e.getMessage());
        } catch (IllegalArgumentException | PlistException e) {
            return DeviceResponse.problem(400, "Malformed MachineInfo request", e.getMessage());
        }
        try {
            signed.requireChainTo(anchors.get(), clock.instant());
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(403, "Untrusted device", e.getMessage());
        }
        NSDictionary facts = signed.facts();
        Optional<String> udid = fact(facts, "UDID");
        Optional<String> serial = fact(facts, "SERIAL");
        if (udid.isEmpty() || serial.isEmpty() || fact(facts, "PRODUCT").isEmpty() || fact(facts, "VERSION").isEmpty()) {
            return DeviceResponse.problem(400, "Malformed MachineInfo", "MachineInfo names the device's UDID, SERIAL, PRODUCT and VERSION");
        }
        Optional<String> token = sync.assignedToken(serial.get()).filter(name -> tokens.status(name).isPresent());
        Optional<Device> pending = registry.findByHardwareId(platform, AdeDeviceSync.SERIAL, serial.get())
                .filter(device -> device.status() == DeviceStatus.PENDING && device.ownership() == Ownership.CORPORATE);
        if (token.isEmpty() || pending.isEmpty()) {
            log.warn("ADE profile refused to {} device {}: not assigned to this server, or already enrolled", platform.id(), serial.get());
            return DeviceResponse.problem(403, "Enrollment refused", "Device " + serial.get()
                    + " is not assigned to this server in Apple Business Manager, or is already enrolled");
        }
        // Apple's cloud configuration holds the device in Setup Assistant when its profile awaits configuration; the
        // identity says so, so that the device is released once configured (AdeAwaitConfiguration). The device joins
        // the group of its ADE profile now, so what is assigned to that group is there at its first check-in.
        boolean awaitsConfiguration = sync.enrolling(token.get(), serial.get())
                .map(AdeProfiles.Profile::awaitsConfiguration).orElse(false);
        EnrollmentArtifact profile = profiles.adeArtifact(address.publicUrl(), serial.get(), udid.get(), awaitsConfiguration);
        log.info("ADE profile for {} device {} ({} {}), token {}", platform.id(), serial.get(), fact(facts, "PRODUCT").get(),
                fact(facts, "VERSION").get(), token.get());
        return DeviceResponse.of(200, profile.contentType(), profile.content()).withHeader("Cache-Control", "no-store");
    }

    /** The trust anchors of plugin setting {@value #DEVICE_CA_SETTING}; empty when unset or unreadable. */
    private Optional<Set<TrustAnchor>> anchors() {
        Optional<String> file = config.get(DEVICE_CA_SETTING);
        if (file.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(Path.of(file.get()))) {
            Set<TrustAnchor> anchors = new LinkedHashSet<>();
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                anchors.add(new TrustAnchor((X509Certificate) certificate, null));
            }
            return anchors.isEmpty() ? Optional.empty() : Optional.of(Set.copyOf(anchors));
        } catch (IOException | CertificateException | RuntimeException e) {
            log.error("Plugin setting {} of {} is not a readable PEM file of certificates: {}", DEVICE_CA_SETTING, identity.id(), e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<String> fact(NSDictionary facts, String key) {
        return Optional.ofNullable(Plists.string(facts, key)).filter(value -> FACT.matcher(value).matches());
    }
}
