package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.http.DeviceResponse;
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
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The checks an ADE device's signed MachineInfo passes before it gets an enrollment profile, the same whether it came
 * as the body of the POST to the ADE profile's {@code url} ({@link AdeEnrollment}) or Base64 in the
 * {@code x-apple-aspen-deviceinfo} header of the web view's first request ({@link AdeWebView}): the CMS signature
 * verifies and chains to a trust anchor of plugin setting {@value AdeEnrollment#DEVICE_CA_SETTING}; the plist names
 * UDID, SERIAL, PRODUCT and VERSION; the serial number is one a sync registered for a token still here, whose record
 * is still a PENDING corporate device of this platform.
 */
final class AdeDeviceCheck {

    private static final Pattern FACT = Pattern.compile("[A-Za-z0-9._,:+ -]{1,128}");
    private static final Logger log = LoggerFactory.getLogger(AdeDeviceCheck.class);

    /** What the check ended with: an admitted device, or the 4xx problem refusing it. */
    sealed interface Outcome permits Admitted, Refused {
    }

    /**
     * A device whose MachineInfo passed every check.
     *
     * @param token the name of the server token the device is assigned through
     */
    record Admitted(String serial, String udid, String product, String version, String token) implements Outcome {
        Admitted {
            requireNonNull(serial, "serial is null");
            requireNonNull(udid, "udid is null");
            requireNonNull(product, "product is null");
            requireNonNull(version, "version is null");
            requireNonNull(token, "token is null");
        }
    }

    /** @param problem the 4xx answer: 404 when ADE is not set up, 400 malformed, 403 untrusted or not assigned */
    record Refused(DeviceResponse problem) implements Outcome {
        Refused {
            requireNonNull(problem, "problem is null");
        }
    }

    private final DeviceRegistry registry;
    private final AdeServerTokens tokens;
    private final AdeDeviceSync sync;
    private final PluginConfig config;
    private final PluginIdentity identity;
    private final Platform platform;
    private final Clock clock;
    private final Plists.Reader plists = new Plists.Reader(2);

    AdeDeviceCheck(DeviceRegistry registry, AdeServerTokens tokens, AdeDeviceSync sync, PluginConfig config, PluginIdentity identity,
                   Platform platform, Clock clock) {
        this.registry = requireNonNull(registry, "registry is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.sync = requireNonNull(sync, "sync is null");
        this.config = requireNonNull(config, "config is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.platform = requireNonNull(platform, "platform is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @param signedMachineInfo the CMS SignedData over the MachineInfo plist, as the device sent it */
    Outcome check(byte[] signedMachineInfo) {
        Optional<Set<TrustAnchor>> anchors = anchors();
        if (anchors.isEmpty()) {
            return refused(404, "Not found", "Automated Device Enrollment is not set up on this server");
        }
        SignedDeviceRequest signed;
        try {
            signed = SignedDeviceRequest.read(signedMachineInfo, plists);
        } catch (SignedDeviceRequest.BadSignature e) {
            return refused(403, "Untrusted device", e.getMessage());
        } catch (IllegalArgumentException | PlistException e) {
            return refused(400, "Malformed MachineInfo request", e.getMessage());
        }
        try {
            signed.requireChainTo(anchors.get(), clock.instant());
        } catch (IllegalArgumentException e) {
            return refused(403, "Untrusted device", e.getMessage());
        }
        NSDictionary facts = signed.facts();
        Optional<String> udid = fact(facts, "UDID");
        Optional<String> serial = fact(facts, "SERIAL");
        Optional<String> product = fact(facts, "PRODUCT");
        Optional<String> version = fact(facts, "VERSION");
        if (udid.isEmpty() || serial.isEmpty() || product.isEmpty() || version.isEmpty()) {
            return refused(400, "Malformed MachineInfo", "MachineInfo names the device's UDID, SERIAL, PRODUCT and VERSION");
        }
        Optional<String> token = assignedToken(serial.get());
        if (token.isEmpty()) {
            log.warn("ADE profile refused to {} device {}: not assigned to this server, or already enrolled", platform.id(), serial.get());
            return refused(403, "Enrollment refused", "Device " + serial.get()
                    + " is not assigned to this server in Apple Business Manager, or is already enrolled");
        }
        return new Admitted(serial.get(), udid.get(), product.get(), version.get(), token.get());
    }

    /**
     * The token a serial number is assigned through, while its record is still a PENDING corporate device of this
     * platform: asked again before a profile goes out, since the device may have enrolled or been unassigned meanwhile.
     */
    Optional<String> assignedToken(String serial) {
        Optional<String> token = sync.assignedToken(serial).filter(name -> tokens.status(name).isPresent());
        boolean pending = registry.findByHardwareId(platform, AdeDeviceSync.SERIAL, serial)
                .filter(device -> device.status() == DeviceStatus.PENDING && device.ownership() == Ownership.CORPORATE).isPresent();
        return pending ? token : Optional.empty();
    }

    /** The trust anchors of plugin setting {@value AdeEnrollment#DEVICE_CA_SETTING}; empty when unset or unreadable. */
    private Optional<Set<TrustAnchor>> anchors() {
        Optional<String> file = config.get(AdeEnrollment.DEVICE_CA_SETTING);
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
            log.error("Plugin setting {} of {} is not a readable PEM file of certificates: {}", AdeEnrollment.DEVICE_CA_SETTING,
                    identity.id(), e.getMessage());
            return Optional.empty();
        }
    }

    private static Refused refused(int status, String title, String detail) {
        return new Refused(DeviceResponse.problem(status, title, detail));
    }

    private static Optional<String> fact(NSDictionary facts, String key) {
        return Optional.ofNullable(Plists.string(facts, key)).filter(value -> FACT.matcher(value).matches());
    }
}
