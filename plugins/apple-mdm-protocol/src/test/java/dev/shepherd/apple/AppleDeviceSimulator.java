package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.pki.ScepClient;
import dev.shepherd.testing.TestTls;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.Hashtable;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongConsumer;

import static java.util.Objects.requireNonNull;

/**
 * An iPhone or a Mac as the server sees it, speaking Apple's MDM protocol byte for byte: it installs the signed enrollment
 * profile from an enrollment link (checking the CMS signature and trusting the server root it carries), gets its
 * identity over SCEP,
 * signs every message with a detached CMS signature in {@code Mdm-Signature}, checks in (Authenticate,
 * TokenUpdate, CheckOut) and runs the command loop, answering commands as a device does; on the
 * DeclarativeManagement command it synchronises its declarations and reports their state. A user-enrolled device
 * ({@link #userEnrolled}) speaks by EnrollmentID, never sending its UDID or serial number; a Mac also speaks on the
 * user channel of one of its users. Such a device can also get its profile by account-driven enrollment
 * ({@link #enrollByAccount}): service discovery, the signed enrollment request, the {@code apple-as-web} bearer
 * challenge, the web sign-in ending at Apple's callback scheme, and the bearer retry.
 */
public final class AppleDeviceSimulator {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The provider the simulated devices sign ECDSA with (stateless once built). */
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    /** The kind of device simulated: what it reports at Authenticate and where it speaks before it has a profile. */
    public enum Kind {
        IPHONE("/mdm/apple-ios", "iPhone16,2", "iPhone", "MU663", "17.5.1", "21F90", "Simulated iPhone"),
        /** An iPhone on iOS 18, where user enrollment is account-driven only. */
        IPHONE_18("/mdm/apple-ios", "iPhone17,1", "iPhone", "MYW43", "18.2.1", "22C161", "Simulated iPhone 16 Pro"),
        MAC("/mdm/apple-macos", "Mac14,2", "MacBook Air", "Z15S", "14.5", "23F79", "Simulated MacBook Air"),
        /** A Mac on macOS 15, where user enrollment is account-driven only. */
        MAC_15("/mdm/apple-macos", "Mac15,12", "MacBook Air", "MXCR3", "15.2", "24C101", "Simulated MacBook Air M3");

        final String mount;
        final String productName;
        final String modelName;
        final String model;
        final String osVersion;
        final String buildVersion;
        final String deviceName;
        /** The {@code model-family} its account-driven discovery names. */
        final String family;

        Kind(String mount, String productName, String modelName, String model, String osVersion, String buildVersion, String deviceName) {
            this.mount = mount;
            this.productName = productName;
            this.modelName = modelName;
            this.model = model;
            this.osVersion = osVersion;
            this.buildVersion = buildVersion;
            this.deviceName = deviceName;
            this.family = mount.equals("/mdm/apple-macos") ? "Mac" : "iPhone";
        }

        boolean mac() {
            return family.equals("Mac");
        }
    }

    /**
     * An app on the device, as an InstalledApplicationList item describes it.
     *
     * @param shortVersion the marketing version ({@code CFBundleShortVersionString})
     * @param version the build version ({@code CFBundleVersion})
     * @param managed whether MDM installed it (only managed apps can be removed by RemoveApplication)
     * @param deviceLicensed whether it was installed with a device-assigned volume-purchase licence (PurchaseMethod 1)
     */
    public record InstalledApp(String identifier, String name, String shortVersion, String version, boolean managed,
                               boolean deviceLicensed) {
    }

    /** What the App Store hands a device for an app: its bundle identifier, name and current version. */
    public record StoreListing(String identifier, String name, String version) {
    }

    /**
     * The App Store as a device installing an app by its {@code iTunesStoreID} meets it. A volume-purchased install
     * (PurchaseMethod 1) succeeds only while the device's serial number holds a licence of the app; a test answers
     * from its store fake (the Apps and Books fake's assets and assignments, say).
     */
    @FunctionalInterface
    public interface AppStore {
        /**
         * @param purchaseMethod 0 (free or redeemed) or 1 (a device-assigned volume-purchase licence)
         * @return the app the store hands out, empty when it hands out none (unknown id, or no licence for the device)
         */
        Optional<StoreListing> install(long adamId, String serialNumber, int purchaseMethod);
    }

    /** What the device read from the enrollment profile it installed. */
    public record InstalledProfile(NSDictionary profile, X509Certificate signer, URI scepUrl, String challenge, URI serverUrl,
                            URI checkInUrl, String topic, int accessRights) {
    }

    private final String udid;
    private final boolean userEnrolled;
    private final Kind kind;
    /** The apps installed, by bundle identifier, as InstalledApplicationList reports them; the first two the user installed. */
    private final Map<String, InstalledApp> apps = new LinkedHashMap<>(Map.of(
            "com.tinyspeck.chatlyio", new InstalledApp("com.tinyspeck.chatlyio", "Slack", "24.05.10", "24.05.10", false, false),
            "com.microsoft.Office.Outlook", new InstalledApp("com.microsoft.Office.Outlook", "Microsoft Outlook", "4.2421.0", "4.2421.0",
                    false, false)));
    /** Where InstallApplication commands naming an App Store id get their app; by default the store has none. */
    private volatile AppStore appStore = (adamId, serialNumber, purchaseMethod) -> Optional.empty();
    /** The InstallApplication and RemoveApplication commands carried out or refused, in the order received. */
    private final List<NSDictionary> appCommands = new CopyOnWriteArrayList<>();
    private URI server;
    private HttpClient http = HttpClient.newHttpClient();
    private String connectPath;
    private String checkInPath;
    private InstalledProfile installed;
    private X509Certificate certificate;
    private PrivateKey key;
    private final Map<String, String> refusedDeclarations = new HashMap<>();
    /** The device's own clock, which dates its signatures; a test moving the server's clock moves this one too. */
    private Clock clock = Clock.systemUTC();
    /** Whether DeviceInformation says the device is supervised (as DEP-enrolled iPhones are). */
    private boolean supervised = true;
    /** Answers DeviceInformation adds to its usual ones, as a device with odd or abundant facts would. */
    private final Map<String, Object> extraInformation = new LinkedHashMap<>();
    private Map<String, JsonNode> declarations = Map.of();
    /** The certificate of the FDERecoveryKeyEscrow payload of an installed profile, as a Mac keeps it. */
    private X509Certificate escrowCertificate;
    /** The FileVault personal recovery key, once FileVault is on. */
    private String recoveryKey;
    /** Apple's schemas, which every command, profile and declaration the device receives is checked against. */
    private final AppleProfileSchema schemas = new AppleProfileSchema();
    /** What the server sent that Apple's schemas refuse, in the order received. */
    private final List<String> nonconformities = new CopyOnWriteArrayList<>();
    /** The commands refused for not conforming, by CommandUUID, with the reasons: they are answered Error. */
    private final Map<String, List<String>> nonconformingCommands = new ConcurrentHashMap<>();
    /** Whether the test expects the server to send something nonconforming (and reads {@link #nonconformities()}). */
    private volatile boolean nonconformitiesExpected;
    /** Told how long each exchange with the server took, from sending the request to reading the whole answer. */
    private LongConsumer exchangeTimes = nanos -> { };

    /** An iPhone. */
    public AppleDeviceSimulator(URI server, String udid) {
        this(server, udid, Kind.IPHONE);
    }

    public AppleDeviceSimulator(URI server, String udid, Kind kind) {
        this(server, udid, kind, false);
    }

    private AppleDeviceSimulator(URI server, String id, Kind kind, boolean userEnrolled) {
        this.server = server;
        this.udid = id;
        this.kind = kind;
        this.userEnrolled = userEnrolled;
        this.connectPath = kind.mount + "/connect";
        this.checkInPath = kind.mount + "/checkin";
    }

    /** A device enrolled by user enrollment (BYOD): it names itself by {@code enrollmentId} only. */
    public static AppleDeviceSimulator userEnrolled(URI server, String enrollmentId, Kind kind) {
        return new AppleDeviceSimulator(server, enrollmentId, kind, true);
    }

    private String topic() {
        return installed != null ? installed.topic() : "com.apple.mgmt.External.simulator";
    }

    /**
     * What the device's web authentication session (ASWebAuthenticationSession) does with the page the server's 401
     * names: the person signs in there, and the session ends when a page sends it to the callback scheme.
     */
    @FunctionalInterface
    public interface WebAuthentication {
        /**
         * @param page the web-auth URL with {@code user-identifier} added, as the device opens it
         * @return the {@code apple-remotemanagement-user-login:} URL the session ended at
         */
        URI signIn(URI page) throws Exception;
    }

    /**
     * A web view signing in as a person does: loads the page, fills the first form's username and password (keeping
     * its hidden fields), submits it, and ends where the answer redirects to.
     *
     * @throws IllegalStateException (from {@link WebAuthentication#signIn}) when the answer is no redirect, with the status
     */
    public static WebAuthentication signingInAs(String username, String password) {
        return page -> {
            HttpClient browser = HttpClient.newBuilder().sslContext(acceptAnyServer()).followRedirects(HttpClient.Redirect.NEVER).build();
            HttpResponse<String> loaded = browser.send(HttpRequest.newBuilder(page).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (loaded.statusCode() != 200) {
                throw new IllegalStateException("the sign-in page answered " + loaded.statusCode());
            }
            Matcher form = Pattern.compile("<form method=\"post\" action=\"([^\"]+)\">(.*?)</form>")
                    .matcher(loaded.body());
            if (!form.find()) {
                throw new IllegalStateException("the sign-in page has no form");
            }
            StringBuilder fields = new StringBuilder();
            Matcher hidden = Pattern.compile("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")
                    .matcher(form.group(2));
            while (hidden.find()) {
                fields.append(formField(hidden.group(1), unescape(hidden.group(2)))).append('&');
            }
            fields.append(formField("username", username)).append('&').append(formField("password", password));
            HttpResponse<String> answered = browser.send(HttpRequest.newBuilder(page.resolve(unescape(form.group(1))))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(fields.toString())).build(), HttpResponse.BodyHandlers.ofString());
            if (answered.statusCode() / 100 != 3 || answered.headers().firstValue("Location").isEmpty()) {
                throw new IllegalStateException("signing in answered " + answered.statusCode());
            }
            return URI.create(answered.headers().firstValue("Location").get());
        };
    }

    private static String formField(String name, String value) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String unescape(String html) {
        return html.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }

    /**
     * Step 2 of account-driven enrollment: {@code GET https://<domain>/.well-known/com.apple.remotemanagement} with the
     * account typed and this device's model family.
     *
     * @param domainServer where the account's domain is served (the test's server standing in for it)
     */
    public HttpResponse<String> discover(URI domainServer, String account) throws Exception {
        String family = kind.family;
        URI wellKnown = domainServer.resolve("/.well-known/com.apple.remotemanagement?user-identifier="
                + URLEncoder.encode(account, StandardCharsets.UTF_8) + "&model-family=" + family);
        return HttpClient.newBuilder().sslContext(acceptAnyServer()).build()
                .send(HttpRequest.newBuilder(wellKnown).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Steps 4 and 10: POSTs the device's facts, a plist signed (attached CMS) with the device's own identity, to
     * {@code BaseURL}, with a bearer token once it has one.
     */
    public HttpResponse<byte[]> requestEnrollment(URI baseUrl, Optional<String> bearer) throws Exception {
        NSDictionary facts = new NSDictionary();
        facts.put("LANGUAGE", "en-US");
        facts.put("PRODUCT", kind.productName);
        facts.put("VERSION", kind.buildVersion);
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUrl).header("Content-Type", "application/pkcs7-signature")
                .header("User-Agent", "DeviceManagementClient/1.0")
                .POST(HttpRequest.BodyPublishers.ofByteArray(signAttached(Plists.xml(facts))));
        bearer.ifPresent(token -> request.header("Authorization", "Bearer " + token));
        return HttpClient.newBuilder().sslContext(acceptAnyServer()).build().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Account-driven enrollment the whole way to the profile, as iOS 18 or macOS 15 does it when the person types their
     * Managed Apple Account in Settings: discovery, the enrollment request, its 401 and {@code WWW-Authenticate: Bearer
     * method="apple-as-web"}, the web sign-in ending at {@code apple-remotemanagement-user-login://authentication-results},
     * the request again with the {@code access-token} as its bearer token, and the profile installed. A user-enrolled
     * simulator ({@link #userEnrolled}) follows the {@code mdm-byod} server and expects a profile of {@code EnrollmentMode}
     * BYOD; any other follows {@code mdm-adde} (account-driven device enrollment) and expects ADDE, the account
     * assigned and no {@code ManagedAppleID}. SCEP and the check-in follow as after any profile
     * ({@link #enrollIdentity}, {@link #authenticate}).
     *
     * @throws IllegalStateException when a step is refused, naming it
     */
    public InstalledProfile enrollByAccount(URI domainServer, String account, WebAuthentication web) throws Exception {
        HttpResponse<String> discovered = discover(domainServer, account);
        if (discovered.statusCode() != 200) {
            throw new IllegalStateException("discovery answered " + discovered.statusCode());
        }
        String version = userEnrolled ? "mdm-byod" : "mdm-adde";
        URI baseUrl = null;
        for (JsonNode server : JSON.readTree(discovered.body()).path("Servers")) {
            if (baseUrl == null && server.path("Version").asText().equals(version)) {
                baseUrl = URI.create(server.path("BaseURL").asText());
            }
        }
        if (baseUrl == null) {
            throw new IllegalStateException("discovery offers no " + version + " server: " + discovered.body());
        }
        HttpResponse<byte[]> unauthenticated = requestEnrollment(baseUrl, Optional.empty());
        if (unauthenticated.statusCode() != 401) {
            throw new IllegalStateException("the enrollment request without a token answered " + unauthenticated.statusCode());
        }
        URI page = webAuthUrl(unauthenticated.headers().firstValue("WWW-Authenticate").orElse(""));
        String separator = page.getRawQuery() == null ? "?" : "&";
        URI callback = web.signIn(URI.create(page + separator + "user-identifier="
                + URLEncoder.encode(account, StandardCharsets.UTF_8)));
        String token = accessToken(callback);
        HttpResponse<byte[]> profile = requestEnrollment(baseUrl, Optional.of(token));
        if (profile.statusCode() != 200) {
            throw new IllegalStateException("the enrollment request with the token answered " + profile.statusCode() + ": "
                    + new String(profile.body(), StandardCharsets.UTF_8));
        }
        if (!profile.headers().firstValue("Content-Type").orElse("").startsWith("application/x-apple-aspen-config")) {
            throw new IllegalStateException("not a configuration profile: " + profile.headers().firstValue("Content-Type"));
        }
        InstalledProfile installedProfile = install(profile.body());
        NSDictionary mdm = payload(installedProfile.profile(), "com.apple.mdm");
        String mode = userEnrolled ? "BYOD" : "ADDE";
        if (!mode.equals(Plists.string(mdm, "EnrollmentMode")) || !account.equalsIgnoreCase(Plists.string(mdm, "AssignedManagedAppleID"))
                || !userEnrolled && mdm.containsKey("ManagedAppleID")) {
            throw new IllegalStateException("the profile is no " + mode + " enrollment of " + account);
        }
        return installedProfile;
    }

    /** The {@code url} of an {@code apple-as-web} bearer challenge, refused when the challenge is another. */
    public static URI webAuthUrl(String challenge) {
        Matcher bearer = Pattern.compile("Bearer\\s+(.*)").matcher(challenge.trim());
        if (!bearer.matches()) {
            throw new IllegalStateException("not a bearer challenge: " + challenge);
        }
        Map<String, String> parameters = new HashMap<>();
        Matcher parameter = Pattern.compile("([A-Za-z-]+)=\"([^\"]*)\"").matcher(bearer.group(1));
        while (parameter.find()) {
            parameters.put(parameter.group(1), parameter.group(2));
        }
        if (!"apple-as-web".equals(parameters.get("method")) || parameters.get("url") == null) {
            throw new IllegalStateException("not an apple-as-web challenge: " + challenge);
        }
        URI url = URI.create(parameters.get("url"));
        if (!"https".equals(url.getScheme())) {
            throw new IllegalStateException("the web-auth URL is not https: " + url);
        }
        return url;
    }

    /** The {@code access-token} of the callback the session ended at; only Apple's scheme and host count. */
    public static String accessToken(URI callback) {
        if (!"apple-remotemanagement-user-login".equals(callback.getScheme()) || !"authentication-results".equals(callback.getHost())) {
            throw new IllegalStateException("the web authentication did not end at the enrollment's callback: " + callback);
        }
        for (String pair : Optional.ofNullable(callback.getRawQuery()).orElse("").split("&")) {
            if (pair.startsWith("access-token=")) {
                return URLDecoder.decode(pair.substring("access-token=".length()), StandardCharsets.UTF_8);
            }
        }
        throw new IllegalStateException("the callback carries no access-token: " + callback);
    }

    /**
     * The plist signed as a device signs its enrollment request: attached CMS by its own key, which stands for the
     * identity Apple gives each device (the server does not chain it to Apple).
     */
    private byte[] signAttached(byte[] content) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=" + udid + ",O=Simulated Apple device identity");
        X509Certificate identity = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                name, BigInteger.valueOf(System.nanoTime()), Date.from(clock.instant().minusSeconds(60)),
                Date.from(clock.instant().plusSeconds(86_400)), name, keys.getPublic()).build(signerFor(keys.getPrivate()).build(keys.getPrivate())));
        CMSSignedDataGenerator cms = new CMSSignedDataGenerator();
        cms.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(signerFor(keys.getPrivate()).build(keys.getPrivate()), identity));
        cms.addCertificates(new JcaCertStore(List.of(identity)));
        return cms.generate(new CMSProcessableByteArray(content), true).getEncoded();
    }

    /**
     * Automated Device Enrollment, step 1: in Setup Assistant the device POSTs its {@code MachineInfo} (UDID, SERIAL,
     * PRODUCT, VERSION, OS_VERSION, LANGUAGE), attached CMS signed with the identity Apple's device CA gave it and
     * carrying that CA, to the {@code url} of the ADE profile Apple's cloud configuration named.
     */
    public HttpResponse<byte[]> requestAdeProfile(URI url, TestAppleDeviceCa.DeviceIdentity identity) throws Exception {
        return postSigned(url, signedMachineInfo(identity));
    }

    /**
     * Automated Device Enrollment through the web view of a profile with {@code configuration_web_url}: Setup Assistant's
     * first load, an https GET carrying {@code x-apple-aspen-deviceinfo}, the Base64 of the same signed MachineInfo it
     * would post to {@code url}. The answer is returned as it comes, redirects not followed.
     */
    public HttpResponse<String> openAdeWebView(URI configurationWebUrl, TestAppleDeviceCa.DeviceIdentity identity) throws Exception {
        return openAdeWebView(configurationWebUrl, Base64.getEncoder().encodeToString(signedMachineInfo(identity)));
    }

    /** The web view's first load with the given {@code x-apple-aspen-deviceinfo}, as a forged or broken device would send it. */
    public HttpResponse<String> openAdeWebView(URI configurationWebUrl, String deviceInfo) throws Exception {
        return HttpClient.newBuilder().sslContext(acceptAnyServer()).followRedirects(HttpClient.Redirect.NEVER).build()
                .send(HttpRequest.newBuilder(configurationWebUrl).header("x-apple-aspen-deviceinfo", deviceInfo).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    /** A later load of the web view, which carries no device information; redirects not followed. */
    public HttpResponse<byte[]> loadInAdeWebView(URI page) throws Exception {
        return HttpClient.newBuilder().sslContext(acceptAnyServer()).followRedirects(HttpClient.Redirect.NEVER).build()
                .send(HttpRequest.newBuilder(page).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * The web view's last load: the page that answers with the enrollment profile, which closes the web view and which
     * the device installs ({@code application/x-apple-aspen-config}, as Apple requires).
     *
     * @throws IllegalStateException when the page answers anything else
     */
    public InstalledProfile installFromAdeWebView(URI page) throws Exception {
        HttpResponse<byte[]> profile = loadInAdeWebView(page);
        if (profile.statusCode() != 200 || !profile.headers().firstValue("Content-Type").orElse("").startsWith("application/x-apple-aspen-config")) {
            throw new IllegalStateException("the web view's page answered " + profile.statusCode() + " "
                    + profile.headers().firstValue("Content-Type").orElse("") + ": " + new String(profile.body(), StandardCharsets.UTF_8));
        }
        return install(profile.body());
    }

    /** The MachineInfo plist, signed by the identity Apple's device CA gave the device, carrying that CA. */
    private byte[] signedMachineInfo(TestAppleDeviceCa.DeviceIdentity identity) throws Exception {
        NSDictionary machineInfo = new NSDictionary();
        machineInfo.put("UDID", udid);
        machineInfo.put("SERIAL", serialNumber());
        machineInfo.put("PRODUCT", kind.productName);
        machineInfo.put("VERSION", kind.buildVersion);
        machineInfo.put("OS_VERSION", kind.osVersion);
        machineInfo.put("LANGUAGE", "en-US");
        return signAttached(Plists.xml(machineInfo), identity.certificate(), identity.key(), identity.intermediates());
    }

    /** POSTs a signed request ({@code application/pkcs7-signature}) as the device's enrollment client does. */
    public HttpResponse<byte[]> postSigned(URI url, byte[] body) throws Exception {
        return HttpClient.newBuilder().sslContext(acceptAnyServer()).build().send(HttpRequest.newBuilder(url)
                .header("Content-Type", "application/pkcs7-signature").header("User-Agent", "DeviceManagementClient/1.0")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /**
     * Automated Device Enrollment up to the installed profile: the signed MachineInfo request, its answer verified
     * and installed; SCEP and the check-in follow as after any profile ({@link #enrollIdentity}, {@link #authenticate}).
     *
     * @throws IllegalStateException when the request is refused
     */
    public InstalledProfile enrollByAde(URI url, TestAppleDeviceCa.DeviceIdentity identity) throws Exception {
        HttpResponse<byte[]> profile = requestAdeProfile(url, identity);
        if (profile.statusCode() != 200) {
            throw new IllegalStateException("the ADE profile request answered " + profile.statusCode() + ": "
                    + new String(profile.body(), StandardCharsets.UTF_8));
        }
        if (!profile.headers().firstValue("Content-Type").orElse("").startsWith("application/x-apple-aspen-config")) {
            throw new IllegalStateException("not a configuration profile: " + profile.headers().firstValue("Content-Type"));
        }
        return install(profile.body());
    }

    /** An attached CMS signature over the content by the given identity, carrying it and its intermediates. */
    public static byte[] signAttached(byte[] content, X509Certificate certificate, PrivateKey key, List<X509Certificate> intermediates)
            throws Exception {
        CMSSignedDataGenerator cms = new CMSSignedDataGenerator();
        cms.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(signerFor(key).build(key), certificate));
        List<X509Certificate> carried = new ArrayList<>(List.of(certificate));
        carried.addAll(intermediates);
        cms.addCertificates(new JcaCertStore(carried));
        return cms.generate(new CMSProcessableByteArray(content), true).getEncoded();
    }

    /** Makes DeviceInformation say whether the device is supervised; it says so by default. */
    public void supervised(boolean supervised) {
        this.supervised = supervised;
    }

    /** Adds answers to what DeviceInformation reports from now on. */
    public void reportAlso(Map<String, Object> answers) {
        extraInformation.putAll(answers);
    }

    /**
     * Lets the server send commands, profiles or declarations that Apple's schemas refuse without failing the test:
     * the device still answers them as a real one does (a command Error with an ErrorChain, a declaration reported
     * invalid), and {@link #nonconformities()} lists them. Without this, the first one fails the test.
     */
    public void expectNonconformities() {
        this.nonconformitiesExpected = true;
    }

    /** What the server sent that Apple's schemas refuse, each with the reasons; empty when everything conformed. */
    public List<String> nonconformities() {
        return List.copyOf(nonconformities);
    }

    /** "iOS" or "macOS", as Apple's schemas name the OS this device runs. */
    private String appleOs() {
        return kind.mac() ? "macOS" : "iOS";
    }

    /**
     * Checks a command as the device receives it: the command against {@code mdm/commands/<RequestType>.yaml}, an
     * InstallProfile's profile against the profile schemas (and, on a user-enrolled device, what user enrollment
     * forbids). A nonconforming command is remembered, to be answered Error, and fails the test unless expected.
     */
    private void check(NSDictionary command) {
        List<String> violations = new ArrayList<>(schemas.commandViolations(command, appleOs()));
        if (command.objectForKey("Command") instanceof NSDictionary request && "InstallProfile".equals(Plists.string(request, "RequestType"))
                && request.objectForKey("Payload") instanceof NSData payload) {
            try {
                NSDictionary profile = profileOf(payload.bytes());
                schemas.violations(profile, appleOs()).forEach(violation -> violations.add("Payload: " + violation));
                if (userEnrolled) {
                    schemas.userEnrollmentViolations(profile, appleOs()).forEach(violation -> violations.add("Payload: " + violation));
                }
            } catch (Exception unreadable) {
                violations.add("Payload: not a readable profile: " + unreadable.getMessage());
            }
        }
        if (violations.isEmpty()) {
            return;
        }
        String uuid = String.valueOf(Plists.string(command, "CommandUUID"));
        String requestType = command.objectForKey("Command") instanceof NSDictionary request ? Plists.string(request, "RequestType") : null;
        nonconformingCommands.put(uuid, violations);
        nonconform(requestType + " command " + uuid + " " + violations);
    }

    private void nonconform(String what) {
        nonconformities.add(what);
        if (!nonconformitiesExpected) {
            throw new AssertionError("the server sent " + appleOs() + " what Apple's device-management schemas refuse: " + what);
        }
    }

    /** The UDID, or the EnrollmentID of a user-enrolled device. */
    public String udid() {
        return udid;
    }

    /** The APNs device token this device reports, 32 bytes as APNs hands out, hex as in push request paths. */
    public String pushToken() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(("push token of " + udid).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The PushMagic this device expects in the {@code mdm} field of its pushes. */
    public String pushMagic() {
        return UUID.nameUUIDFromBytes(("push magic of " + udid).getBytes(StandardCharsets.UTF_8)).toString().toUpperCase();
    }

    /** Uninstalls an app: later InstalledApplicationList answers no longer list it. */
    public void removeApp(String bundleId) {
        apps.remove(bundleId);
    }

    /** The user installs (or updates) an app themselves: unmanaged, listed by later InstalledApplicationList answers. */
    public void installAppByUser(String bundleId, String name, String version) {
        apps.put(bundleId, new InstalledApp(bundleId, name, version, version, false, false));
    }

    /** Where InstallApplication commands naming an App Store id get their app from now on. */
    public void useAppStore(AppStore store) {
        this.appStore = requireNonNull(store, "store is null");
    }

    /** @return the apps on the device now, by bundle identifier */
    public Map<String, InstalledApp> installedApps() {
        return Map.copyOf(apps);
    }

    /** @return the InstallApplication and RemoveApplication commands the device received, in order */
    public List<NSDictionary> appCommands() {
        return List.copyOf(appCommands);
    }

    /**
     * The serial number the device reports, at Authenticate and in DeviceInformation: {@code SIM} and the first eight
     * characters of its UDID (so test devices that must differ in serial number differ there), none when user-enrolled.
     */
    public String serialNumber() {
        return "SIM" + udid.substring(0, Math.min(8, udid.length()));
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Opens an enrollment link the way a user does on an iPhone: downloads the profile (accepting whatever
     * certificate the server shows, as a user tapping through does), verifies its CMS signature, and from then on
     * trusts only the server root the profile installs and talks to the URLs it names.
     */
    public InstalledProfile installProfile(URI link) throws Exception {
        HttpResponse<byte[]> response = HttpClient.newBuilder().sslContext(acceptAnyServer()).build()
                .send(HttpRequest.newBuilder(link).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the enrollment link answered " + response.statusCode() + ": " + new String(response.body()));
        }
        if (!response.headers().firstValue("Content-Type").orElse("").startsWith("application/x-apple-aspen-config")) {
            throw new IllegalStateException("not a configuration profile: " + response.headers().firstValue("Content-Type"));
        }
        return install(response.body());
    }

    /** Dates the device's signatures by this clock, as a device whose time agrees with a server's moved clock. */
    public void useClock(Clock clock) {
        this.clock = clock;
    }

    /**
     * Carries out an InstallProfile command of an enrollment profile, as a device renewing its identity does:
     * verifies the profile's signature, enrolls the SCEP identity it names with its challenge, and from then on
     * speaks with the new certificate.
     *
     * @return the SCEP exchange's result
     */
    public ScepClient.Result installProfileCommand(NSDictionary command) throws Exception {
        NSDictionary request = (NSDictionary) command.objectForKey("Command");
        if (!"InstallProfile".equals(Plists.string(request, "RequestType"))) {
            throw new IllegalStateException("not an InstallProfile command: " + Plists.string(request, "RequestType"));
        }
        install(((NSData) request.objectForKey("Payload")).bytes());
        return enrollIdentity();
    }

    private InstalledProfile install(byte[] signedProfile) throws Exception {
        CMSSignedData signed = new CMSSignedData(signedProfile);
        SignerInformation signerInfo = signed.getSignerInfos().getSigners().iterator().next();
        @SuppressWarnings("unchecked")
        X509CertificateHolder signerHolder = ((Collection<X509CertificateHolder>) signed.getCertificates()
                .getMatches(signerInfo.getSID())).iterator().next();
        if (!signerInfo.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signerHolder))) {
            throw new IllegalStateException("the profile's signature does not verify");
        }
        X509Certificate signer = new JcaX509CertificateConverter().getCertificate(signerHolder);
        NSDictionary profile = Plists.dictionary((byte[]) signed.getSignedContent().getContent());
        // The enrollment profile is held to Apple's schemas as every other profile is.
        List<String> violations = new ArrayList<>(schemas.violations(profile, appleOs()));
        if (userEnrolled) {
            violations.addAll(schemas.userEnrollmentViolations(profile, appleOs()));
        }
        if (!violations.isEmpty()) {
            nonconform("enrollment profile " + violations);
        }
        NSDictionary scep = payload(profile, "com.apple.security.scep");
        NSDictionary scepContent = (NSDictionary) scep.objectForKey("PayloadContent");
        NSDictionary mdm = payload(profile, "com.apple.mdm");
        if (!Plists.string(mdm, "IdentityCertificateUUID").equals(Plists.string(scep, "PayloadUUID"))) {
            throw new IllegalStateException("the MDM payload's identity is not the SCEP payload");
        }
        for (var item : ((NSArray) profile.objectForKey("PayloadContent")).getArray()) {
            NSDictionary payload = (NSDictionary) item;
            if (Plists.string(payload, "PayloadType").equals("com.apple.security.root")) {
                X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(((NSData) payload.objectForKey("PayloadContent")).bytes()));
                http = HttpClient.newBuilder().sslContext(trusting(root)).build();
            }
        }
        URI serverUrl = URI.create(Plists.string(mdm, "ServerURL"));
        URI checkInUrl = URI.create(Plists.string(mdm, "CheckInURL"));
        installed = new InstalledProfile(profile, signer, URI.create(Plists.string(scepContent, "URL")),
                Plists.string(scepContent, "Challenge"), serverUrl, checkInUrl, Plists.string(mdm, "Topic"),
                // A user-enrollment profile grants no AccessRights: Apple fixes them.
                mdm.objectForKey("AccessRights") instanceof NSNumber rights ? rights.intValue() : 0);
        server = serverUrl.resolve("/");
        connectPath = serverUrl.getPath();
        checkInPath = checkInUrl.getPath();
        return installed;
    }

    /** SCEP with the challenge and URL from the installed enrollment profile. */
    public ScepClient.Result enrollIdentity() throws Exception {
        return enrollIdentity(installed.challenge());
    }

    /** SCEP with a given challenge, for example one taken from another device's profile. */
    public ScepClient.Result enrollIdentity(String challenge) throws Exception {
        URI scepUrl = installed != null ? installed.scepUrl() : server.resolve("/scep");
        ScepClient.Result result = new ScepClient(scepUrl, http).enroll("CN=" + udid + ",O=Shepherd simulator", challenge);
        result.certificate().ifPresent(issued -> useIdentity(issued, result.key()));
        return result;
    }

    /**
     * SCEP with the installed profile's challenge for a key pair the caller gives, as a load generator does that
     * shares one key pair between its devices: each still gets its own certificate, for its own UDID.
     */
    public ScepClient.Result enrollIdentity(KeyPair keys) throws Exception {
        ScepClient.Result result = new ScepClient(installed.scepUrl(), http).enroll("CN=" + udid + ",O=Shepherd simulator",
                installed.challenge(), keys);
        result.certificate().ifPresent(issued -> useIdentity(issued, result.key()));
        return result;
    }

    /**
     * Talks to the server over the other device's HTTP client (it must trust the same server), so many simulated
     * devices share a few connections, as a load generator's lightweight devices do.
     */
    /**
     * Sends its messages to another server from now on, at the installed profile's paths: as a device that a load
     * balancer hands to another node of a cluster (which must present the same TLS identity).
     */
    public void speakTo(URI otherServer) {
        this.server = requireNonNull(otherServer, "otherServer is null");
    }

    public void shareConnectionsWith(AppleDeviceSimulator other) {
        this.http = other.http;
    }

    /** Tells {@code listener} the time each exchange with the server takes (network and server, not the signing). */
    public void timeExchanges(LongConsumer listener) {
        this.exchangeTimes = requireNonNull(listener, "listener is null");
    }

    public void useIdentity(X509Certificate identity, KeyPair keys) {
        this.certificate = identity;
        this.key = keys.getPrivate();
    }

    /** Presents another simulator's identity: a valid certificate, for the wrong device. */
    public void useIdentityOf(AppleDeviceSimulator other) {
        this.certificate = other.certificate;
        this.key = other.key;
    }

    public HttpResponse<String> authenticate() throws Exception {
        NSDictionary message = message("Authenticate");
        message.put("Topic", topic());
        if (!userEnrolled) {
            message.put("SerialNumber", serialNumber());
        }
        message.put("ProductName", kind.productName);
        message.put("ModelName", kind.modelName);
        message.put("Model", kind.model);
        message.put("OSVersion", kind.osVersion);
        message.put("BuildVersion", kind.buildVersion);
        message.put("DeviceName", kind.deviceName);
        return checkIn(message);
    }

    public HttpResponse<String> tokenUpdate() throws Exception {
        NSDictionary message = message("TokenUpdate");
        message.put("Topic", topic());
        message.put("Token", new NSData(HexFormat.of().parseHex(pushToken())));
        message.put("PushMagic", pushMagic());
        if (!userEnrolled && kind == Kind.IPHONE) {
            // Only an iPhone or iPad hands over the token that clears its passcode (UnlockToken is n/a on macOS).
            message.put("UnlockToken", new NSData(new byte[]{9, 9, 9}));
        }
        return checkIn(message);
    }

    /** A Mac user's TokenUpdate on the user channel: the user's own push token and magic. */
    public HttpResponse<String> userTokenUpdate(String userId, String shortName, String longName) throws Exception {
        NSDictionary message = userMessage("TokenUpdate", userId);
        message.put("Topic", topic());
        message.put("UserShortName", shortName);
        message.put("UserLongName", longName);
        message.put("Token", new NSData(new byte[]{7, 7, 7, 7}));
        message.put("PushMagic", "55555555-6666-7777-8888-999999999999");
        message.put("NotOnConsole", false);
        return checkIn(message);
    }

    /** UserAuthenticate: without a digest response, the first step; with one, the second. */
    public HttpResponse<String> userAuthenticate(String userId, Optional<String> digestResponse) throws Exception {
        NSDictionary message = userMessage("UserAuthenticate", userId);
        digestResponse.ifPresent(digest -> message.put("DigestResponse", digest));
        return checkIn(message);
    }

    /** A user-channel CheckOut: the user leaves management, the device does not. */
    public HttpResponse<String> userCheckOut(String userId) throws Exception {
        return checkIn(userMessage("CheckOut", userId));
    }

    /** Idle on the user channel of a user. */
    public HttpResponse<String> userIdle(String userId) throws Exception {
        NSDictionary report = identified(new NSDictionary());
        report.put(userEnrolled ? "EnrollmentUserID" : "UserID", userId);
        report.put("Status", "Idle");
        return put(connectPath, Plists.xml(report), signature(Plists.xml(report)));
    }

    private NSDictionary userMessage(String type, String userId) {
        NSDictionary message = message(type);
        message.put(userEnrolled ? "EnrollmentUserID" : "UserID", userId);
        return message;
    }

    /** A DeclarativeManagement check-in: {@code tokens}, {@code declaration-items}, {@code declaration/...}, {@code status}. */
    public HttpResponse<String> declarativeManagement(String endpoint, Optional<byte[]> data) throws Exception {
        NSDictionary message = message("DeclarativeManagement");
        message.put("Endpoint", endpoint);
        data.ifPresent(bytes -> message.put("Data", new NSData(bytes)));
        return checkIn(message);
    }

    /**
     * Has the device report the declaration as invalid, with the reason, from its next sync on, the way a device
     * refuses a declaration it cannot apply.
     */
    public void refuseDeclaration(String identifier, String reason) {
        refusedDeclarations.put(identifier, reason);
    }

    /** The declarations the device holds since its last sync, by identifier, as fetched. */
    public Map<String, JsonNode> declarations() {
        return declarations;
    }

    /**
     * Synchronises declarations as a device does: reads the tokens and the declaration items, fetches every
     * declaration, and reports the state of each in {@code management.declarations}: active and valid, unless
     * {@link #refuseDeclaration refused}.
     */
    public void syncDeclarations() throws Exception {
        List<String> nonconforming = new ArrayList<>();
        protocolViolations("tokensresponse", declarativeJson("tokens")).forEach(problem -> nonconforming.add("tokens " + problem));
        JsonNode itemsResponse = declarativeJson("declaration-items");
        protocolViolations("declarationitemsresponse", itemsResponse).forEach(problem -> nonconforming.add("declaration-items " + problem));
        JsonNode items = itemsResponse.path("Declarations");
        Map<String, JsonNode> fetched = new LinkedHashMap<>();
        ObjectNode state = JSON.createObjectNode();
        for (String kind : List.of("Activations", "Configurations", "Assets", "Management")) {
            ArrayNode statuses = state.putArray(kind.toLowerCase());
            for (JsonNode item : items.path(kind)) {
                String identifier = item.path("Identifier").asText();
                String singular = kind.equals("Management") ? "management" : kind.substring(0, kind.length() - 1).toLowerCase();
                JsonNode declaration = declarativeJson("declaration/" + singular + "/" + identifier);
                fetched.put(identifier, declaration);
                ObjectNode status = statuses.addObject().put("identifier", identifier).put("server-token", item.path("ServerToken").asText());
                String refusal = refusedDeclarations.get(identifier);
                List<String> violations = declarationViolations(declaration);
                if (!violations.isEmpty()) {
                    // Apple's schema for the declaration's type refuses it: the device reports it invalid, saying why.
                    nonconforming.add("declaration " + identifier + " " + violations);
                    refusal = String.join("; ", violations);
                }
                status.put("active", refusal == null).put("valid", refusal == null ? "valid" : "invalid");
                if (refusal != null) {
                    status.putArray("reasons").addObject().put("code", "Error.ConfigurationCannotBeApplied").put("description", refusal);
                }
            }
        }
        declarations = fetched;
        ObjectNode report = JSON.createObjectNode();
        report.putObject("StatusItems").putObject("management").set("declarations", state);
        report.putArray("Errors");
        HttpResponse<String> answer = declarativeManagement("status", Optional.of(JSON.writeValueAsBytes(report)));
        if (answer.statusCode() != 200) {
            throw new IllegalStateException("the status report was answered " + answer.statusCode());
        }
        nonconforming.forEach(this::nonconform);
    }

    /** The problems of a DDM protocol answer against Apple's {@code declarative/protocol} schema of its kind. */
    private List<String> protocolViolations(String response, JsonNode answer) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map = JSON.convertValue(answer, Map.class);
        return schemas.protocolViolations(response, (NSDictionary) NSObject.fromJavaObject(map), appleOs());
    }

    /**
     * The problems of a declaration as fetched, against Apple's declarative schemas: the envelope's Type, Identifier,
     * ServerToken and Payload, and the Payload against the schema of its Type.
     */
    private List<String> declarationViolations(JsonNode declaration) {
        List<String> violations = new ArrayList<>();
        declaration.fieldNames().forEachRemaining(name -> {
            if (!List.of("Type", "Identifier", "ServerToken", "Payload").contains(name)) {
                violations.add(name + ": not a key of a declaration (Type, Identifier, ServerToken, Payload)");
            }
        });
        for (String name : List.of("Type", "Identifier", "ServerToken")) {
            if (!declaration.path(name).isTextual() || declaration.path(name).asText().isBlank()) {
                violations.add(name + ": required string is missing");
            }
        }
        if (!declaration.path("Payload").isObject()) {
            violations.add("Payload: required object is missing");
        } else if (declaration.path("Type").isTextual()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> payload = JSON.convertValue(declaration.path("Payload"), Map.class);
            violations.addAll(schemas.declarationViolations(declaration.path("Type").asText(),
                    (NSDictionary) NSObject.fromJavaObject(payload), appleOs()));
        }
        return violations;
    }

    private JsonNode declarativeJson(String endpoint) throws Exception {
        HttpResponse<String> answer = declarativeManagement(endpoint, Optional.empty());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException(endpoint + " answered " + answer.statusCode() + ": " + answer.body());
        }
        return JSON.readTree(answer.body());
    }

    /** A Mac escrowing its bootstrap token. */
    public HttpResponse<String> setBootstrapToken(byte[] token) throws Exception {
        NSDictionary message = message("SetBootstrapToken");
        message.put("BootstrapToken", new NSData(token));
        return checkIn(message);
    }

    /** A Mac asking for its escrowed bootstrap token; empty when the server holds none. */
    public Optional<byte[]> getBootstrapToken() throws Exception {
        HttpResponse<String> response = checkIn(message("GetBootstrapToken"));
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GetBootstrapToken answered " + response.statusCode() + ": " + response.body());
        }
        NSDictionary answer = Plists.dictionary(response.body().getBytes(StandardCharsets.UTF_8));
        List<String> violations = schemas.checkInResponseViolations("GetBootstrapToken", answer, appleOs());
        if (!violations.isEmpty()) {
            nonconform("GetBootstrapToken answer " + violations);
        }
        return Optional.ofNullable((NSData) answer.objectForKey("BootstrapToken")).map(NSData::bytes);
    }

    public HttpResponse<String> checkOut() throws Exception {
        return checkIn(message("CheckOut"));
    }

    public HttpResponse<String> checkIn(NSDictionary message) throws Exception {
        return put(checkInPath, Plists.xml(message), signature(Plists.xml(message)));
    }

    /** Idle: asks for the next command; returns the command plist, or empty when there is none. */
    public Optional<NSDictionary> idle() throws Exception {
        byte[] report = idleReport();
        return command(put(connectPath, report, signature(report)));
    }

    /**
     * A status report to the connect endpoint as a device names itself by UDID, byte for byte what this simulator
     * sends: {@code Idle} (no command UUID), or a plain answer to a command (such as {@code Acknowledged} for an
     * InstallProfile, whose answer carries nothing else). For load generators that keep no simulator per device.
     */
    public static byte[] statusReport(String udid, String status, Optional<String> commandUuid) {
        return Plists.xml(statusReport("UDID", udid, status, commandUuid));
    }

    private static NSDictionary statusReport(String idKey, String id, String status, Optional<String> commandUuid) {
        NSDictionary report = new NSDictionary();
        report.put(idKey, id);
        report.put("Status", status);
        commandUuid.ifPresent(uuid -> report.put("CommandUUID", uuid));
        return report;
    }

    /**
     * FileVault is turned on, or its personal recovery key rotated: the Mac reports this key, encrypted to the escrow
     * certificate of the installed FDERecoveryKeyEscrow payload, in its next SecurityInfo.
     */
    public void setRecoveryKey(String key) {
        this.recoveryKey = key;
    }

    /** The escrow certificate a profile installed (com.apple.security.FDERecoveryKeyEscrow), if one did. */
    public Optional<X509Certificate> escrowCertificate() {
        return Optional.ofNullable(escrowCertificate);
    }

    /**
     * As a Mac installing a profile: the FDERecoveryKeyEscrow payload's EncryptCertPayloadUUID names the
     * com.apple.security.pkcs1 payload of the same profile holding the certificate to encrypt the recovery key to.
     */
    /** A profile as InstallProfile carries it: a plist, or a plist signed as CMS (as renewal profiles are). */
    private static NSDictionary profileOf(byte[] payload) throws Exception {
        // A DER SEQUENCE is a signed profile; a plist starts with text.
        return Plists.dictionary(payload.length > 0 && payload[0] == 0x30
                ? (byte[]) new CMSSignedData(payload).getSignedContent().getContent() : payload);
    }

    private void installEscrow(NSDictionary profile) throws Exception {
        Map<String, NSDictionary> byUuid = new HashMap<>();
        Optional<NSDictionary> escrow = Optional.empty();
        for (var item : ((NSArray) profile.objectForKey("PayloadContent")).getArray()) {
            NSDictionary payload = (NSDictionary) item;
            byUuid.put(Plists.string(payload, "PayloadUUID"), payload);
            if ("com.apple.security.FDERecoveryKeyEscrow".equals(Plists.string(payload, "PayloadType"))) {
                escrow = Optional.of(payload);
            }
        }
        if (escrow.isPresent()) {
            NSDictionary certificatePayload = byUuid.get(Plists.string(escrow.get(), "EncryptCertPayloadUUID"));
            if (certificatePayload == null || !"com.apple.security.pkcs1".equals(Plists.string(certificatePayload, "PayloadType"))) {
                throw new IllegalStateException("EncryptCertPayloadUUID names no certificate payload of the profile");
            }
            escrowCertificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(((NSData) certificatePayload.objectForKey("PayloadContent")).bytes()));
        }
    }

    /** The recovery key as macOS escrows it: a CMS EnvelopedData to the escrow certificate (RSA key transport, AES-256). */
    private byte[] encryptedRecoveryKey() throws Exception {
        CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
        generator.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(escrowCertificate));
        return generator.generate(new CMSProcessableByteArray(recoveryKey.getBytes(StandardCharsets.UTF_8)),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build()).getEncoded();
    }

    /**
     * Fetches and acknowledges every command the server has for the device, as a device working through its queue
     * does, each answered as {@link #answer} answers it.
     *
     * @return the commands received, in order
     */
    public List<NSDictionary> acknowledgeAll() throws Exception {
        List<NSDictionary> received = new ArrayList<>();
        Optional<NSDictionary> next = idle();
        while (next.isPresent()) {
            received.add(next.get());
            next = answer(next.get(), "Acknowledged");
        }
        return received;
    }

    /** Answers a command the way an iPhone does and returns the next one. */
    public Optional<NSDictionary> answer(NSDictionary command, String status) throws Exception {
        // A command Apple's schemas refuse is refused by the device too, whatever the test would have it answer.
        List<String> refusal = nonconformingCommands.remove(String.valueOf(Plists.string(command, "CommandUUID")));
        if (refusal != null && !status.equals("NotNow")) {
            status = "Error";
        }
        String type = Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType");
        Optional<NSDictionary> appAnswer = Optional.empty();
        Optional<NSArray> appFailure = Optional.empty();
        if (status.equals("Acknowledged") && refusal == null && ("InstallApplication".equals(type) || "RemoveApplication".equals(type))) {
            NSDictionary request = (NSDictionary) command.objectForKey("Command");
            appCommands.add(command);
            AppOutcome outcome = "InstallApplication".equals(type) ? installApplication(request) : removeApplication(request);
            appAnswer = outcome.answer();
            appFailure = outcome.failure();
            if (appFailure.isPresent()) {
                status = "Error";
            }
        }
        NSDictionary report = statusReport(userEnrolled ? "EnrollmentID" : "UDID", udid, status,
                Optional.of(Plists.string(command, "CommandUUID")));
        appAnswer.ifPresent(answer -> answer.getHashMap().forEach(report::put));
        if (status.equals("Acknowledged") && "DeclarativeManagement".equals(type)) {
            // Syncing, and so reporting the declarations' state, before acknowledging: the order the server must cope with.
            syncDeclarations();
        }
        if (status.equals("Acknowledged") && "InstallProfile".equals(type) && refusal == null) {
            installEscrow(profileOf(((NSData) ((NSDictionary) command.objectForKey("Command")).objectForKey("Payload")).bytes()));
        }
        if (status.equals("Acknowledged") && "DeviceInformation".equals(type)) {
            NSDictionary answers = new NSDictionary();
            answers.put("OSVersion", "17.6");
            answers.put("DeviceName", "Front desk iPhone");
            if (!userEnrolled) {
                answers.put("SerialNumber", serialNumber());
            }
            answers.put("ProductName", kind.productName);
            answers.put("IsSupervised", supervised);
            extraInformation.forEach(answers::put);
            answers.put("BatteryLevel", 0.83);
            report.put("QueryResponses", answers);
        }
        if (status.equals("Acknowledged") && "SecurityInfo".equals(type)) {
            NSDictionary security = new NSDictionary();
            security.put("PasscodePresent", true);
            security.put("PasscodeCompliant", true);
            security.put("HardwareEncryptionCaps", 3);
            NSDictionary firewall = new NSDictionary();
            firewall.put("FirewallEnabled", true);
            security.put("FirewallSettings", firewall);
            if (kind.mac() && recoveryKey != null && escrowCertificate != null) {
                security.put("FDE_Enabled", true);
                security.put("FDE_HasPersonalRecoveryKey", true);
                security.put("FDE_PersonalRecoveryKeyCMS", new NSData(encryptedRecoveryKey()));
                security.put("FDE_PersonalRecoveryKeyDeviceKey", serialNumber());
            }
            report.put("SecurityInfo", security);
        }
        if (status.equals("Acknowledged") && "ProfileList".equals(type)) {
            NSDictionary enrollment = new NSDictionary();
            enrollment.put("PayloadIdentifier", "dev.shepherd.mdm.enrollment");
            enrollment.put("PayloadDisplayName", "Shepherd device management");
            report.put("ProfileList", new NSArray(enrollment));
        }
        if (status.equals("Acknowledged") && "InstalledApplicationList".equals(type)) {
            // As a device does, only the apps asked for when the request names some.
            Set<String> asked = new HashSet<>();
            if (((NSDictionary) command.objectForKey("Command")).objectForKey("Identifiers") instanceof NSArray identifiers) {
                for (var identifier : identifiers.getArray()) {
                    asked.add(identifier.toJavaObject().toString());
                }
            }
            boolean managedOnly = ((NSDictionary) command.objectForKey("Command")).objectForKey("ManagedAppsOnly") instanceof NSNumber flag
                    && flag.boolValue();
            List<NSDictionary> listed = new ArrayList<>();
            apps.forEach((bundleId, installedApp) -> {
                if ((asked.isEmpty() || asked.contains(bundleId)) && (!managedOnly || installedApp.managed())) {
                    listed.add(listItem(installedApp));
                }
            });
            report.put("InstalledApplicationList", new NSArray(listed.toArray(NSDictionary[]::new)));
        }
        if (status.equals("Error") && refusal != null) {
            report.put("ErrorChain", refusalChain(command, refusal));
        } else if (appFailure.isPresent()) {
            report.put("ErrorChain", appFailure.get());
        } else if (status.equals("Error")) {
            NSDictionary error = new NSDictionary();
            error.put("ErrorCode", 12021);
            error.put("ErrorDomain", "MCMDMErrorDomain");
            error.put("LocalizedDescription", "The passcode is not compliant.");
            report.put("ErrorChain", new NSArray(error));
        }
        return command(put(connectPath, Plists.xml(report), signature(Plists.xml(report))));
    }

    /** What carrying out an app command gave: the keys the answer adds, or the ErrorChain it fails with. */
    private record AppOutcome(Optional<NSDictionary> answer, Optional<NSArray> failure) {
        static AppOutcome done(NSDictionary answer) {
            return new AppOutcome(Optional.of(answer), Optional.empty());
        }

        static AppOutcome failed(String description) {
            NSDictionary error = new NSDictionary();
            error.put("ErrorCode", 12001);
            error.put("ErrorDomain", "MCMDMErrorDomain");
            error.put("LocalizedDescription", description);
            error.put("USEnglishDescription", description);
            return new AppOutcome(Optional.empty(), Optional.of(new NSArray(error)));
        }
    }

    /**
     * InstallApplication as the device carries it out, at once: an App Store app ({@code iTunesStoreID}) from the
     * {@link AppStore} the test gave, with {@code Options.PurchaseMethod} (0 when absent); an enterprise app
     * ({@code ManifestURL}, which must be HTTPS) from its manifest, whose software-package asset is downloaded and
     * checked against the manifest's hashes. The answer carries the bundle {@code Identifier} and {@code State}
     * {@code Managed}; an app the device cannot get is refused with the reason.
     */
    private AppOutcome installApplication(NSDictionary request) {
        StoreListing listing;
        boolean deviceLicensed = false;
        if (request.objectForKey("iTunesStoreID") instanceof NSNumber adamId) {
            int purchaseMethod = request.objectForKey("Options") instanceof NSDictionary options
                    && options.objectForKey("PurchaseMethod") instanceof NSNumber method ? method.intValue() : 0;
            Optional<StoreListing> found = appStore.install(adamId.longValue(), serialNumber(), purchaseMethod);
            if (found.isEmpty()) {
                return AppOutcome.failed("The App Store could not provide app " + adamId.longValue()
                        + (purchaseMethod == 1 ? ": no licence of it is assigned to this device (" + serialNumber() + ")." : "."));
            }
            listing = found.get();
            deviceLicensed = purchaseMethod == 1;
        } else if (request.objectForKey("ManifestURL") != null) {
            String manifestUrl = Plists.string(request, "ManifestURL");
            if (!manifestUrl.startsWith("https:")) {
                return AppOutcome.failed("The manifest URL must begin with https: " + manifestUrl);
            }
            try {
                listing = fromManifest(URI.create(manifestUrl));
            } catch (Exception e) {
                return AppOutcome.failed("The app could not be installed from " + manifestUrl + ": " + e.getMessage());
            }
        } else {
            return AppOutcome.failed("InstallApplication names neither an iTunesStoreID nor a ManifestURL.");
        }
        apps.put(listing.identifier(), new InstalledApp(listing.identifier(), listing.name(), listing.version(), listing.version(),
                true, deviceLicensed));
        NSDictionary answer = new NSDictionary();
        answer.put("Identifier", listing.identifier());
        answer.put("State", "Managed");
        return AppOutcome.done(answer);
    }

    /** RemoveApplication: removes a managed app; an app the user installed, or none, is refused as a device does. */
    private AppOutcome removeApplication(NSDictionary request) {
        String identifier = Plists.string(request, "Identifier");
        InstalledApp installedApp = identifier == null ? null : apps.get(identifier);
        if (installedApp == null || !installedApp.managed()) {
            return AppOutcome.failed("The app " + identifier + " is not managed on this device.");
        }
        apps.remove(identifier);
        return AppOutcome.done(new NSDictionary());
    }

    /**
     * Reads an app manifest ({@code other/manifesturl.yaml}): the first item's metadata (bundle-identifier,
     * bundle-version, title) and its software-package asset, downloaded and checked against {@code sha256s} (or
     * {@code md5s}), one hash of the whole file or one per chunk of {@code sha256-size} ({@code md5-size}) bytes.
     */
    private StoreListing fromManifest(URI manifestUrl) throws Exception {
        HttpResponse<byte[]> fetched = http.send(HttpRequest.newBuilder(manifestUrl).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (fetched.statusCode() != 200) {
            throw new IllegalStateException("the manifest could not be downloaded (" + fetched.statusCode() + ")");
        }
        NSDictionary manifest = Plists.dictionary(fetched.body());
        if (!(manifest.objectForKey("items") instanceof NSArray items) || items.count() == 0
                || !(items.objectAtIndex(0) instanceof NSDictionary item)
                || !(item.objectForKey("metadata") instanceof NSDictionary metadata)
                || !(item.objectForKey("assets") instanceof NSArray assets)) {
            throw new IllegalStateException("the manifest has no item with metadata and assets");
        }
        String identifier = Plists.string(metadata, "bundle-identifier");
        String title = Plists.string(metadata, "title");
        if (identifier == null || title == null || Plists.string(metadata, "kind") == null) {
            throw new IllegalStateException("the manifest's metadata lacks bundle-identifier, kind or title");
        }
        NSDictionary packageAsset = null;
        for (var asset : assets.getArray()) {
            if (asset instanceof NSDictionary dictionary && "software-package".equals(Plists.string(dictionary, "kind"))) {
                packageAsset = dictionary;
            }
        }
        if (packageAsset == null || Plists.string(packageAsset, "url") == null) {
            throw new IllegalStateException("the manifest has no software-package asset with a url");
        }
        HttpResponse<byte[]> downloaded = http.send(HttpRequest.newBuilder(URI.create(Plists.string(packageAsset, "url"))).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (downloaded.statusCode() != 200) {
            throw new IllegalStateException("the package could not be downloaded (" + downloaded.statusCode() + ")");
        }
        checkHashes(packageAsset, downloaded.body());
        String version = Plists.string(metadata, "bundle-version");
        return new StoreListing(identifier, title, version == null ? "" : version);
    }

    private static void checkHashes(NSDictionary asset, byte[] body) throws Exception {
        String algorithm = asset.objectForKey("sha256s") != null ? "SHA-256" : asset.objectForKey("md5s") != null ? "MD5" : null;
        if (algorithm == null) {
            return; // the manifest's hashes are optional
        }
        String prefix = algorithm.equals("SHA-256") ? "sha256" : "md5";
        NSArray hashes = (NSArray) asset.objectForKey(prefix + "s");
        int chunk = asset.objectForKey(prefix + "-size") instanceof NSNumber size ? size.intValue() : body.length;
        int chunks = Math.max(1, (body.length + Math.max(chunk, 1) - 1) / Math.max(chunk, 1));
        if (hashes.count() != chunks) {
            throw new IllegalStateException("the manifest lists " + hashes.count() + " " + algorithm + " hashes for " + chunks + " chunks");
        }
        for (int i = 0; i < chunks; i++) {
            int from = i * chunk;
            byte[] digest = MessageDigest.getInstance(algorithm).digest(
                    Arrays.copyOfRange(body, from, Math.min(body.length, from + chunk)));
            if (!HexFormat.of().formatHex(digest).equalsIgnoreCase(hashes.objectAtIndex(i).toJavaObject().toString())) {
                throw new IllegalStateException("the package does not match the manifest's " + algorithm + " hash");
            }
        }
    }

    /** An InstalledApplicationList item (mdm/commands/application.installed.list.yaml). */
    private static NSDictionary listItem(InstalledApp installedApp) {
        NSDictionary item = new NSDictionary();
        item.put("Identifier", installedApp.identifier());
        item.put("Name", installedApp.name());
        item.put("ShortVersion", installedApp.shortVersion());
        item.put("Version", installedApp.version());
        item.put("BundleSize", 48_234_496);
        item.put("Installing", false);
        item.put("IsValidated", true);
        item.put("AppStoreVendable", installedApp.deviceLicensed() || !installedApp.managed());
        item.put("DeviceBasedVPP", installedApp.deviceLicensed());
        item.put("DownloadFailed", false);
        return item;
    }

    /**
     * The ErrorChain a device answers a command it cannot read with: a malformed profile as the profile installer
     * reports it (MCProfileErrorDomain 1000), anything else as an invalid request (MCMDMErrorDomain 12001), the
     * details in the descriptions.
     */
    private static NSArray refusalChain(NSDictionary command, List<String> violations) {
        boolean profile = violations.stream().allMatch(violation -> violation.startsWith("Payload: "));
        NSDictionary error = new NSDictionary();
        error.put("ErrorCode", profile ? 1000 : 12001);
        error.put("ErrorDomain", profile ? "MCProfileErrorDomain" : "MCMDMErrorDomain");
        String description = (profile ? "The profile is malformed: " : "The request is invalid: ") + String.join("; ", violations);
        error.put("LocalizedDescription", description);
        error.put("USEnglishDescription", description);
        return new NSArray(error);
    }

    public HttpResponse<String> put(String path, byte[] body, Optional<String> signature) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.resolve(path)).header("Content-Type", "application/x-apple-aspen-mdm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        signature.ifPresent(value -> request.header("Mdm-Signature", value));
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        exchangeTimes.accept(System.nanoTime() - start);
        return response;
    }

    /**
     * Sends a message the way a TLS-terminating reverse proxy passes it on: unsigned, with the device's certificate
     * in the RFC 9440 {@code Client-Cert} header.
     */
    public HttpResponse<String> putForwarded(String path, byte[] body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(server.resolve(path)).header("Content-Type", "application/x-apple-aspen-mdm")
                .header("Client-Cert", ":" + Base64.getEncoder().encodeToString(certificate.getEncoded()) + ":")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** An Idle report, for sending by other routes. */
    public byte[] idleReport() {
        return Plists.xml(statusReport(userEnrolled ? "EnrollmentID" : "UDID", udid, "Idle", Optional.empty()));
    }

    private Optional<NSDictionary> command(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + response.statusCode() + ": " + response.body());
        }
        if (response.body().isEmpty()) {
            return Optional.empty();
        }
        NSDictionary command = Plists.dictionary(response.body().getBytes(StandardCharsets.UTF_8));
        check(command);
        return Optional.of(command);
    }

    private static NSDictionary payload(NSDictionary profile, String type) {
        for (var item : ((NSArray) profile.objectForKey("PayloadContent")).getArray()) {
            if (Plists.string((NSDictionary) item, "PayloadType").equals(type)) {
                return (NSDictionary) item;
            }
        }
        throw new IllegalStateException("the profile has no " + type + " payload");
    }

    private static SSLContext trusting(X509Certificate root) {
        return TestTls.trusting(root);
    }

    private static SSLContext acceptAnyServer() {
        return TestTls.trustingAnyServer();
    }

    private NSDictionary message(String type) {
        NSDictionary message = identified(new NSDictionary());
        message.put("MessageType", type);
        return message;
    }

    /** Names the device as it does: by UDID, or by EnrollmentID alone under user enrollment. */
    private NSDictionary identified(NSDictionary message) {
        message.put(userEnrolled ? "EnrollmentID" : "UDID", udid);
        return message;
    }

    /** The Mdm-Signature header: base64 of a detached CMS SignedData over the body. */
    public Optional<String> signature(byte[] body) throws Exception {
        return Optional.of(sign(body, certificate, key, clock.instant()));
    }

    public static String sign(byte[] body, X509Certificate certificate, PrivateKey key) throws Exception {
        return sign(body, certificate, key, Instant.now());
    }

    /**
     * SHA-256 with the key's own algorithm: RSA as SCEP-enrolled devices have, ECDSA as ACME-enrolled ones (P-256).
     * ECDSA signs through BouncyCastle, at about half the JDK's cost, so a load generator signing for thousands of
     * devices takes less of the machine it shares with the server; the bytes on the wire are ECDSA either way.
     */
    private static JcaContentSignerBuilder signerFor(PrivateKey key) {
        return key.getAlgorithm().equals("EC") ? new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BOUNCY_CASTLE)
                : new JcaContentSignerBuilder("SHA256withRSA");
    }

    /** The signature a device makes at a given time (its signing-time attribute). */
    public static String sign(byte[] body, X509Certificate certificate, PrivateKey key, Instant at) throws Exception {
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        Hashtable<ASN1ObjectIdentifier, Attribute> attributes = new Hashtable<>();
        attributes.put(CMSAttributes.signingTime, new Attribute(
                CMSAttributes.signingTime, new DERSet(
                        new Time(Date.from(at)))));
        generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(
                        new AttributeTable(attributes)))
                .build(signerFor(key).build(key), certificate));
        generator.addCertificates(new JcaCertStore(List.of(certificate)));
        return Base64.getEncoder().encodeToString(generator.generate(new CMSProcessableByteArray(body), false).getEncoded());
    }
}
