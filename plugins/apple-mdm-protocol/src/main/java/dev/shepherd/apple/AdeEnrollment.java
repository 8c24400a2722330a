package dev.shepherd.apple;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
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

import java.time.Clock;
import java.util.Locale;
import java.util.Optional;

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
 * Every refusal is a 4xx problem: unsigned or malformed 400, mis-signed, untrusted or unknown 403 ({@link AdeDeviceCheck}).
 * A device whose ADE profile requires sign-in ({@link AdeWebView}) is refused here (403): it enrolls through the web
 * view, which assigns it to the person who signed in.
 */
public abstract class AdeEnrollment implements DeviceEndpoint {

    /** Below the plugin's mount: the {@code url} of the ADE profiles this plugin defines. */
    public static final String PATH = "/ade/enroll";
    /** Plugin setting naming the PEM file of the trust anchors of device identities (Apple's root in production). */
    public static final String DEVICE_CA_SETTING = "adeDeviceCaFile";
    private static final String SIGNED_CONTENT = "application/pkcs7-signature";
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final Logger log = LoggerFactory.getLogger(AdeEnrollment.class);

    private final AdeDeviceSync sync;
    private final AdeDeviceCheck check;
    private final PluginIdentity identity;
    private final ServerAddress address;
    private final Platform platform;
    private final EnrollmentProfiles profiles;

    protected AdeEnrollment(DeviceRegistry registry, AdeServerTokens tokens, GroupDirectory groups, PluginStorage storage,
                            CertificateAuthority authority, ServerSigner signer, PluginConfig config, PluginIdentity identity,
                            PushCertificates pushCertificates, ServerAddress address, Clock clock, Platform platform, SettingProfiles.Os os) {
        this.sync = new AdeDeviceSync(tokens, registry, groups, storage, config, platform);
        this.check = new AdeDeviceCheck(registry, tokens, sync, config, identity, platform, clock);
        this.identity = requireNonNull(identity, "identity is null");
        this.address = requireNonNull(address, "address is null");
        this.platform = requireNonNull(platform, "platform is null");
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
        if (!request.header("Content-Type").map(type -> type.toLowerCase(Locale.ROOT).startsWith(SIGNED_CONTENT)).orElse(false)) {
            return DeviceResponse.problem(415, "Unsupported media type", "The profile request is a CMS-signed MachineInfo plist, " + SIGNED_CONTENT);
        }
        AdeDeviceCheck.Outcome outcome = check.check(request.body());
        if (outcome instanceof AdeDeviceCheck.Refused refused) {
            return refused.problem();
        }
        AdeDeviceCheck.Admitted device = (AdeDeviceCheck.Admitted) outcome;
        if (sync.profileOf(device.token(), device.serial()).map(AdeProfiles.Profile::apple).map(AdeWebView::requiresSignIn).orElse(false)) {
            // The profile sends Setup Assistant to the web view, where the person signs in: a device coming here
            // instead would enroll without its person.
            log.warn("ADE profile refused to {} device {}: its profile requires sign-in in the web view", platform.id(), device.serial());
            return DeviceResponse.problem(403, "Enrollment refused", "Device " + device.serial()
                    + " enrolls through the sign-in web view of its ADE profile (configuration_web_url)");
        }
        // Apple's cloud configuration holds the device in Setup Assistant when its profile awaits configuration; the
        // identity says so, so that the device is released once configured (AdeAwaitConfiguration). The device joins
        // the group of its ADE profile now, so what is assigned to that group is there at its first check-in.
        boolean awaitsConfiguration = sync.enrolling(device.token(), device.serial())
                .map(AdeProfiles.Profile::awaitsConfiguration).orElse(false);
        EnrollmentArtifact profile = profiles.adeArtifact(address.publicUrl(), device.serial(), device.udid(), awaitsConfiguration,
                Optional.empty());
        log.info("ADE profile for {} device {} ({} {}), token {}", platform.id(), device.serial(), device.product(), device.version(),
                device.token());
        return DeviceResponse.of(200, profile.contentType(), profile.content()).withHeader("Cache-Control", "no-store");
    }
}
