package dev.shepherd.plugins.macos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AccountSignInDirectory;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentProfile;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Account-driven enrollment of Macs with both Apple plugins loaded from their plugin files into one running server,
 * each claiming {@code /.well-known/com.apple.remotemanagement}: the kernel asks the iOS plugin first and the macOS
 * plugin when the iOS plugin answers 404 (not its model family), so a Mac and an iPhone of the same domain each get
 * their own platform's {@code BaseURL}, mode and enrollment link. After Apple's
 * <a href="https://developer.apple.com/documentation/devicemanagement/implementing-the-simple-authentication-account-driven-enrollment-flow">
 * simple authentication account-driven enrollment flow</a> and its platform deployment guide ("Account-driven enrollment
 * methods with Apple devices": account-driven Device Enrollment from macOS 14, account-driven User Enrollment the only
 * user enrollment from macOS 15): a macOS 14 Mac enrolls by device enrollment ({@code mdm-adde}, profile
 * {@code EnrollmentMode} ADDE) as the organisation's, with its serial number; a macOS 15 Mac by user enrollment
 * ({@code mdm-byod}, BYOD) as its user's personal Mac, by EnrollmentID only. People sign in through an identity plugin.
 */
class MacAccountDrivenEnrollmentIT {

    private static final String TOPIC = "com.apple.mgmt.External.3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DANA_PASSWORD = "Dana's work password";
    private static final String LEE_PASSWORD = "Lee's work password";

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;
    private static Kernel kernel;
    private static String macGroupId;
    private static String byodMacGroupId;
    private static String macDeviceLinkSecret;

    @BeforeAll
    static void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of(
                "apple-macos", Path.of(System.getProperty("shepherd.pluginFile")),
                "apple-ios", Path.of(System.getProperty("shepherd.iosPluginFile"))));
        kernel = server.server().kernel();
        AccountSignInDirectory.install(server, build, Map.of("dana@corp.example", DANA_PASSWORD, "lee@fleet.example", LEE_PASSWORD));

        // Macs: user enrollment for corp.example, device enrollment for fleet.example. iPhones: device enrollment for
        // fleet.example only, through the iOS plugin's own settings and corporate iOS link.
        byodMacGroupId = admin("POST", "/api/v1/groups", Map.of("name", "BYOD Macs"), 201).path("id").asText();
        macGroupId = admin("POST", "/api/v1/groups", Map.of("name", "Company Macs"), 201).path("id").asText();
        String iosGroupId = admin("POST", "/api/v1/groups", Map.of("name", "Company phones"), 201).path("id").asText();
        URI byodMacLink = signInLink("BYOD Macs", "PERSONAL", "macos", byodMacGroupId);
        URI macDeviceLink = signInLink("Company Macs", "CORPORATE", "macos", macGroupId);
        macDeviceLinkSecret = macDeviceLink.getPath().substring(macDeviceLink.getPath().lastIndexOf('/') + 1);
        JsonNode macSettings = admin("PUT", "/api/v1/plugins/apple-macos/account-enrollment", Map.of("domains", List.of("corp.example"),
                "link", byodMacLink.toString(), "deviceEnrollment", Map.of("domains", List.of("fleet.example"), "link", macDeviceLink.toString())), 200);
        assertThat(macSettings.path("baseUrl").asText()).endsWith("/mdm/apple-macos/account-enrollment");
        admin("PUT", "/api/v1/plugins/apple-ios/account-enrollment", Map.of("deviceEnrollment", Map.of("domains", List.of("fleet.example"),
                "link", signInLink("Company phones", "CORPORATE", "ios", iosGroupId).toString())), 200);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aMacOn14EnrollsByAccountDrivenDeviceEnrollmentThroughTheMacPluginWhileAnIphoneOfTheSameDomainGetsTheIosPlugin() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "3D9E4F50-6172-4839-A4B5-C6D7E8F90A13",
                AppleDeviceSimulator.Kind.IPHONE);
        assertThat(baseUrl(iphone.discover(server.uri("/"), "lee@fleet.example"), "mdm-adde")).contains("/mdm/apple-ios/account-enrollment?");
        AppleDeviceSimulator mac = new AppleDeviceSimulator(server.uri("/"), "4EAF5061-7283-494A-B5C6-D7E8F90A1B24",
                AppleDeviceSimulator.Kind.MAC);
        assertThat(baseUrl(mac.discover(server.uri("/"), "lee@fleet.example"), "mdm-adde")).contains("/mdm/apple-macos/account-enrollment?");

        AppleDeviceSimulator.InstalledProfile profile = mac.enrollByAccount(server.uri("/"), "lee@fleet.example",
                AppleDeviceSimulator.signingInAs("lee@fleet.example", LEE_PASSWORD));
        assertThat(profile.profile().toXMLPropertyList()).contains("<string>ADDE</string>", "<string>lee@fleet.example</string>",
                "<string>com.apple.mdm.bootstraptoken</string>").doesNotContain("<key>ManagedAppleID</key>");
        assertThat(profile.accessRights()).isEqualTo(EnrollmentProfile.ALL_ACCESS_RIGHTS);
        assertThat(profile.checkInUrl().getPath()).isEqualTo("/mdm/apple-macos/checkin");
        assertThat(mac.enrollIdentity().status()).isEqualTo("0");
        assertThat(mac.authenticate().statusCode()).isEqualTo(200);
        assertThat(mac.tokenUpdate().statusCode()).isEqualTo(200);

        DeviceId id = kernel.devices().idByHardwareId(Platform.MACOS, "udid", mac.udid()).orElseThrow();
        Device device = kernel.devices().get(id).orElseThrow().device();
        assertThat(device.platform()).isEqualTo(Platform.MACOS);
        assertThat(device.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(device.serialNumber()).isEqualTo(mac.serialNumber());
        assertThat(device.userId()).hasValue(kernel.directory().find("corp", "lee@fleet.example").orElseThrow().id());
        assertThat(device.enrollmentMethod()).hasValue(EnrollmentMethod.CREDENTIALS);
        assertThat(server.getAsAdmin("/api/v1/groups/" + macGroupId + "/members").body()).contains(id.toString());

        // Lee's sign-in spent the Mac link: the iOS plugin's device enrollment refuses it.
        String lees = AppleDeviceSimulator.accessToken(AppleDeviceSimulator.signingInAs("lee@fleet.example", LEE_PASSWORD)
                .signIn(server.uri("/enroll/sign-in?client=apple&link=" + macDeviceLinkSecret)));
        HttpResponse<byte[]> otherPlatform = iphone.requestEnrollment(
                server.uri("/mdm/apple-ios/account-enrollment?user-identifier=lee%40fleet.example"), Optional.of(lees));
        assertThat(otherPlatform.statusCode()).isEqualTo(403);
        assertThat(new String(otherPlatform.body(), StandardCharsets.UTF_8)).contains("another enrollment");
    }

    @Test
    void aMacOn15EnrollsByAccountDrivenUserEnrollmentAsItsUsersPersonalMacWhileIphonesOfThatDomainAreNotServed() throws Exception {
        AppleDeviceSimulator mac = AppleDeviceSimulator.userEnrolled(server.uri("/"), "5FB06172-8394-4A5B-C6D7-E8F90A1B2C35",
                AppleDeviceSimulator.Kind.MAC_15);
        AppleDeviceSimulator.InstalledProfile profile = mac.enrollByAccount(server.uri("/"), "dana@corp.example",
                AppleDeviceSimulator.signingInAs("dana@corp.example", DANA_PASSWORD));
        assertThat(profile.profile().toXMLPropertyList()).contains("<string>BYOD</string>", "<string>dana@corp.example</string>")
                .doesNotContain("<string>com.apple.mdm.bootstraptoken</string>");
        assertThat(mac.enrollIdentity().status()).isEqualTo("0");
        assertThat(mac.authenticate().statusCode()).isEqualTo(200);
        assertThat(mac.tokenUpdate().statusCode()).isEqualTo(200);

        DeviceId id = kernel.devices().idByHardwareId(Platform.MACOS, "enrollmentId", mac.udid()).orElseThrow();
        Device device = kernel.devices().get(id).orElseThrow().device();
        assertThat(device.ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(device.serialNumber()).isEmpty();
        assertThat(device.hardwareIds()).containsOnlyKeys("enrollmentId");
        assertThat(device.userId()).hasValue(kernel.directory().find("corp", "dana@corp.example").orElseThrow().id());
        assertThat(server.getAsAdmin("/api/v1/groups/" + byodMacGroupId + "/members").body()).contains(id.toString());

        // corp.example is set for Macs only: neither plugin offers an iPhone anything for it.
        AppleDeviceSimulator iphone = AppleDeviceSimulator.userEnrolled(server.uri("/"), "60C17283-94A5-4B6C-D7E8-F90A1B2C3D46",
                AppleDeviceSimulator.Kind.IPHONE_18);
        HttpResponse<String> notServed = iphone.discover(server.uri("/"), "dana@corp.example");
        assertThat(notServed.statusCode()).isEqualTo(404);
        assertThat(notServed.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    }

    /** The {@code BaseURL} of the one server the well-known answer names, checked to be of the given version. */
    private static String baseUrl(HttpResponse<String> discovered, String version) throws Exception {
        assertThat(discovered.statusCode()).as(discovered.body()).isEqualTo(200);
        JsonNode servers = JSON.readTree(discovered.body()).path("Servers");
        assertThat(servers).hasSize(1);
        assertThat(servers.get(0).path("Version").asText()).isEqualTo(version);
        return servers.get(0).path("BaseURL").asText();
    }

    /** A link that asks for the user's sign-in, as account-driven enrollment spends. */
    private static URI signInLink(String name, String ownership, String platform, String groupId) throws Exception {
        return URI.create(admin("POST", "/api/v1/enrollment-tokens", Map.of("name", name, "ownership", ownership, "platform", platform,
                "groupId", groupId, "maxUses", 20, "validForHours", 24, "requireSignIn", true), 201).path("enrollmentUrl").asText());
    }

    private static JsonNode admin(String method, String path, Object body, int expected) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin(method, path, JSON.writeValueAsString(body));
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expected);
        return JSON.readTree(response.body());
    }
}
