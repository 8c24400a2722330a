package dev.shepherd.plugins.appstore.apple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.testing.TestServer;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the Apple app tests run against: the real server with the iOS plugin and the Apps and Books plugin loaded from
 * their files, the plugin pointed at {@link LocalVpp}, where the organisation owns two licences of Keynote, and
 * iPhones enrolled through enrollment links that get their App Store apps from the fake. The directory's email
 * addresses count as Managed Apple Accounts ({@code managedAppleAccounts}), so Apple links users at once.
 */
final class AppleAppsTestbed implements AutoCloseable {

    /** Keynote's adam id. */
    static final String KEYNOTE = "361285480";
    /** Pages' adam id. */
    static final String PAGES = "361309726";
    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalVpp vpp;
    private final TestServer server;

    private AppleAppsTestbed(LocalVpp vpp, TestServer server) {
        this.vpp = vpp;
        this.server = server;
    }

    /** Starts the fake and the server in {@code home}, and waits until both plugins serve their endpoints. */
    static AppleAppsTestbed start(Path home) throws Exception {
        LocalVpp vpp = LocalVpp.start();
        vpp.addAsset(keynote("14.0"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n"
                + "    apple-ios:\n      topic: " + TOPIC + "\n"
                + "    appstore-apple:\n      serviceUrl: \"" + vpp.serviceUrl() + "\"\n      lookupUrl: \"" + vpp.lookupUrl() + "\"\n"
                + "      managedAppleAccounts: true\n");
        TestServer server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"),
                Clock.systemUTC());
        Files.copy(Path.of(System.getProperty("shepherd.iosPluginFile")), server.pluginsDir().resolve("apple-ios.zip"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("appstore-apple.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/mdm/apple-ios/checkin").statusCode() == 405
                && server.getAsAdmin("/api/v1/plugins/appstore-apple/content-token").body().contains("No content token"));
        return new AppleAppsTestbed(vpp, server);
    }

    /** Keynote as Apple lists it, in a version, with two licences. */
    static LocalVpp.OwnedAsset keynote(String version) {
        return new LocalVpp.OwnedAsset(KEYNOTE, "STDQ", 2, true, true, List.of("iOS"), "Keynote", "com.apple.Keynote", version);
    }

    /** Pages as Apple lists it, with one licence. */
    static LocalVpp.OwnedAsset pages() {
        return new LocalVpp.OwnedAsset(PAGES, "STDQ", 1, true, true, List.of("iOS"), "Pages", "com.apple.Pages", "14.1");
    }

    LocalVpp vpp() {
        return vpp;
    }

    TestServer server() {
        return server;
    }

    /** An admin uploads the location's content token through the plugin's endpoint. */
    void uploadContentToken() {
        HttpResponse<String> token = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/appstore-apple/content-token"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofString(vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(200)))))
                .build());
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
    }

    /** An iPhone enrolled through an enrollment link, which gets store apps from the Apps and Books fake. */
    AppleDeviceSimulator enrolledIphone(String udid) throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), udid);
        iphone.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        // As the App Store does: a volume-purchased app only for a serial number holding one of its licences, or for
        // the iPhone's user (signed in with the Apple Account Apple links to their clientUserId) holding one.
        iphone.useAppStore((adamId, serialNumber, purchaseMethod) -> vpp.asset(String.valueOf(adamId))
                .filter(asset -> purchaseMethod == 0 || vpp.assignedSerialNumbers(asset.adamId()).contains(serialNumber)
                        || userOf(iphone).filter(user -> vpp.assignedClientUserIds(asset.adamId()).contains(user)).isPresent())
                .map(asset -> new AppleDeviceSimulator.StoreListing(asset.bundleId(), asset.name(), asset.version())));
        return iphone;
    }

    /** @return the directory user the server assigned the iPhone to, if any */
    private Optional<String> userOf(AppleDeviceSimulator iphone) {
        return server.server().kernel().devices().get(DeviceId.parse(deviceId(iphone))).flatMap(record -> record.device().userId());
    }

    /** @return the kernel's id of an enrolled iPhone */
    String deviceId(AppleDeviceSimulator iphone) {
        return server.server().kernel().devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow().toString();
    }

    /** A static group of the iPhones, made through the API; @return its id */
    String group(String name, List<AppleDeviceSimulator> iphones) throws Exception {
        String groupId = admin("POST", "/api/v1/groups", JSON.writeValueAsString(Map.of("name", name)), 201).path("id").asText();
        admin("POST", "/api/v1/groups/" + groupId + "/members", JSON.writeValueAsString(Map.of("add",
                iphones.stream().map(this::deviceId).toList())), 200);
        return groupId;
    }

    /** Calls the admin API as the server's first admin, expecting a status; @return the answer's JSON */
    JsonNode admin(String method, String path, String body, int expectedStatus) throws Exception {
        HttpResponse<String> response = server.sendAsAdmin(method, path, body);
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expectedStatus);
        return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }

    @Override
    public void close() {
        server.close();
        vpp.close();
    }
}
