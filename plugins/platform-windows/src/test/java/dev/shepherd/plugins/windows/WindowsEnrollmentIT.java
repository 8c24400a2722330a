package dev.shepherd.plugins.windows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.plugin.PluginState;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * MS-MDE2 enrollment through the running server, with the Windows plugin loaded from its file and a simulated PC:
 * an enrollment link's page leads to discovery at the server's root, the certificate policy, and a real certificate
 * request answered with a provisioning document; the user's work password works through an identity-provider plugin;
 * and every refusal is a SOAP fault, never a 500.
 */
class WindowsEnrollmentIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    @TempDir
    Path build;
    private TestServer server;
    private Kernel kernel;

    /** Tests with this tag run with {@code federatedSignIn} on: discovery sends clients to the server's sign-in page. */
    private static final String FEDERATED = "federated-sign-in";

    @BeforeEach
    void start(TestInfo test) throws Exception {
        if (test.getTags().contains(FEDERATED)) {
            Files.createDirectories(home.resolve("conf"));
            Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    windows:\n      federatedSignIn: true\n");
        }
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"));
        kernel = server.server().kernel();
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("windows.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/mdm/windows/EnrollmentServer/Discovery.svc").statusCode() == 200);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aPcEnrollsFromAnEnrollmentLinkThroughDiscoveryPolicyAndCertificateEnrollment() throws Exception {
        assertThat(server.getAsAdmin("/api/v1/platforms").body()).as("the platforms running plugins manage").isEqualTo("[{\"id\":\"windows\"}]");
        Map<String, String> link = WindowsEnrollmentClient.deepLinkParameters(page(enrollmentUrl("CORPORATE", 1)));
        assertThat(link).containsEntry("mode", "mdm");
        URI discovery = URI.create(link.get("servername"));
        assertThat(discovery.getPath()).as("where Windows looks for it on enterpriseenrollment.<domain>").isEqualTo("/EnrollmentServer/Discovery.svc");

        WindowsEnrollmentClient pc = new WindowsEnrollmentClient("7BA748C8703E4DF2A74A92984117346A", "FRONTDESK-01");
        WindowsEnrollmentClient.Enrolled enrolled = pc.enroll(discovery, link.get("username"), link.get("accesstoken")).orElseThrow();

        Device device = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", pc.deviceId())
                .flatMap(kernel.devices()::get).orElseThrow().device();
        assertThat(device.status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(device.name()).isEqualTo("FRONTDESK-01");
        assertThat(device.osVersion()).isEqualTo("10.0.22631.2861");
        assertThat(device.enrollmentMethod()).hasValue(EnrollmentMethod.LINK);

        IssuedCertificate issued = kernel.certificateAuthority().verify(List.of(enrolled.certificate())).orElseThrow();
        assertThat(issued.bindings()).containsEntry("deviceId", device.id().toString()).containsEntry("windowsDeviceId", pc.deviceId());
        assertThat(enrolled.certificate().getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2");
        assertThat(enrolled.trustedRoots()).as("the kernel CA and the self-signed server root")
                .contains(kernel.certificateAuthority().certificate()).hasSize(2);
        assertThat(enrolled.certificateStore()).isEqualTo("My\\User");
        assertThat(enrolled.managementUrl().getPath()).isEqualTo("/mdm/windows/ManagementServer/MDM.svc");
        assertThat(enrolled.providerId()).isEqualTo("Shepherd");
        assertThat(enrolled.application()).containsEntry("APPID", "w7").containsEntry("PROVIDER-ID", "Shepherd")
                .containsEntry("DEFAULTENCODING", "application/vnd.syncml.dm+xml")
                // The CA chose the subject (not the request's, which carries a control character), and the PC finds it by it.
                .containsEntry("SSLCLIENTCERTSEARCHCRITERIA", "Subject=" + java.net.URLEncoder.encode("CN=" + device.id()
                        + ",OU=Devices,O=Shepherd", java.nio.charset.StandardCharsets.UTF_8) + "&Stores=My%5CUser");
        assertThat(enrolled.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + device.id() + ",OU=Devices,O=Shepherd");
        assertThat(enrolled.poll()).containsEntry("IntervalForRemainingScheduledRetries", "240").containsEntry("PollOnLogin", "true");

        assertThat(enrolled.provisioningDocument()).contains("name=\"ROBOSupport\" value=\"true\"")
                .contains("name=\"EntDMID\" value=\"" + device.id() + "\"");

        // Before the certificate expires the PC renews it on its own, authenticated by the certificate it has.
        WindowsEnrollmentClient.Enrolled renewed = pc.renew(enrolled, enrolled.certificate(), enrolled.keys().getPrivate()).orElseThrow();
        assertThat(renewed.certificate().getSerialNumber()).isNotEqualTo(enrolled.certificate().getSerialNumber());
        assertThat(kernel.certificateAuthority().verify(List.of(renewed.certificate())).orElseThrow().bindings())
                .containsEntry("deviceId", device.id().toString()).containsEntry("windowsDeviceId", pc.deviceId());
        WindowsEnrollmentClient.Enrolled stranger = new WindowsEnrollmentClient("F00DF00DF00DF00DF00DF00DF00DF00D", "X")
                .enroll(discovery, "x@example.com", "not a token").enrolled().orElse(null);
        assertThat(stranger).isNull();
        KeyPair otherKeys = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        WindowsEnrollmentClient.Fault notSignedByIt = pc.renew(renewed, renewed.certificate(), otherKeys.getPrivate()).fault().orElseThrow();
        assertThat(notSignedByIt.subcode()).as("the request must be signed by the certificate presented over TLS").isIn("s:Authentication",
                "s:CertificateRequest");
        kernel.certificateAuthority().revoke(renewed.certificate().getSerialNumber().toString(16));
        WindowsEnrollmentClient.Fault revoked = pc.renew(renewed, renewed.certificate(), renewed.keys().getPrivate()).fault().orElseThrow();
        assertThat(revoked.subcode()).isEqualTo("s:Authentication");

        // The single-use token is spent: another PC presenting it is refused, as is the same PC enrolling again with it.
        WindowsEnrollmentClient.Fault reused = new WindowsEnrollmentClient("0C1D2E3F405162738495A6B7C8D9EAFB", "OTHER")
                .enroll(discovery, link.get("username"), link.get("accesstoken")).fault().orElseThrow();
        assertThat(reused.httpStatus()).isEqualTo(400);
        assertThat(reused.subcode()).isEqualTo("s:Authentication");
        assertThat(reused.errorType()).isEqualTo("AuthenticationFailure");
    }

    @Test
    void aUserSignsInWithTheirWorkPasswordCheckedByAnIdentityProviderPlugin() throws Exception {
        Files.copy(plugin("corp-directory", "1.0.0").source("""
                package acme.directory;

                import dev.shepherd.api.identity.Identity;
                import dev.shepherd.api.identity.IdentityProvider;
                import org.pf4j.Extension;
                import java.util.Optional;
                import java.util.Set;

                @Extension
                public class Corp implements IdentityProvider {
                    @Override
                    public String id() {
                        return "corp";
                    }

                    @Override
                    public Optional<Identity> authenticate(String username, char[] password) {
                        return username.equals("dana@corp.example") && new String(password).equals("Dana's work password")
                                ? Optional.of(new Identity("corp", "dana@corp.example", "Dana", "dana@corp.example", Set.of()))
                                : Optional.empty();
                    }
                }
                """).buildZip(build, "corp.zip"), server.pluginsDir().resolve("corp.zip"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(server.server().plugins().plugin("corp-directory"))
                .hasValueSatisfying(info -> assertThat(info.state()).isEqualTo(PluginState.STARTED)));
        URI discovery = URI.create(httpsBase() + "/EnrollmentServer/Discovery.svc");

        WindowsEnrollmentClient.Fault wrong = new WindowsEnrollmentClient("AAAA0000BBBB1111CCCC2222DDDD3333", "DANA-LAPTOP")
                .enroll(discovery, "dana@corp.example", "a guess").fault().orElseThrow();
        assertThat(wrong.subcode()).isEqualTo("s:Authentication");

        WindowsEnrollmentClient laptop = new WindowsEnrollmentClient("AAAA0000BBBB1111CCCC2222DDDD3333", "DANA-LAPTOP");
        laptop.enroll(discovery, "dana@corp.example", "Dana's work password").orElseThrow();
        Device device = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", laptop.deviceId())
                .flatMap(kernel.devices()::get).orElseThrow().device();
        assertThat(device.enrollmentMethod()).hasValue(EnrollmentMethod.CREDENTIALS);
        String danaId = kernel.directory().find("corp", "dana@corp.example").orElseThrow().id();
        assertThat(device.userId()).as("assigned to the user who signed in, added to the directory").hasValue(danaId);
    }

    @Test
    @Tag(FEDERATED)
    void aPcAuthenticatingFederatedSignsItsUserInOnTheServersPageAndTheCodeEnrollsOnce() throws Exception {
        String erin = JSON.readTree(server.sendAsAdmin("POST", "/api/v1/users",
                "{\"username\": \"erin\", \"displayName\": \"Erin\", \"email\": \"erin@corp.example\"}").body()).path("id").asText();
        assertThat(server.sendAsAdmin("PUT", "/api/v1/users/" + erin + "/password", "{\"password\": \"Erin's long passphrase\"}").statusCode())
                .isEqualTo(204);
        URI discovery = URI.create(httpsBase() + "/EnrollmentServer/Discovery.svc");
        List<String> pages = new ArrayList<>();

        // The broker opens the page discovery named; a wrong password shows the page again, the right one posts the code.
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient("1F2E3D4C5B6A79881F2E3D4C5B6A7988", "ERIN-PC");
        String[] code = new String[1];
        WindowsEnrollmentClient.Enrolled enrolled = pc.enrollFederated(discovery, "erin@corp.example", page -> {
            assertThat(page.toString()).startsWith(httpsBase() + "/enroll/sign-in?appru=ms-app%3A%2F%2Fwindows.immersivecontrolpanel&login_hint=");
            HttpResponse<String> form = browser().send(HttpRequest.newBuilder(page).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(form.statusCode()).isEqualTo(200);
            assertThat(form.body()).contains("value=\"erin@corp.example\"").contains("value=\"ms-app://windows.immersivecontrolpanel\"");
            assertThat(form.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(policy -> assertThat(policy)
                    .contains("form-action 'self' ms-app:").contains("frame-ancestors 'none'"));
            HttpResponse<String> wrong = signIn("erin", "a guess");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(wrong.body()).contains("The username or password is wrong.").doesNotContain("wresult");
            HttpResponse<String> signedIn = signIn("erin", "Erin's long passphrase");
            assertThat(signedIn.statusCode()).isEqualTo(200);
            pages.add(signedIn.body());
            code[0] = hiddenValue(signedIn.body(), "wresult");
            return code[0];
        }).orElseThrow();
        assertThat(pages.get(0)).contains("action=\"ms-app://windows.immersivecontrolpanel\"").contains("src=\"/enroll/sign-in.js\"");

        Device device = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", pc.deviceId())
                .flatMap(kernel.devices()::get).orElseThrow().device();
        assertThat(device.enrollmentMethod()).hasValue(EnrollmentMethod.CREDENTIALS);
        assertThat(device.userId()).as("assigned to the user who signed in on the page").hasValue(erin);
        assertThat(enrolled.certificate()).isNotNull();

        // The code enrolled one PC; another presenting it is refused, and so is a code nobody was given.
        WindowsEnrollmentClient.Fault reused = new WindowsEnrollmentClient("0A0B0C0D0E0F10111213141516171819", "OTHER-PC")
                .enrollFederated(discovery, "erin@corp.example", page -> code[0]).fault().orElseThrow();
        assertThat(reused.subcode()).isEqualTo("s:Authentication");
        WindowsEnrollmentClient.Fault forged = new WindowsEnrollmentClient("0A0B0C0D0E0F10111213141516171819", "OTHER-PC")
                .enrollFederated(discovery, "erin@corp.example", page -> "x".repeat(43)).fault().orElseThrow();
        assertThat(forged.subcode()).isEqualTo("s:Authentication");

        // The page hands codes only to an ms-app:// client, never to a web address someone put in a link.
        for (String appru : List.of("https://attacker.example/collect", "javascript:alert(1)", "")) {
            HttpResponse<String> refused = browser().send(HttpRequest.newBuilder(URI.create(httpsBase() + "/enroll/sign-in"))
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(
                            "appru=" + URLEncoder.encode(appru, StandardCharsets.UTF_8) + "&username=erin&password="
                                    + URLEncoder.encode("Erin's long passphrase", StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(appru).isEqualTo(400);
            assertThat(refused.body()).doesNotContain("wresult");
        }
    }

    @Test
    void aLinkThatAsksForTheUsersSignInHandsThemALinkOfTheirOwnAndThePcIsTheirs() throws Exception {
        String erin = JSON.readTree(server.sendAsAdmin("POST", "/api/v1/users",
                "{\"username\": \"erin\", \"displayName\": \"Erin\", \"email\": \"erin@corp.example\"}").body()).path("id").asText();
        assertThat(server.sendAsAdmin("PUT", "/api/v1/users/" + erin + "/password", "{\"password\": \"Erin's long passphrase\"}").statusCode())
                .isEqualTo(204);
        HttpResponse<String> created = admin("/api/v1/enrollment-tokens", Map.of("name", "Staff PCs", "ownership", "CORPORATE",
                "platform", "windows", "maxUses", 5, "validForHours", 24, "requireSignIn", true));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(JSON.readTree(created.body()).path("token").path("requireSignIn").asBoolean()).isTrue();
        URI link = URI.create(JSON.readTree(created.body()).path("enrollmentUrl").asText());
        String linkSecret = link.getPath().substring(link.getPath().lastIndexOf('/') + 1);
        assertThat(admin("/api/v1/enrollment-tokens", Map.of("name", "x", "ownership", "CORPORATE", "validForHours", 24,
                "requireSignIn", true, "userId", erin)).statusCode()).as("such a link names nobody: the device is the signed-in person's")
                .isEqualTo(400);

        // The link shows the sign-in page, not Windows' enrollment, and its secret enrolls nothing by itself.
        HttpResponse<String> opened = browser().send(HttpRequest.newBuilder(link).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(opened.statusCode()).isEqualTo(200);
        String signInPage = opened.body();
        assertThat(signInPage).contains("Sign in to enroll this device").contains("name=\"link\" value=\"" + linkSecret + "\"")
                .doesNotContain("ms-device-enrollment:");
        URI discovery = URI.create(httpsBase() + "/EnrollmentServer/Discovery.svc");
        assertThat(new WindowsEnrollmentClient("2A2B2C2D2E2F30313233343536373839", "SNEAKY-PC").enroll(discovery, "x@corp.example", linkSecret)
                .fault().orElseThrow().subcode()).isEqualTo("s:Authentication");

        URI signInUrl = link.resolve("/enroll/sign-in");
        HttpResponse<String> wrong = postForm(signInUrl, Map.of("link", linkSecret, "username", "erin", "password", "a guess"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        HttpResponse<String> signedIn = postForm(signInUrl, Map.of("link", linkSecret, "username", "erin", "password", "Erin's long passphrase"));
        assertThat(signedIn.statusCode()).isEqualTo(303);
        URI own = link.resolve(signedIn.headers().firstValue("Location").orElseThrow());
        assertThat(own.getPath()).startsWith("/enroll/").isNotEqualTo(link.getPath());

        Map<String, String> deepLink = WindowsEnrollmentClient.deepLinkParameters(page(own));
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient("3B3C3D3E3F404142434445464748494A", "ERIN-DESK");
        pc.enroll(discovery, deepLink.get("username"), deepLink.get("accesstoken")).orElseThrow();
        Device device = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", pc.deviceId())
                .flatMap(kernel.devices()::get).orElseThrow().device();
        assertThat(device.userId()).as("the person who signed in").hasValue(erin);
        assertThat(device.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(new WindowsEnrollmentClient("4C4D4E4F505152535455565758595A5B", "ANOTHER-PC").enroll(discovery, "x@corp.example",
                deepLink.get("accesstoken")).fault().orElseThrow().subcode()).as("their own link enrolls one PC").isEqualTo("s:Authentication");
        assertThat(kernel.enrollmentTokens().list()).filteredOn(token -> token.name().equals("Staff PCs")).singleElement()
                .satisfies(token -> assertThat(token.uses()).as("the sign-in spent one use of the link").isEqualTo(1));
    }

    private HttpResponse<String> postForm(URI url, Map<String, String> fields) throws Exception {
        StringBuilder form = new StringBuilder();
        fields.forEach((name, value) -> form.append(form.isEmpty() ? "" : "&").append(name).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return browser().send(HttpRequest.newBuilder(url).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> signIn(String username, String password) throws Exception {
        return browser().send(HttpRequest.newBuilder(URI.create(httpsBase() + "/enroll/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(
                        "appru=" + URLEncoder.encode(WindowsEnrollmentClient.APPRU, StandardCharsets.UTF_8) + "&username="
                                + URLEncoder.encode(username, StandardCharsets.UTF_8) + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String hiddenValue(String html, String name) {
        Matcher input = Pattern.compile("name=\"" + name + "\" value=\"([^\"]*)\"").matcher(html);
        assertThat(input.find()).as("a hidden " + name + " field").isTrue();
        return input.group(1);
    }

    @Test
    void refusalsAreSoapFaultsAndNeverUseUpTheToken() throws Exception {
        URI discovery = URI.create(httpsBase() + "/EnrollmentServer/Discovery.svc");
        URI enrollment = URI.create(httpsBase() + "/mdm/windows/EnrollmentServer/Enrollment.svc");
        String token = WindowsEnrollmentClient.deepLinkParameters(page(enrollmentUrl("CORPORATE", 1))).get("accesstoken");
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient("5E6F708192A3B4C5D6E7F8091A2B3C4D", "LAB-7");

        WindowsEnrollmentClient.Fault weakKey = new WindowsEnrollmentClient(pc.deviceId(), "LAB-7").withKeySize(1024)
                .enroll(discovery, "lab@example.com", token).fault().orElseThrow();
        assertThat(weakKey.subcode()).isEqualTo("s:CertificateRequest");
        assertThat(weakKey.message()).contains("2048");

        WindowsEnrollmentClient.Fault noPassword = pc.enroll(discovery, "lab@example.com", "").fault().orElseThrow();
        assertThat(noPassword.subcode()).isEqualTo("s:Authentication");

        String appleOnly = appleToken();
        WindowsEnrollmentClient.Fault otherPlatform = pc.enroll(discovery, "lab@example.com", appleOnly).fault().orElseThrow();
        assertThat(otherPlatform.subcode()).isEqualTo("s:Authorization");
        assertThat(otherPlatform.message()).contains("ios");

        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE s [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><s:Envelope "
                + "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&x;</s:Body></s:Envelope>";
        HttpResponse<String> refusedXxe = pc.postRaw(enrollment, xxe);
        assertThat(refusedXxe.statusCode()).isEqualTo(400);
        assertThat(WindowsEnrollmentClient.fault(refusedXxe).orElseThrow().subcode()).isEqualTo("s:MessageFormat");
        assertThat(refusedXxe.body()).doesNotContain("root:");

        for (String garbage : List.of("not xml at all", "<a><b></a>", "<Envelope/>")) {
            HttpResponse<String> refused = pc.postRaw(enrollment, garbage);
            assertThat(refused.statusCode()).as(garbage).isEqualTo(400);
            assertThat(WindowsEnrollmentClient.fault(refused).orElseThrow().errorType()).isEqualTo("MessageFormat");
        }

        // None of that spent the token.
        pc.enroll(discovery, "lab@example.com", token).orElseThrow();
    }

    private String appleToken() throws Exception {
        HttpResponse<String> created = admin("/api/v1/enrollment-tokens", Map.of("name", "iPhones", "ownership", "CORPORATE",
                "platform", "ios", "maxUses", 1, "validForHours", 24));
        String url = JSON.readTree(created.body()).path("enrollmentUrl").asText();
        return url.substring(url.lastIndexOf('/') + 1);
    }

    private URI enrollmentUrl(String ownership, int uses) throws Exception {
        HttpResponse<String> created = admin("/api/v1/enrollment-tokens", Map.of("name", "PCs", "ownership", ownership,
                "platform", "windows", "maxUses", uses, "validForHours", 24));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return URI.create(JSON.readTree(created.body()).path("enrollmentUrl").asText());
    }

    private HttpResponse<String> admin(String path, Map<String, Object> body) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
    }

    /** The enrollment link opened in a browser on the PC. */
    private static String page(URI link) throws Exception {
        HttpResponse<String> page = browser().send(HttpRequest.newBuilder(link).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(page.headers().firstValue("Content-Disposition")).hasValueSatisfying(value -> assertThat(value).startsWith("inline"));
        return page.body();
    }

    private String httpsBase() {
        return "https://localhost:" + server.server().httpsPort();
    }

    private static HttpClient browser() {
        return HttpClient.newBuilder().sslContext(TestTls.trustingAnyServer()).build();
    }
}
