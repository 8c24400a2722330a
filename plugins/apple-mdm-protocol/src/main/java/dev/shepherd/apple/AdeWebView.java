package dev.shepherd.apple;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.group.GroupDirectory;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.api.identity.UserAuthenticator.SignedInUser;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.platform.EnrollmentArtifact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * {@code /mdm/<plugin>/ade/web-view}: the {@code configuration_web_url} of an ADE profile that requires the person's
 * sign-in ({@value #REQUIRE_SIGN_IN}, {@link AdeServerTokenEndpoint}). Setup Assistant opens it in a web view instead
 * of posting to the profile's {@code url}, and installs the enrollment profile the web view is finally answered with.
 *
 * <p>Apple's contract (<a href="https://developer.apple.com/documentation/devicemanagement/authenticating-through-web-views">
 * Authenticating through web views</a>): the first load is an https {@code GET} carrying header
 * {@code x-apple-aspen-deviceinfo}, the Base64 of the same CMS-signed MachineInfo a device posts to {@code url}; the
 * person then moves through pages until one answers with the enrollment profile as {@code application/x-apple-aspen-config},
 * which closes the web view; later loads carry no device information.
 *
 * <ol>
 * <li>{@code GET /ade/web-view} with the header: the MachineInfo passes exactly the checks of {@link AdeEnrollment}
 * ({@link AdeDeviceCheck}: signed, chained to Apple's device CA, a serial number a sync registered and still PENDING
 * here), else a 4xx problem. The verified device (serial number, UDID, token) is kept server-side, sealed, under the
 * digest of a random one-time state that works for {@value #STATE_MINUTES} minutes; the web view is sent (303) to the
 * kernel's enrollment sign-in page with {@code return} (this plugin's fixed path {@value #SIGNED_IN}) and the state.</li>
 * <li>The person signs in there: a password the directory or an identity-provider plugin accepts, or a single sign-on
 * provider's button. The kernel sends the web view back to {@code return}, which it accepts only when it is a device
 * endpoint path of this server, with a one-time code and the state.</li>
 * <li>{@code GET /ade/web-view/signed-in?code=…&state=…}: the state names the device (nothing in this request does),
 * the code is redeemed ({@link UserAuthenticator#redeemSignInCode}: once, ten minutes, an active person), the state is
 * spent, and the answer is the device's ADE enrollment profile, as {@link AdeEnrollment} gives it, its SCEP challenge
 * also bound to the person, whom the device's Authenticate assigns it to ({@link AppleMdmEndpoint}).</li>
 * </ol>
 * An unknown, expired or spent state, a code that does not redeem, and a device no longer pending are refused (403).
 */
public abstract class AdeWebView implements DeviceEndpoint {

    /** Below the plugin's mount: the {@code configuration_web_url} of the ADE profiles that require sign-in. */
    public static final String PATH = "/ade/web-view";
    /** Where the kernel's sign-in page sends the web view back, with the code and the state. */
    public static final String SIGNED_IN = PATH + "/signed-in";
    /** The Shepherd field of an ADE profile (never sent to Apple) that turns the web-view sign-in on. */
    public static final String REQUIRE_SIGN_IN = "require_sign_in";
    /** The header Setup Assistant adds to the web view's first load: the Base64 of the signed MachineInfo. */
    static final String DEVICE_INFO_HEADER = "x-apple-aspen-deviceinfo";
    private static final String STATE_PREFIX = "ade/web-view/";
    private static final int STATE_MINUTES = 15;
    private static final Duration STATE_LIFETIME = Duration.ofMinutes(STATE_MINUTES);
    private static final Pattern STATE = Pattern.compile("[A-Za-z0-9_-]{43}");
    /** Base64 of a MachineInfo no larger than the {@code url} endpoint takes. */
    private static final int MAX_DEVICE_INFO_CHARS = 88 * 1024;
    private static final Logger log = LoggerFactory.getLogger(AdeWebView.class);

    private final AdeDeviceSync sync;
    private final AdeDeviceCheck check;
    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final UserAuthenticator users;
    private final PluginIdentity identity;
    private final ServerAddress address;
    private final Platform platform;
    private final EnrollmentProfiles profiles;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    protected AdeWebView(DeviceRegistry registry, AdeServerTokens tokens, GroupDirectory groups, PluginStorage storage, SecretSealer sealer,
                         UserAuthenticator users, CertificateAuthority authority, ServerSigner signer, PluginConfig config,
                         PluginIdentity identity, PushCertificates pushCertificates, ServerAddress address, Clock clock,
                         Platform platform, SettingProfiles.Os os) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.users = requireNonNull(users, "users is null");
        this.identity = requireNonNull(identity, "identity is null");
        this.address = requireNonNull(address, "address is null");
        this.platform = requireNonNull(platform, "platform is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.sync = new AdeDeviceSync(tokens, registry, groups, storage, config, platform);
        this.check = new AdeDeviceCheck(registry, tokens, sync, config, identity, platform, clock);
        this.profiles = new EnrollmentProfiles(authority, signer, config, identity, pushCertificates, os, clock);
    }

    /** Whether an ADE profile as the plugin keeps it sends the device to this web view. */
    static boolean requiresSignIn(JsonNode adeProfile) {
        return adeProfile.path("configuration_web_url").isTextual();
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public int maxBodyBytes() {
        return 0;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.method().equals("GET")) {
            return DeviceResponse.problem(405, "Method not allowed", "The web view loads its pages with GET").withHeader("Allow", "GET");
        }
        return switch (request.path()) {
            case PATH -> open(request);
            case SIGNED_IN -> signedIn(request);
            default -> DeviceResponse.problem(404, "Not found", "Setup Assistant opens " + identity.devicePath() + PATH);
        };
    }

    /** The first load: the device proves who it is, and the person is sent to sign in. */
    private DeviceResponse open(DeviceRequest request) {
        Optional<String> deviceInfo = request.header(DEVICE_INFO_HEADER);
        if (deviceInfo.isEmpty()) {
            return DeviceResponse.problem(400, "Missing device information", "This page is opened by Setup Assistant during Automated"
                    + " Device Enrollment, which sends the device's signed MachineInfo in " + DEVICE_INFO_HEADER);
        }
        byte[] signed;
        try {
            if (deviceInfo.get().length() > MAX_DEVICE_INFO_CHARS) {
                throw new IllegalArgumentException("too long");
            }
            signed = Base64.getMimeDecoder().decode(deviceInfo.get());
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Malformed MachineInfo request", DEVICE_INFO_HEADER + " is not the Base64 of a signed MachineInfo");
        }
        AdeDeviceCheck.Outcome outcome = check.check(signed);
        if (outcome instanceof AdeDeviceCheck.Refused refused) {
            return refused.problem();
        }
        AdeDeviceCheck.Admitted device = (AdeDeviceCheck.Admitted) outcome;
        forgetExpiredStates();
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String state = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        // The device's verified facts stay here, sealed; the web view carries only the state, which names them.
        String facts = String.join("\n", device.serial(), device.udid(), device.token());
        String expiry = Long.toString(clock.instant().plus(STATE_LIFETIME).toEpochMilli());
        storage.put(STATE_PREFIX + AccountDrivenEnrollment.sha256(state), (expiry + "\n"
                + Base64.getEncoder().encodeToString(sealer.seal(facts.getBytes(StandardCharsets.UTF_8)))).getBytes(StandardCharsets.UTF_8));
        log.info("ADE web view opened by {} device {} ({} {}): sent to sign in", platform.id(), device.serial(), device.product(),
                device.version());
        String signIn = address.publicUrl() + UserAuthenticator.ENROLLMENT_SIGN_IN_PATH + "?return="
                + URLEncoder.encode(identity.devicePath() + SIGNED_IN, StandardCharsets.UTF_8) + "&state=" + state;
        return DeviceResponse.empty(303).withHeader("Location", signIn).withHeader("Cache-Control", "no-store")
                .withHeader("Referrer-Policy", "no-referrer");
    }

    /** Back from the sign-in page: the person's code and the state that names the device. */
    private DeviceResponse signedIn(DeviceRequest request) {
        Optional<String> state = request.queryParameter("state").filter(value -> STATE.matcher(value).matches());
        Optional<String> code = request.queryParameter("code").filter(value -> !value.isEmpty() && value.length() <= 100);
        if (state.isEmpty() || code.isEmpty()) {
            return DeviceResponse.problem(400, "Bad request", "The sign-in page returns here with its code and the state it was given");
        }
        String key = STATE_PREFIX + AccountDrivenEnrollment.sha256(state.get());
        Optional<List<String>> facts = storage.get(key).flatMap(this::unexpiredFacts);
        if (facts.isEmpty()) {
            return DeviceResponse.problem(403, "Sign-in expired", "This sign-in is unknown, expired or already used:"
                    + " start the device's setup again");
        }
        Optional<SignedInUser> person = users.redeemSignInCode(code.get());
        if (person.isEmpty()) {
            return DeviceResponse.problem(403, "Sign-in refused", "The sign-in code is unknown, expired or already used: sign in again");
        }
        if (!storage.delete(key)) {
            // Another request spent the state meanwhile: one profile per sign-in.
            return DeviceResponse.problem(403, "Sign-in expired", "This sign-in was already used: start the device's setup again");
        }
        String serial = facts.get().get(0);
        String udid = facts.get().get(1);
        // The device may have enrolled or been unassigned while its person signed in.
        Optional<String> token = check.assignedToken(serial).filter(facts.get().get(2)::equals);
        if (token.isEmpty()) {
            return DeviceResponse.problem(403, "Enrollment refused", "Device " + serial
                    + " is no longer assigned to this server in Apple Business Manager, or is already enrolled");
        }
        // The device joins the group of its ADE profile now, as at the profile request without sign-in (AdeEnrollment).
        boolean awaitsConfiguration = sync.enrolling(token.get(), serial).map(AdeProfiles.Profile::awaitsConfiguration).orElse(false);
        EnrollmentArtifact profile = profiles.adeArtifact(address.publicUrl(), serial, udid, awaitsConfiguration,
                Optional.of(person.get().directoryUserId()));
        log.info("ADE profile for {} device {} after its person {} signed in in the web view, token {}", platform.id(), serial,
                person.get().directoryUserId(), token.get());
        return DeviceResponse.of(200, profile.contentType(), profile.content()).withHeader("Cache-Control", "no-store");
    }

    /** The serial number, UDID and token a state names, while it works. */
    private Optional<List<String>> unexpiredFacts(byte[] stored) {
        String text = new String(stored, StandardCharsets.UTF_8);
        int newline = text.indexOf('\n');
        if (newline < 0 || expired(text.substring(0, newline))) {
            return Optional.empty();
        }
        List<String> facts = List.of(new String(sealer.open(Base64.getDecoder().decode(text.substring(newline + 1))),
                StandardCharsets.UTF_8).split("\n"));
        return facts.size() == 3 ? Optional.of(facts) : Optional.empty();
    }

    private boolean expired(String expiry) {
        return expiry.isEmpty() || expiry.length() > 18 || !expiry.chars().allMatch(Character::isDigit)
                || Long.parseLong(expiry) <= clock.millis();
    }

    /** Removes the states of web views that were opened and never came back. */
    private void forgetExpiredStates() {
        for (String key : storage.keys(STATE_PREFIX)) {
            storage.get(key).map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                    .filter(text -> text.indexOf('\n') < 0 || expired(text.substring(0, text.indexOf('\n'))))
                    .ifPresent(stale -> storage.delete(key));
        }
    }
}
