package dev.shepherd.plugins.ios;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AccountSignInDirectory;
import dev.shepherd.apple.AdeEnrollment;
import dev.shepherd.apple.AdeTokenFiles;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.LocalDeviceAssignment;
import dev.shepherd.apple.TestAppleDeviceCa;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * User sign-in in the web view of Automated Device Enrollment, on a real server with the iOS plugin loaded from its
 * zip and an identity-provider plugin file checking work passwords: the admin's ADE profile says
 * {@code "require_sign_in": true}, so Apple's service is given a {@code configuration_web_url}; in Setup Assistant the
 * iPhone opens it with its signed MachineInfo in {@code x-apple-aspen-deviceinfo}, is sent to the server's enrollment
 * sign-in page, its person signs in over HTTP, the page sends the web view back to the plugin's fixed path with a
 * one-time code, and the answer is the enrollment profile; the iPhone enrolls (SCEP, Authenticate, TokenUpdate) and
 * its pre-registered record is assigned to that person. A wrong password, an unsigned or foreign MachineInfo, an
 * unknown serial, a replayed code or sign-in, and a foreign return address are refused; the profile's {@code url}
 * refuses the device that should sign in.
 */
class AdeWebViewSignInIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AdeTokenFiles.Credentials ABM = AdeTokenFiles.Credentials.expiring("abm-web", Instant.now().plus(Duration.ofDays(300)));
    private static final TestAppleDeviceCa APPLE_DEVICE_CA = new TestAppleDeviceCa("Test Apple");
    private static final String DANA = "dana@corp.example";
    private static final String DANA_PASSWORD = "Dana's work password";

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;
    private static Kernel kernel;
    private static LocalDeviceAssignment apple;
    private static URI webViewUrl;
    private static URI enrollUrl;

    @BeforeAll
    static void start() throws Exception {
        apple = LocalDeviceAssignment.start(ABM, Clock.systemUTC());
        Path deviceCa = APPLE_DEVICE_CA.writeRoot(home.resolve("apple-device-root.pem"));
        server = AppleTestServers.start(home.resolve("server"), "com.apple.mgmt.External.ade-web",
                Map.of("adeUrl", apple.uri().toString(), AdeEnrollment.DEVICE_CA_SETTING, deviceCa.toString(), "adeSyncInterval", "PT0S"),
                Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
        AccountSignInDirectory.install(server, build, Map.of(DANA, DANA_PASSWORD));
        AdeTokenFiles.upload(server, "apple-ios", "abm", ABM);

        assertThat(server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/ade/tokens/abm/profile", """
                {"profile_name": "Signed-in iPhones", "require_sign_in": "yes"}""").statusCode()).isEqualTo(400);
        HttpResponse<String> defined = server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/ade/tokens/abm/profile", """
                {"profile_name": "Signed-in iPhones", "is_supervised": true, "is_mdm_removable": false, "require_sign_in": true}""");
        assertThat(defined.statusCode()).as(defined.body()).isEqualTo(200);
        JsonNode atApple = apple.profile(JSON.readTree(defined.body()).path("profile_uuid").asText());
        assertThat(atApple.has("require_sign_in")).as("Shepherd's own field is not Apple's").isFalse();
        webViewUrl = URI.create(atApple.path("configuration_web_url").asText());
        enrollUrl = URI.create(atApple.path("url").asText());
        assertThat(webViewUrl.getScheme()).isEqualTo("https");
        assertThat(webViewUrl.getPath()).isEqualTo("/mdm/apple-ios/ade/web-view");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (apple != null) {
            apple.close();
        }
    }

    @Test
    void anIphoneOpensTheWebViewItsPersonSignsInAndItEnrollsAssignedToThem() throws Exception {
        AppleDeviceSimulator iphone = pendingIphone("A1B2C3D4-000A1B2C3D4E5F61");
        DeviceId pending = kernel.devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber()).orElseThrow();
        assertThat(iphone.requestAdeProfile(enrollUrl, APPLE_DEVICE_CA.identity(iphone.udid())).statusCode())
                .as("a device whose profile requires sign-in gets nothing at the url").isEqualTo(403);

        URI signInPage = signInPageFor(iphone);
        assertThatThrownBy(() -> AppleDeviceSimulator.signingInAs(DANA, "a guess").signIn(signInPage))
                .hasMessageContaining("signing in answered 401");
        URI back = signInPage.resolve(AppleDeviceSimulator.signingInAs(DANA, DANA_PASSWORD).signIn(signInPage));
        assertThat(back.getPath()).isEqualTo("/mdm/apple-ios/ade/web-view/signed-in");

        AppleDeviceSimulator.InstalledProfile profile = iphone.installFromAdeWebView(back);
        assertThat(profile.challenge()).isNotBlank();
        assertThat(iphone.enrollIdentity().certificate()).isPresent();
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);

        Device enrolled = kernel.devices().get(pending).orElseThrow().device();
        assertThat(enrolled.status()).as("the pending record is claimed").isEqualTo(DeviceStatus.ENROLLED);
        assertThat(enrolled.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(enrolled.enrollmentMethod()).hasValue(EnrollmentMethod.PROGRAM);
        assertThat(enrolled.hardwareIds()).containsEntry("serial", iphone.serialNumber()).containsEntry("udid", iphone.udid());
        String dana = kernel.directory().find("corp", DANA).orElseThrow().id();
        assertThat(enrolled.userId()).as("assigned to the person who signed in").hasValue(dana);

        HttpResponse<byte[]> replayed = iphone.loadInAdeWebView(back);
        assertThat(replayed.statusCode()).as("a sign-in gives one profile").isEqualTo(403);
        assertProblem(replayed);

        // The spent code with the state of another iPhone's web view: the code works once.
        AppleDeviceSimulator other = pendingIphone("D4E5F607-000D4E5F60718294");
        URI othersPage = signInPageFor(other);
        String query = back.getRawQuery();
        String code = query.substring(query.indexOf("code=") + "code=".length()).split("&")[0];
        HttpResponse<byte[]> replayedCode = other.loadInAdeWebView(othersPage.resolve("/mdm/apple-ios/ade/web-view/signed-in?code=" + code
                + "&state=" + parameter(othersPage, "state")));
        assertThat(replayedCode.statusCode()).isEqualTo(403);
        assertThat(new String(replayedCode.body(), StandardCharsets.UTF_8)).contains("sign-in code is unknown, expired or already used");
        assertThat(kernel.devices().get(kernel.devices().idByHardwareId(Platform.IOS, "serial", other.serialNumber()).orElseThrow())
                .orElseThrow().device().status()).isEqualTo(DeviceStatus.PENDING);
    }

    @Test
    void unsignedForeignOrUnknownDevicesAndForeignReturnAddressesAreRefused() throws Exception {
        AppleDeviceSimulator iphone = pendingIphone("B2C3D4E5-000B2C3D4E5F6072");

        HttpResponse<byte[]> withoutDeviceInfo = iphone.loadInAdeWebView(webViewUrl);
        assertThat(withoutDeviceInfo.statusCode()).isEqualTo(400);
        assertProblem(withoutDeviceInfo);
        HttpResponse<String> garbage = iphone.openAdeWebView(webViewUrl, "not base64 at all!");
        assertThat(garbage.statusCode()).isEqualTo(400);
        HttpResponse<String> unsigned = iphone.openAdeWebView(webViewUrl,
                Base64.getEncoder().encodeToString("<plist><dict/></plist>".getBytes(StandardCharsets.UTF_8)));
        assertThat(unsigned.statusCode()).isEqualTo(400);
        HttpResponse<String> foreign = iphone.openAdeWebView(webViewUrl, new TestAppleDeviceCa("Forged").identity(iphone.udid()));
        assertThat(foreign.statusCode()).as("chained to a CA that is not Apple's").isEqualTo(403);
        assertThat(foreign.headers().firstValue("Location")).isEmpty();
        AppleDeviceSimulator stranger = new AppleDeviceSimulator(server.uri("/"), "C3D4E5F6-000C3D4E5F607183");
        HttpResponse<String> unknown = stranger.openAdeWebView(webViewUrl, APPLE_DEVICE_CA.identity(stranger.udid()));
        assertThat(unknown.statusCode()).as("a serial Apple never assigned here").isEqualTo(403);

        HttpResponse<byte[]> forgedState = iphone.loadInAdeWebView(webViewUrl.resolve("/mdm/apple-ios/ade/web-view/signed-in?code=abc&state="
                + "A".repeat(43)));
        assertThat(forgedState.statusCode()).isEqualTo(403);

        // The kernel hands its code only to a device endpoint path of this server.
        String state = parameter(signInPageFor(iphone), "state");
        for (String foreignReturn : new String[]{"https://attacker.example/mdm/apple-ios/ade/web-view/signed-in",
                "//attacker.example/mdm/apple-ios/ade/web-view/signed-in", "/api/v1/devices", "/mdm/no-such-plugin/ade/web-view/signed-in",
                "/mdm/apple-ios/../../api/v1/devices"}) {
            HttpResponse<byte[]> page = iphone.loadInAdeWebView(webViewUrl.resolve("/enroll/sign-in?return="
                    + URLEncoder.encode(foreignReturn, StandardCharsets.UTF_8) + "&state=" + state));
            assertThat(page.statusCode()).as(foreignReturn).isEqualTo(400);
            assertThat(new String(page.body(), StandardCharsets.UTF_8)).doesNotContain("name=\"password\"");
        }
    }

    /** An iPhone Apple Business Manager assigned to the server, registered PENDING by a sync. */
    private static AppleDeviceSimulator pendingIphone(String udid) throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), udid);
        apple.assign(iphone.serialNumber(), "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");
        HttpResponse<String> synced = server.sendAsAdmin("POST", "/api/v1/plugins/apple-ios/ade/tokens/abm/sync", null);
        assertThat(synced.statusCode()).as(synced.body()).isEqualTo(200);
        assertThat(kernel.devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber())).isPresent();
        return iphone;
    }

    /** Setup Assistant's first load of the web view, answered with the way to the server's sign-in page. */
    private static URI signInPageFor(AppleDeviceSimulator iphone) throws Exception {
        HttpResponse<String> opened = iphone.openAdeWebView(webViewUrl, APPLE_DEVICE_CA.identity(iphone.udid()));
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(303);
        URI signIn = webViewUrl.resolve(opened.headers().firstValue("Location").orElseThrow());
        assertThat(signIn.getPath()).isEqualTo("/enroll/sign-in");
        assertThat(parameter(signIn, "return")).isEqualTo("/mdm/apple-ios/ade/web-view/signed-in");
        assertThat(signIn.getRawQuery()).as("nothing of the device travels with the web view").doesNotContain(iphone.serialNumber(), iphone.udid());
        return signIn;
    }

    private static String parameter(URI uri, String name) {
        for (String pair : uri.getRawQuery().split("&")) {
            if (pair.startsWith(name + "=")) {
                return URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError(uri + " has no " + name);
    }

    private static void assertProblem(HttpResponse<byte[]> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    }
}
