package dev.shepherd.apple;

import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.api.pki.ServerSigner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Renews device identity certificates before they expire, the standard way: when a device checks in with a
 * certificate within {@code identityRenewalDays} (30 by default) of its expiry, it is sent an InstallProfile of a fresh
 * enrollment profile (a SCEP payload with a new one-time challenge, and the MDM payload with the same topic and
 * server URL), which replaces its enrollment profile. The challenge is bound to the device and the certificate being
 * replaced, so the certificate it yields speaks for that device alone: the device's next message signed with it
 * re-binds the device, and the old certificate is revoked then, once the new one is in use.
 *
 * <p>Devices under user enrollment are not renewed this way (their profile names the Managed Apple Account, which the
 * plugin does not keep); they enroll again.
 */
final class IdentityRenewal {

    /** The CA binding naming the kernel device a renewal certificate is for. */
    static final String DEVICE_BINDING = "deviceId";
    /** The CA binding naming the device key (UDID) the renewal certificate must speak as. */
    static final String DEVICE_KEY_BINDING = "renewsDeviceKey";
    /** The CA binding naming the certificate a renewal certificate replaces. */
    static final String RENEWS_BINDING = "renewsCertificate";
    /** How long a sent renewal is waited for before it is sent again. */
    static final Duration RETRY_AFTER = Duration.ofDays(1);
    private static final Duration CHALLENGE_VALIDITY = Duration.ofDays(7);
    private static final Logger log = LoggerFactory.getLogger(IdentityRenewal.class);

    private final CertificateAuthority authority;
    private final ServerSigner signer;
    private final ServerAddress address;
    private final PluginIdentity identity;
    private final PluginStorage storage;
    private final PluginConfig config;
    private final Clock clock;
    private final Duration window;

    /**
     * @throws IllegalArgumentException when {@code identityRenewalDays} is not a whole number of days from 1 to 300
     */
    IdentityRenewal(CertificateAuthority authority, ServerSigner signer, ServerAddress address, PluginIdentity identity,
                    PluginStorage storage, PluginConfig config, Clock clock) {
        this.authority = requireNonNull(authority, "authority is null");
        this.signer = requireNonNull(signer, "signer is null");
        this.address = requireNonNull(address, "address is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        String days = config.get("identityRenewalDays", "30");
        try {
            int value = Integer.parseInt(days.trim());
            if (value < 1 || value > 300) {
                throw new NumberFormatException();
            }
            this.window = Duration.ofDays(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("identityRenewalDays must be a whole number of days from 1 to 300, not '" + days + "'");
        }
    }

    /**
     * The InstallProfile to send before anything else, when the certificate is due for renewal and no renewal for it
     * is in flight.
     *
     * @param certificate the certificate the device just spoke with
     * @param device the device
     * @param deviceKey the UDID its messages name
     * @param storageKey where its state is kept (its push topic among it)
     */
    Optional<NSDictionary> due(IssuedCertificate certificate, Device device, String deviceKey, String storageKey) {
        Instant now = clock.instant();
        if (!nearExpiry(certificate) || deviceKey.startsWith("EnrollmentID:")) {
            return Optional.empty();
        }
        String pendingKey = pendingKey(certificate.serialNumber());
        Optional<Instant> sent = storage.get(pendingKey).map(bytes -> Instant.parse(new String(bytes, StandardCharsets.UTF_8)));
        if (sent.isPresent() && sent.get().plus(RETRY_AFTER).isAfter(now)) {
            return Optional.empty();
        }
        String serverUrl = address.publicUrl();
        Optional<String> topic = storage.get("push-topic/" + storageKey).map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                .or(() -> config.get("topic"));
        if (!serverUrl.startsWith("https://") || topic.isEmpty()) {
            log.warn("The identity certificate of device {} expires at {} but cannot be renewed: {}", device.id(), certificate.notAfter(),
                    topic.isEmpty() ? "its push topic is unknown" : "the server's public URL is not https");
            return Optional.empty();
        }
        String challenge = authority.newChallenge(CHALLENGE_VALIDITY, Map.of(DEVICE_BINDING, device.id().toString(),
                DEVICE_KEY_BINDING, deviceKey, RENEWS_BINDING, certificate.serialNumber()));
        List<X509Certificate> chain = signer.chain();
        X509Certificate root = chain.get(chain.size() - 1);
        Optional<X509Certificate> selfSigned = root.getSubjectX500Principal().equals(root.getIssuerX500Principal())
                ? Optional.of(root) : Optional.empty();
        // A device enrolled by account-driven device enrollment keeps its assigned account and EnrollmentMode ADDE.
        Optional<String> assignedAccount = storage.get(assignedAccountKey(storageKey)).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        EnrollmentProfile profile = new EnrollmentProfile(serverUrl, identity.devicePath(), authority.scepPath(), challenge,
                authority.certificate(), selfSigned, topic.get(), config.get("organization", "Shepherd"),
                device.ownership() == Ownership.PERSONAL, List.of(), Optional.empty(),
                device.ownership() == Ownership.PERSONAL ? Optional.empty() : assignedAccount);
        NSDictionary request = new NSDictionary();
        request.put("RequestType", "InstallProfile");
        request.put("Payload", new NSData(signer.signAttached(Plists.xml(profile.toPlist()))));
        NSDictionary command = new NSDictionary();
        UUID commandUuid = UUID.randomUUID();
        command.put("CommandUUID", commandUuid.toString());
        command.put("Command", request);
        storage.put(pendingKey, now.toString().getBytes(StandardCharsets.UTF_8));
        // The answer is the plugin's, not the command bus's: it is recognised by this key.
        storage.put(commandKey(commandUuid), certificate.serialNumber().getBytes(StandardCharsets.UTF_8));
        log.info("The identity certificate {} of device {} expires at {}: sending a renewal profile", certificate.serialNumber(),
                device.id(), certificate.notAfter());
        return Optional.of(command);
    }

    /** @return whether the certificate is within the renewal window of its expiry */
    boolean nearExpiry(IssuedCertificate certificate) {
        return !certificate.notAfter().minus(window).isAfter(clock.instant());
    }

    /**
     * Takes the answer to a command, if it was a renewal profile; a refused one is sent again after {@link #RETRY_AFTER}.
     * Asked only about a command the kernel does not hold for the device: a renewal profile is the plugin's own.
     *
     * @return whether the command was a renewal profile
     */
    boolean answered(UUID commandUuid) {
        Optional<byte[]> replaced = storage.get(commandKey(commandUuid));
        if (replaced.isEmpty()) {
            return false;
        }
        storage.delete(commandKey(commandUuid));
        log.info("The device answered renewal profile {} for certificate {}", commandUuid, new String(replaced.get(), StandardCharsets.UTF_8));
        return true;
    }

    /** The storage key under which a renewal profile handed out as this command is remembered until answered. */
    static String commandKey(UUID commandUuid) {
        return "identity-renewal-command/" + commandUuid;
    }

    /** The renewal of a certificate is over: the certificate is replaced. */
    void completed(String replacedSerial) {
        storage.delete(pendingKey(replacedSerial));
    }

    /** Where the Managed Apple Account an account-driven device enrollment assigned the device is kept, by its storage key. */
    static String assignedAccountKey(String storageKey) {
        return "assigned-account/" + storageKey;
    }

    private static String pendingKey(String serial) {
        return "identity-renewal/" + serial;
    }
}
