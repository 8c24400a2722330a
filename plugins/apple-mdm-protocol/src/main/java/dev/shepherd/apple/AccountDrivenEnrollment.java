package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.api.platform.EnrollmentArtifact;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.apple.AccountEnrollmentSettings.Mode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Apple's account-driven enrollment: the person types their Managed Apple Account in Settings (iPhone, iPad) or System
 * Settings (Mac), the device discovers the server at the account's domain, the person signs in on the server's web
 * page, and the device enrolls. Two modes, chosen per domain in each platform's settings:
 * <ul>
 * <li><b>user enrollment</b> ({@code mdm-byod}, profile {@code EnrollmentMode} BYOD; iOS 15+, macOS 14+, the only user
 * enrollment from iOS 18 and macOS 15): a personal device, known by its EnrollmentID only, managed apps and data only,
 * never erased;</li>
 * <li><b>device enrollment</b> ({@code mdm-adde}, {@code EnrollmentMode} ADDE; iOS 17+, macOS 14+): an organisation's
 * device enrolled as a whole, with its UDID and serial number and every access right, assigned to the person; not
 * supervised on iPhone and iPad (only Automated Device Enrollment supervises them), while a Mac enrolled by Device
 * Enrollment on macOS 11 or later is supervised, as the device then reports.</li>
 * </ul>
 * A device that does not know a mode's {@code Version} does not use that server, so no OS version is checked here.
 * Each Apple platform plugin registers a subclass naming the model families it serves; all of them claim the
 * well-known path, and the kernel asks each in turn until one answers other than 404.
 *
 * <p>The contract, from Apple's
 * <a href="https://developer.apple.com/documentation/devicemanagement/implementing-the-simple-authentication-account-driven-enrollment-flow">
 * simple authentication account-driven enrollment flow</a>,
 * <a href="https://developer.apple.com/documentation/devicemanagement/get-.well-known-com.apple.remotemanagement">
 * the well-known resource</a> and the {@code com.apple.mdm} payload's {@code EnrollmentMode} (BYOD or ADDE) and
 * {@code AssignedManagedAppleID}:
 * <ol>
 * <li>{@code GET /.well-known/com.apple.remotemanagement?user-identifier=<account>&model-family=<family>} is answered
 * {@code {"Servers": [{"Version": "mdm-byod" or "mdm-adde", "BaseURL": ...}]}} for an account in a configured domain
 * and a model family the plugin serves; 404 otherwise. The file must be reachable at the account's domain: served by
 * Shepherd when the domain points at it, or redirected there.</li>
 * <li>The device POSTs a CMS-signed plist of its facts ({@code application/pkcs7-signature}: {@code PRODUCT},
 * {@code VERSION}, {@code LANGUAGE}) to {@code BaseURL}; without a bearer token it is answered 401 with
 * {@code WWW-Authenticate: Bearer method="apple-as-web", url="<server>/enroll/sign-in?client=apple&link=<link>"}, the
 * link being the one set for the account's mode.</li>
 * <li>The device opens that page in its web authentication session (adding {@code user-identifier}); the kernel signs
 * the person in (the local directory or an identity-provider plugin), spends one use of the mode's enrollment link
 * (one that asks for the user's sign-in, personal or corporate, for this platform) on a one-time enrollment token of
 * the person's own, ending with the digest of their e-mail address, and redirects to
 * {@code apple-remotemanagement-user-login://authentication-results?access-token=<token>}.</li>
 * <li>The device repeats its POST with {@code Authorization: Bearer <token>}; the token is checked with the kernel
 * ({@link DeviceRegistry#checkEnrollmentToken}: unknown, expired, used up, or of a deactivated person, it is refused),
 * must be of the mode's ownership and name the account {@code BaseURL} carries (else 403), and is accepted once here;
 * the answer is the enrollment profile ({@code application/x-apple-aspen-config}) with {@code AssignedManagedAppleID}
 * and the mode's {@code EnrollmentMode}, its SCEP challenge bound to the token and the mode.</li>
 * <li>The device's Authenticate enrolls it with that token, method CREDENTIALS, the person's, in the link's group
 * ({@link AppleMdmEndpoint}): under user enrollment it names itself by {@code EnrollmentID} only and is personal; under
 * device enrollment it names its UDID and serial number and is the organisation's.</li>
 * </ol>
 *
 * <p>Identity comes by proof only: the bearer token proves the person, the device's identity comes from its
 * enrollment certificate afterwards. The signed facts are checked for integrity, but the signer is Apple's device
 * identity, which the server does not chain to Apple, so nothing in them names or claims a record.
 *
 * <p>Settings, set by an admin through {@link AccountEnrollmentEndpoint}: per mode, the Managed Apple Account domains
 * accepted and the enrollment link whose ownership, platform, group and uses the enrollments spend. A domain in
 * neither answers 404.
 */
public abstract class AccountDrivenEnrollment implements DeviceEndpoint {

    /** Where Apple devices look for the enrollment service, at the domain of the account typed. */
    public static final String WELL_KNOWN = "/.well-known/com.apple.remotemanagement";
    /** Below the plugin's mount: the {@code BaseURL} the enrollment requests go to. */
    public static final String PATH = "/account-enrollment";
    /** Storage prefix of the tokens already answered with a profile, by SHA-256, until they expire. */
    private static final String USED_TOKEN = "account-token/";
    private static final String SIGNED_CONTENT = "application/pkcs7-signature";
    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final Pattern ACCOUNT = Pattern.compile("[^@\\s]{1,200}@([A-Za-z0-9-]{1,63}(\\.[A-Za-z0-9-]{1,63})+)");
    private static final Pattern BEARER = Pattern.compile("Bearer ([A-Za-z0-9._~+/=-]{16,256})");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger log = LoggerFactory.getLogger(AccountDrivenEnrollment.class);

    private final DeviceRegistry registry;
    private final AccountEnrollmentSettings settings;
    private final PluginIdentity identity;
    private final PluginStorage storage;
    private final ServerAddress address;
    private final Platform platform;
    private final Set<String> modelFamilies;
    private final EnrollmentProfiles profiles;
    private final Clock clock;
    private final Plists.Reader plists = new Plists.Reader(2);

    /**
     * @param modelFamilies the {@code model-family} values this plugin enrolls, such as {@code iPhone} and {@code iPad}
     */
    protected AccountDrivenEnrollment(DeviceRegistry registry, CertificateAuthority authority, ServerSigner signer, PluginConfig config,
                                      PluginIdentity identity, PushCertificates pushCertificates, PluginStorage storage,
                                      SecretSealer sealer, ServerAddress address, Clock clock, Platform platform, SettingProfiles.Os os,
                                      Set<String> modelFamilies) {
        this.registry = requireNonNull(registry, "registry is null");
        this.settings = new AccountEnrollmentSettings(storage, sealer);
        this.identity = requireNonNull(identity, "identity is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.address = requireNonNull(address, "address is null");
        this.platform = requireNonNull(platform, "platform is null");
        this.modelFamilies = Set.copyOf(modelFamilies);
        this.clock = requireNonNull(clock, "clock is null");
        this.profiles = new EnrollmentProfiles(authority, signer, config, identity, pushCertificates, os, clock);
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public Set<String> wellKnownPaths() {
        return Set.of(WELL_KNOWN);
    }

    @Override
    public int maxBodyBytes() {
        return MAX_BODY_BYTES;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (request.path().equalsIgnoreCase(WELL_KNOWN)) {
            return discover(request);
        }
        if (request.path().equals(PATH)) {
            return enroll(request);
        }
        return DeviceResponse.problem(404, "Not found", "Account-driven enrollment requests go to " + identity.devicePath() + PATH);
    }

    /**
     * The well-known answer: this server's {@code BaseURL}, with the mode the account's domain is served in, for an
     * account in a configured domain on a device this plugin serves. Any other device is answered 404, which the kernel
     * takes as "not mine" and asks the next Apple plugin that claimed the path ({@link #wellKnownPaths}).
     */
    private DeviceResponse discover(DeviceRequest request) {
        if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
            return DeviceResponse.problem(405, "Method not allowed", "The well-known resource is read with GET").withHeader("Allow", "GET, HEAD");
        }
        Optional<String> account = request.queryParameter("user-identifier");
        Optional<String> family = request.queryParameter("model-family");
        if (account.isEmpty() || family.isEmpty()) {
            return DeviceResponse.problem(400, "Missing parameter", "Apple devices send user-identifier and model-family");
        }
        Optional<String> domain = domainOf(account.get());
        if (domain.isEmpty()) {
            return DeviceResponse.problem(400, "Malformed user-identifier", "user-identifier is an account such as user@example.com");
        }
        Optional<Mode> mode = settings.modeOf(domain.get());
        if (mode.isEmpty() || !modelFamilies.contains(family.get())) {
            // As a server without the file answers: the device tells its user the account cannot enroll here.
            return DeviceResponse.problem(404, "Not found", "No account-driven enrollment for this account and device here");
        }
        // The device posts to BaseURL as given: it carries the account, which the profile then assigns once the
        // person who signed in proves to be its owner.
        ObjectNode server = JSON.createObjectNode().put("Version", mode.get().version())
                .put("BaseURL", baseUrl() + "?user-identifier=" + URLEncoder.encode(account.get(), StandardCharsets.UTF_8));
        ObjectNode answer = JSON.createObjectNode();
        answer.putArray("Servers").add(server);
        return DeviceResponse.of(200, "application/json", answer.toString().getBytes(StandardCharsets.UTF_8))
                .withHeader("Cache-Control", "no-store");
    }

    /** The enrollment request: 401 with the web sign-in until a bearer token comes, then the person's profile. */
    private DeviceResponse enroll(DeviceRequest request) {
        if (!request.method().equals("POST")) {
            return DeviceResponse.problem(405, "Method not allowed", "The enrollment request is a POST").withHeader("Allow", "POST");
        }
        if (!request.header("Content-Type").map(type -> type.toLowerCase(Locale.ROOT).startsWith(SIGNED_CONTENT)).orElse(false)) {
            return DeviceResponse.problem(415, "Unsupported media type", "The enrollment request is a CMS-signed plist, " + SIGNED_CONTENT);
        }
        NSDictionary facts;
        try {
            facts = SignedDeviceRequest.read(request.body(), plists).facts();
        } catch (IllegalArgumentException | PlistException e) {
            return DeviceResponse.problem(400, "Malformed enrollment request", e.getMessage());
        }
        if (Plists.string(facts, "PRODUCT") == null || Plists.string(facts, "VERSION") == null) {
            return DeviceResponse.problem(400, "Malformed enrollment request", "The signed plist names the device's PRODUCT and VERSION");
        }
        Optional<String> account = request.queryParameter("user-identifier");
        Optional<String> domain = account.flatMap(AccountDrivenEnrollment::domainOf);
        if (domain.isEmpty()) {
            return DeviceResponse.problem(400, "Missing parameter", "BaseURL carries the Managed Apple Account (user-identifier)");
        }
        Optional<Mode> mode = settings.modeOf(domain.get());
        if (mode.isEmpty()) {
            return DeviceResponse.problem(404, "Not found", "No account-driven enrollment for accounts of " + domain.get() + " here");
        }
        String link = settings.link(mode.get()).orElseThrow();
        Optional<String> authorization = request.header("Authorization");
        if (authorization.isEmpty()) {
            return challenge(link, "Sign in to enroll this device");
        }
        var bearer = BEARER.matcher(authorization.get());
        if (!bearer.matches()) {
            return challenge(link, "The Authorization header is not a bearer token");
        }
        String token = bearer.group(1);
        Optional<EnrollmentGrant> grant = registry.checkEnrollmentToken(token);
        if (grant.isEmpty() || grant.get().userId().isEmpty()) {
            // Unknown, expired, used up, or its person deactivated: the device signs its user in again.
            return challenge(link, "The bearer token is unknown, expired or used up");
        }
        if (grant.get().ownership() != mode.get().ownership() || grant.get().platform().filter(other -> !other.equals(platform)).isPresent()) {
            return DeviceResponse.problem(403, "Enrollment refused", "Account-driven " + (mode.get() == Mode.USER ? "user" : "device")
                    + " enrollment here is for " + mode.get().ownership().name().toLowerCase(Locale.ROOT) + " " + platform.id()
                    + " devices; this sign-in was for another enrollment");
        }
        // The kernel ends the token it hands to Apple with the digest of the signed-in person's e-mail address, which is
        // part of the secret it checks: the profile assigns the account the device names only to that account's owner.
        if (!token.endsWith("." + sha256(account.get().toLowerCase(Locale.ROOT)))) {
            return DeviceResponse.problem(403, "Enrollment refused", "The person who signed in is not the owner of " + account.get()
                    + ", the account this device enrolls with; sign in as its owner");
        }
        // A token is accepted here once: a second profile for it would only be refused at check-in, after SCEP. The
        // mark is kept until the token expires, when the kernel refuses it anyway.
        if (!storage.putIfAbsent(USED_TOKEN + sha256(token), Long.toString(grant.get().expiresAt().toEpochMilli())
                .getBytes(StandardCharsets.UTF_8))) {
            return DeviceResponse.problem(403, "Enrollment refused", "This bearer token was already used; sign in again");
        }
        forgetExpiredMarks();
        EnrollmentArtifact profile = profiles.accountDrivenArtifact(new EnrollmentInvitation(token, mode.get().ownership(),
                grant.get().groupId(), grant.get().userId(), grant.get().expiresAt(), address.publicUrl(), Optional.empty(), account),
                mode.get(), account.get());
        log.info("Account-driven {} enrollment: a {} profile for user {} ({} {})", mode.get().enrollmentMode(), identity.id(),
                grant.get().userId().get(), Plists.string(facts, "PRODUCT"), Plists.string(facts, "VERSION"));
        return DeviceResponse.of(200, profile.contentType(), profile.content()).withHeader("Cache-Control", "no-store");
    }

    /** 401 sending the device to the kernel's sign-in page, which hands the person's token back to it. */
    private DeviceResponse challenge(String link, String detail) {
        String url = address.publicUrl() + UserAuthenticator.ENROLLMENT_SIGN_IN_PATH + "?client=apple&link="
                + URLEncoder.encode(link, StandardCharsets.UTF_8);
        return DeviceResponse.problem(401, "Authentication required", detail)
                .withHeader("WWW-Authenticate", "Bearer method=\"apple-as-web\", url=\"" + url + "\"");
    }

    /** Removes the marks of used tokens that have expired since. */
    private void forgetExpiredMarks() {
        long now = clock.millis();
        for (String key : storage.keys(USED_TOKEN)) {
            storage.get(key).map(bytes -> new String(bytes, StandardCharsets.UTF_8))
                    .filter(expiry -> !expiry.isEmpty() && expiry.length() <= 18 && expiry.chars().allMatch(Character::isDigit)
                            && Long.parseLong(expiry) < now)
                    .ifPresent(expired -> storage.delete(key));
        }
    }

    private String baseUrl() {
        return address.publicUrl() + identity.devicePath() + PATH;
    }

    private static Optional<String> domainOf(String account) {
        var matcher = ACCOUNT.matcher(account);
        return matcher.matches() ? Optional.of(matcher.group(1).toLowerCase(Locale.ROOT)) : Optional.empty();
    }

    /** The SHA-256 of the text, in lower-case hex: what this plugin keeps of one-time secrets. */
    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
