package dev.shepherd.plugins.ios;

import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AccountSignInDirectory;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentProfile;
import dev.shepherd.apple.Plists;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestTls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Account-driven enrollment of iPhones through the running server and the built plugin file, the person signing in
 * with their work password checked by an identity-provider plugin (a plugin file built by the test kit,
 * {@code corp-directory}), after Apple's
 * <a href="https://developer.apple.com/documentation/devicemanagement/implementing-the-simple-authentication-account-driven-enrollment-flow">
 * simple authentication account-driven enrollment flow</a>: discovery at the account's domain, the enrollment
 * request's 401 and {@code apple-as-web} challenge, the kernel's sign-in page in its web view, the bearer retry, the
 * profile, SCEP and the check-in. User enrollment ({@code mdm-byod}) of an iOS 18 iPhone: the person's, personal, by
 * EnrollmentID, gets its policy over MDM, cannot be fully wiped. Device enrollment ({@code mdm-adde}, iOS 17+) of an
 * organisation's iPhone: corporate, by UDID and serial number, every right, unsupervised. And what both refuse.
 */
class AccountDrivenEnrollmentIT {

    private static final String TOPIC = "com.apple.mgmt.External.5c0d3a9e-1b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DANA_PASSWORD = "Dana's work password";
    private static final String OMAR_PASSWORD = "Omar's work password";
    private static final String LEE_PASSWORD = "Lee's work password";

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;
    private static Kernel kernel;
    private static String groupId;
    private static String linkSecret;
    private static String companyGroupId;
    private static String deviceLinkSecret;
    /** The BaseURL the server publishes: at its public (HTTPS) address. */
    private static String baseUrl;

    @BeforeAll
    static void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
        AccountSignInDirectory.install(server, build, Map.of("dana@corp.example", DANA_PASSWORD, "omar@corp.example", OMAR_PASSWORD,
                "lee@fleet.example", LEE_PASSWORD));

        // The admin's setup: a group for BYOD phones, a personal iOS link that asks for the sign-in, account-driven
        // user enrollment turned on for the organisation's domain with that link; a group for the organisation's
        // phones, a corporate iOS link that asks for the sign-in, account-driven device enrollment for the fleet domain.
        groupId = admin("POST", "/api/v1/groups", Map.of("name", "BYOD phones"), 201).path("id").asText();
        URI link = URI.create(admin("POST", "/api/v1/enrollment-tokens", Map.of("name", "Account-driven BYOD", "ownership", "PERSONAL",
                "platform", "ios", "groupId", groupId, "maxUses", 20, "validForHours", 24, "requireSignIn", true), 201)
                .path("enrollmentUrl").asText());
        linkSecret = link.getPath().substring(link.getPath().lastIndexOf('/') + 1);
        companyGroupId = admin("POST", "/api/v1/groups", Map.of("name", "Company phones"), 201).path("id").asText();
        URI deviceLink = URI.create(admin("POST", "/api/v1/enrollment-tokens", Map.of("name", "Account-driven company phones",
                "ownership", "CORPORATE", "platform", "ios", "groupId", companyGroupId, "maxUses", 20, "validForHours", 24,
                "requireSignIn", true), 201).path("enrollmentUrl").asText());
        deviceLinkSecret = deviceLink.getPath().substring(deviceLink.getPath().lastIndexOf('/') + 1);
        JsonNode settings = admin("PUT", "/api/v1/plugins/apple-ios/account-enrollment", Map.of("domains", List.of("Corp.Example"),
                "link", link.toString(), "deviceEnrollment", Map.of("domains", List.of("fleet.example"), "link", deviceLink.toString())), 200);
        assertThat(settings.path("enabled").asBoolean()).isTrue();
        assertThat(settings.path("domains").toString()).isEqualTo("[\"corp.example\"]");
        assertThat(settings.path("deviceEnrollment").path("enabled").asBoolean()).isTrue();
        assertThat(settings.path("deviceEnrollment").path("domains").toString()).isEqualTo("[\"fleet.example\"]");
        assertThat(settings.toString()).as("the links are never shown again").doesNotContain(linkSecret).doesNotContain(deviceLinkSecret);
        assertThat(server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/account-enrollment", JSON.writeValueAsString(Map.of(
                "domains", List.of("fleet.example"), "link", link.toString(),
                "deviceEnrollment", Map.of("domains", List.of("fleet.example"), "link", deviceLink.toString())))).statusCode())
                .as("a domain is served in one mode").isEqualTo(400);
        baseUrl = settings.path("baseUrl").asText();
        assertThat(baseUrl).startsWith("https://").endsWith("/mdm/apple-ios/account-enrollment");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anIos18IphoneEnrollsAsItsUsersPersonalDeviceAfterTheySignInThroughTheIdentityPlugin() throws Exception {
        String policy = admin("POST", "/api/v1/policies", Map.of("name", "BYOD Wi-Fi", "settings", List.of(Map.of("type", "wifi",
                "value", Map.of("ssid", "Corp BYOD", "security", "WPA2_PERSONAL", "password", "byod-passphrase-2026")))), 201).path("id").asText();
        admin("PUT", "/api/v1/policies/" + policy + "/assignments/" + groupId, Map.of("priority", 10), 200);

        AppleDeviceSimulator iphone = AppleDeviceSimulator.userEnrolled(server.uri("/"), "5E1F7A20-3B4C-4D5E-8F60-718293A4B5C6",
                AppleDeviceSimulator.Kind.IPHONE_18);
        List<URI> callbacks = new ArrayList<>();
        AppleDeviceSimulator.WebAuthentication dana = AppleDeviceSimulator.signingInAs("dana@corp.example", DANA_PASSWORD);
        AppleDeviceSimulator.InstalledProfile profile = iphone.enrollByAccount(server.uri("/"), "dana@corp.example", page -> {
            assertThat(page.toString()).startsWith(URI.create(baseUrl).resolve("/enroll/sign-in?client=apple&link=").toString())
                    .endsWith("&user-identifier=dana%40corp.example");
            HttpResponse<String> shown = browser().send(HttpRequest.newBuilder(page).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(shown.body()).contains("value=\"dana@corp.example\"");
            assertThat(shown.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                    .contains("form-action 'self' apple-remotemanagement-user-login:").doesNotContain("ms-app:").contains("frame-ancestors 'none'"));
            URI callback = dana.signIn(page);
            callbacks.add(callback);
            return callback;
        });
        assertThat(profile.profile().toXMLPropertyList()).contains("<key>AssignedManagedAppleID</key>", "<string>dana@corp.example</string>",
                "<key>EnrollmentMode</key>", "<string>BYOD</string>");
        assertThat(profile.accessRights()).as("Apple fixes a user enrollment's rights").isZero();
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);

        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "enrollmentId", iphone.udid()).orElseThrow();
        Device device = kernel.devices().get(id).orElseThrow().device();
        String danaId = kernel.directory().find("corp", "dana@corp.example").orElseThrow().id();
        assertThat(device.userId()).as("the person who signed in through the identity plugin").hasValue(danaId);
        assertThat(device.ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(device.serialNumber()).isEmpty();
        assertThat(device.hardwareIds()).containsOnlyKeys("enrollmentId");
        assertThat(server.getAsAdmin("/api/v1/groups/" + groupId + "/members").body()).as("in the link's group").contains(id.toString());

        // The group's policy reaches it over MDM, as a profile user enrollment accepts.
        List<String> installed = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (NSDictionary command : iphone.acknowledgeAll()) {
                NSDictionary request = (NSDictionary) command.objectForKey("Command");
                if ("InstallProfile".equals(Plists.string(request, "RequestType"))) {
                    installed.add(new String(((NSData) request.objectForKey("Payload")).bytes(), StandardCharsets.UTF_8));
                }
            }
            return installed.stream().anyMatch(payload -> payload.contains("Corp BYOD"));
        });

        // A personal device: never fully wiped, only retired (what the organisation installed is removed).
        HttpResponse<String> wipe = server.sendAsAdmin("POST", "/api/v1/devices/" + id + "/wipe", "{\"reason\": \"lost\"}");
        assertThat(wipe.statusCode()).isEqualTo(409);
        assertThat(wipe.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(server.sendAsAdmin("POST", "/api/v1/devices/" + id + "/commands", "{\"type\": \"WIPE\"}").statusCode()).isBetween(400, 499);

        // The token enrolled this device; presented again it enrolls nothing.
        String token = AppleDeviceSimulator.accessToken(callbacks.get(0));
        URI baseUrl = server.uri("/mdm/apple-ios/account-enrollment?user-identifier=dana%40corp.example");
        HttpResponse<byte[]> replayed = AppleDeviceSimulator.userEnrolled(server.uri("/"), "6F2A8B31-4C5D-4E6F-9071-8293A4B5C6D7",
                AppleDeviceSimulator.Kind.IPHONE_18).requestEnrollment(baseUrl, Optional.of(token));
        assertThat(replayed.statusCode()).isIn(401, 403);
        assertThat(replayed.headers().firstValue("Content-Type").orElse("")).doesNotContain("aspen-config");
    }

    @Test
    void aTokenIsAcceptedOnceAndAWrongPasswordGetsNone() throws Exception {
        AppleDeviceSimulator iphone = AppleDeviceSimulator.userEnrolled(server.uri("/"), "7A3B9C42-5D6E-4F70-8182-93A4B5C6D7E8",
                AppleDeviceSimulator.Kind.IPHONE_18);
        assertThatThrownBy(() -> iphone.enrollByAccount(server.uri("/"), "dana@corp.example",
                AppleDeviceSimulator.signingInAs("dana@corp.example", "a guess"))).hasMessageContaining("signing in answered 401");

        URI baseUrl = server.uri("/mdm/apple-ios/account-enrollment?user-identifier=dana%40corp.example");
        String token = AppleDeviceSimulator.accessToken(AppleDeviceSimulator.signingInAs("dana@corp.example", DANA_PASSWORD).signIn(signInPage()));
        HttpResponse<byte[]> first = iphone.requestEnrollment(baseUrl, Optional.of(token));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("application/x-apple-aspen-config");
        HttpResponse<byte[]> again = iphone.requestEnrollment(baseUrl, Optional.of(token));
        assertThat(again.statusCode()).isEqualTo(403);
        assertThat(again.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));

        HttpResponse<byte[]> forged = iphone.requestEnrollment(baseUrl, Optional.of("x".repeat(43)));
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(AppleDeviceSimulator.webAuthUrl(forged.headers().firstValue("WWW-Authenticate").orElseThrow()).getPath()).isEqualTo("/enroll/sign-in");
    }

    @Test
    void aPersonDeactivatedAfterSigningInIsRefusedAndCannotSignInAgain() throws Exception {
        String token = AppleDeviceSimulator.accessToken(AppleDeviceSimulator.signingInAs("omar@corp.example", OMAR_PASSWORD).signIn(
                signInPage()));
        kernel.userDirectory().putUser("corp-directory", "corp", new ProvidedUser("omar-1", "omar@corp.example", "Omar",
                "omar@corp.example", false));

        AppleDeviceSimulator iphone = AppleDeviceSimulator.userEnrolled(server.uri("/"), "8B4CAD53-6E7F-4081-9293-A4B5C6D7E8F9",
                AppleDeviceSimulator.Kind.IPHONE_18);
        HttpResponse<byte[]> refused = iphone.requestEnrollment(server.uri("/mdm/apple-ios/account-enrollment?user-identifier=omar%40corp.example"),
                Optional.of(token));
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThatThrownBy(() -> AppleDeviceSimulator.signingInAs("omar@corp.example", OMAR_PASSWORD).signIn(signInPage()))
                .hasMessageContaining("signing in answered 401");
    }

    @Test
    void theSignInPageHandsTheTokenToApplesCallbackOnlyAndOnlyForTheAccountTheDeviceNamed() throws Exception {
        // Whatever else the form says, the token goes to Apple's scheme: nothing in the request chooses where.
        for (String extra : List.of("", "&appru=" + URLEncoder.encode("https://attacker.example/collect", StandardCharsets.UTF_8))) {
            HttpResponse<String> answer = postSignIn("client=apple&link=" + linkSecret + extra + "&username=dana%40corp.example&password="
                    + URLEncoder.encode(DANA_PASSWORD, StandardCharsets.UTF_8));
            assertThat(answer.statusCode()).as(extra).isEqualTo(308);
            assertThat(answer.headers().firstValue("Location")).hasValueSatisfying(location -> assertThat(location)
                    .startsWith("apple-remotemanagement-user-login://authentication-results?access-token="));
            assertThat(answer.headers().firstValue("Cache-Control")).hasValue("no-store");
        }
        // Another client, or a page for another person's account, gets nothing.
        HttpResponse<String> otherClient = postSignIn("client=evil&link=" + linkSecret + "&username=dana%40corp.example&password="
                + URLEncoder.encode(DANA_PASSWORD, StandardCharsets.UTF_8));
        assertThat(otherClient.statusCode()).isEqualTo(400);
        assertThat(otherClient.headers().firstValue("Location")).isEmpty();
        HttpResponse<String> otherAccount = postSignIn("client=apple&link=" + linkSecret + "&user-identifier=omar%40corp.example"
                + "&username=dana%40corp.example&password=" + URLEncoder.encode(DANA_PASSWORD, StandardCharsets.UTF_8));
        assertThat(otherAccount.statusCode()).isEqualTo(403);
        assertThat(otherAccount.headers().firstValue("Location")).isEmpty();
        assertThat(otherAccount.body()).doesNotContain("access-token");
        // A link that does not ask for the sign-in (or none at all) spends nothing.
        HttpResponse<String> unknownLink = postSignIn("client=apple&link=" + "A".repeat(43) + "&username=dana%40corp.example&password="
                + URLEncoder.encode(DANA_PASSWORD, StandardCharsets.UTF_8));
        assertThat(unknownLink.statusCode()).isEqualTo(404);
        assertThat(browser().send(HttpRequest.newBuilder(server.uri("/enroll/sign-in?client=apple")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
    }

    @Test
    void discoveryAnswersForConfiguredDomainsAndServedDevicesAndBadRequestsGetProblems() throws Exception {
        AppleDeviceSimulator iphone = AppleDeviceSimulator.userEnrolled(server.uri("/"), "9C5DBE64-7F80-4192-A3A4-B5C6D7E8F90A",
                AppleDeviceSimulator.Kind.IPHONE_18);
        HttpResponse<String> found = iphone.discover(server.uri("/"), "dana@CORP.example");
        assertThat(found.statusCode()).isEqualTo(200);
        assertThat(found.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode servers = JSON.readTree(found.body()).path("Servers");
        assertThat(servers).hasSize(1);
        assertThat(servers.get(0).path("Version").asText()).isEqualTo("mdm-byod");
        assertThat(servers.get(0).path("BaseURL").asText()).isEqualTo(baseUrl + "?user-identifier=dana%40CORP.example");

        assertThat(iphone.discover(server.uri("/"), "dana@other.example").statusCode()).isEqualTo(404);
        assertThat(AppleDeviceSimulator.userEnrolled(server.uri("/"), "0D6ECF75-8091-42A3-B4B5-C6D7E8F90A1B", AppleDeviceSimulator.Kind.MAC)
                .discover(server.uri("/"), "dana@corp.example").statusCode()).as("Macs are not enrolled by this plugin").isEqualTo(404);
        for (String query : List.of("", "?model-family=iPhone", "?user-identifier=nobody&model-family=iPhone",
                "?user-identifier=" + URLEncoder.encode("a@b", StandardCharsets.UTF_8) + "&model-family=iPhone")) {
            HttpResponse<String> bad = server.get("/.well-known/com.apple.remotemanagement" + query);
            assertThat(bad.statusCode()).as(query).isEqualTo(400);
            assertThat(bad.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        }

        URI baseUrl = server.uri("/mdm/apple-ios/account-enrollment?user-identifier=dana%40corp.example");
        HttpClient client = HttpClient.newBuilder().sslContext(TestTls.trustingAnyServer()).build();
        HttpResponse<String> unsigned = client.send(HttpRequest.newBuilder(baseUrl).header("Content-Type", "application/pkcs7-signature")
                .POST(HttpRequest.BodyPublishers.ofString("not a signature")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unsigned.statusCode()).isEqualTo(400);
        assertThat(unsigned.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        HttpResponse<String> plain = client.send(HttpRequest.newBuilder(baseUrl).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(415);
        assertThat(client.send(HttpRequest.newBuilder(baseUrl).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);

        // Only admins allowed to manage plugins see or change the settings; malformed ones are refused.
        assertThat(server.get("/api/v1/plugins/apple-ios/account-enrollment").statusCode()).isEqualTo(401);
        assertThat(server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/account-enrollment",
                "{\"domains\": [\"not a domain\"], \"link\": \"" + linkSecret + "\"}").statusCode()).isEqualTo(400);
        assertThat(server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/account-enrollment", "{\"domains\": [").statusCode()).isEqualTo(400);
        assertThat(server.getAsAdmin("/api/v1/plugins/apple-ios/account-enrollment").body()).contains("\"linkSet\":true")
                .contains("/.well-known/com.apple.remotemanagement").doesNotContain(linkSecret);
    }

    /**
     * Account-driven device enrollment (Apple: "account-driven Device Enrollment", iOS 17+, the {@code mdm-adde} server of
     * {@code /.well-known/com.apple.remotemanagement}, profile {@code EnrollmentMode} ADDE with
     * {@code AssignedManagedAppleID}): an organisation's iPhone on iOS 17 enrolls as a whole, by its UDID and serial
     * number, with every access right, the organisation's, assigned to the person who signed in, method CREDENTIALS,
     * in the corporate link's group; unsupervised, as only Automated Device Enrollment supervises an iPhone.
     */
    @Test
    void anOrganisationsIphoneEnrollsByAccountDrivenDeviceEnrollmentAsTheirsWithItsSerialAndEveryRight() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "1B7C2D3E-4F50-4617-8293-A4B5C6D7E8F1",
                AppleDeviceSimulator.Kind.IPHONE);
        iphone.supervised(false);
        JsonNode servers = JSON.readTree(iphone.discover(server.uri("/"), "lee@fleet.example").body()).path("Servers");
        assertThat(servers).hasSize(1);
        assertThat(servers.get(0).path("Version").asText()).isEqualTo("mdm-adde");
        assertThat(servers.get(0).path("BaseURL").asText()).isEqualTo(baseUrl + "?user-identifier=lee%40fleet.example");

        AppleDeviceSimulator.InstalledProfile profile = iphone.enrollByAccount(server.uri("/"), "lee@fleet.example",
                AppleDeviceSimulator.signingInAs("lee@fleet.example", LEE_PASSWORD));
        assertThat(profile.profile().toXMLPropertyList()).contains("<key>EnrollmentMode</key>", "<string>ADDE</string>",
                "<key>AssignedManagedAppleID</key>", "<string>lee@fleet.example</string>").doesNotContain("<key>ManagedAppleID</key>");
        assertThat(profile.accessRights()).as("a device enrollment: every right, erase among them").isEqualTo(EnrollmentProfile.ALL_ACCESS_RIGHTS);
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);

        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        Device device = kernel.devices().get(id).orElseThrow().device();
        assertThat(device.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(device.userId()).hasValue(kernel.directory().find("corp", "lee@fleet.example").orElseThrow().id());
        assertThat(device.serialNumber()).isEqualTo(iphone.serialNumber());
        assertThat(device.enrollmentMethod()).hasValue(EnrollmentMethod.CREDENTIALS);
        assertThat(server.getAsAdmin("/api/v1/groups/" + companyGroupId + "/members").body()).contains(id.toString());
        assertThat(server.sendAsAdmin("POST", "/api/v1/devices/" + id + "/commands", "{\"type\": \"REFRESH_INVENTORY\"}").statusCode())
                .isEqualTo(201);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            iphone.acknowledgeAll();
            assertThat(kernel.devices().inventory(id)).containsEntry("apple.IsSupervised", "false").containsEntry("apple.enrollment", "device");
        });
    }

    /**
     * What account-driven enrollment refuses: a profile for an account other than the signed-in person's (the page
     * the device opened named no account), a sign-in for the other mode's enrollment, and an account in a domain set
     * for neither. Each is a problem, never a profile.
     */
    @Test
    void aTokenEnrollsOnlyItsOwnersAccountInItsOwnModeAndDomainsSetForNeitherAreNotServed() throws Exception {
        AppleDeviceSimulator iphone = AppleDeviceSimulator.userEnrolled(server.uri("/"), "2C8D3E4F-5061-4728-93A4-B5C6D7E8F902",
                AppleDeviceSimulator.Kind.IPHONE_18);
        // Dana signs in on a page naming no account; the device's BaseURL names Omar's.
        String danas = AppleDeviceSimulator.accessToken(AppleDeviceSimulator.signingInAs("dana@corp.example", DANA_PASSWORD).signIn(signInPage()));
        HttpResponse<byte[]> otherAccount = iphone.requestEnrollment(
                server.uri("/mdm/apple-ios/account-enrollment?user-identifier=omar%40corp.example"), Optional.of(danas));
        assertThat(otherAccount.statusCode()).isEqualTo(403);
        assertThat(otherAccount.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(new String(otherAccount.body(), StandardCharsets.UTF_8)).contains("not the owner of omar@corp.example");
        assertThat(iphone.requestEnrollment(server.uri("/mdm/apple-ios/account-enrollment?user-identifier=dana%40corp.example"),
                Optional.of(danas)).statusCode()).as("the same token, for her own account").isEqualTo(200);

        // Lee's sign-in spent the corporate link: a BYOD account's enrollment refuses it.
        String lees = AppleDeviceSimulator.accessToken(AppleDeviceSimulator.signingInAs("lee@fleet.example", LEE_PASSWORD)
                .signIn(server.uri("/enroll/sign-in?client=apple&link=" + deviceLinkSecret)));
        HttpResponse<byte[]> otherMode = iphone.requestEnrollment(
                server.uri("/mdm/apple-ios/account-enrollment?user-identifier=dana%40corp.example"), Optional.of(lees));
        assertThat(otherMode.statusCode()).isEqualTo(403);
        assertThat(new String(otherMode.body(), StandardCharsets.UTF_8)).contains("another enrollment");

        assertThat(iphone.discover(server.uri("/"), "kim@elsewhere.example").statusCode()).isEqualTo(404);
        HttpResponse<byte[]> unserved = iphone.requestEnrollment(
                server.uri("/mdm/apple-ios/account-enrollment?user-identifier=kim%40elsewhere.example"), Optional.empty());
        assertThat(unserved.statusCode()).isEqualTo(404);
        assertThat(unserved.headers().firstValue("WWW-Authenticate")).as("no sign-in offered").isEmpty();
    }

    /** The web-auth page as the device opens it, for a person's own sign-in. */
    private static URI signInPage() {
        return server.uri("/enroll/sign-in?client=apple&link=" + linkSecret);
    }

    private static HttpResponse<String> postSignIn(String form) throws Exception {
        return browser().send(HttpRequest.newBuilder(server.uri("/enroll/sign-in")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient browser() {
        return HttpClient.newBuilder().sslContext(TestTls.trustingAnyServer()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private static JsonNode admin(String method, String path, Object body, int expected) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin(method, path, JSON.writeValueAsString(body));
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expected);
        return JSON.readTree(response.body());
    }
}
