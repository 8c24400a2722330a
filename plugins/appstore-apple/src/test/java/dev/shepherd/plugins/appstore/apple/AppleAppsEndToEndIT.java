package dev.shepherd.plugins.appstore.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Apple apps end to end through the running server, with the iOS plugin and the Apps and Books plugin loaded from
 * their files, the Apps and Books service played by {@link LocalVpp} and the iPhones by the Apple device simulator:
 * the content token uploaded through the plugin's endpoint, the catalog synced, a REQUIRED assignment installing the
 * app with a device licence on every iPhone of a group until the licences run out, an update reaching them, and an
 * UNINSTALL removing the app and giving the licences back.
 */
class AppleAppsEndToEndIT {

    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final String KEYNOTE = "361285480";
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private LocalVpp vpp;
    private TestServer server;
    /** The request types each iPhone received, by UDID, in order. */
    private final Map<String, List<String>> received = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws Exception {
        vpp = LocalVpp.start();
        vpp.addAsset(keynote("14.0"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n"
                + "    apple-ios:\n      topic: " + TOPIC + "\n"
                + "    appstore-apple:\n      serviceUrl: \"" + vpp.serviceUrl() + "\"\n      lookupUrl: \"" + vpp.lookupUrl() + "\"\n");
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"), Clock.systemUTC());
        Files.copy(Path.of(System.getProperty("shepherd.iosPluginFile")), server.pluginsDir().resolve("apple-ios.zip"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("appstore-apple.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/mdm/apple-ios/checkin").statusCode() == 405
                && server.getAsAdmin("/api/v1/plugins/appstore-apple/content-token").body().contains("No content token"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (vpp != null) {
            vpp.close();
        }
    }

    @Test
    void aRequiredStoreAppIsInstalledWithDeviceLicencesUpdatedAndRemovedAndRunningOutOfLicencesIsAVisibleFailure() throws Exception {
        // Two licences for three iPhones.
        HttpResponse<String> token = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/appstore-apple/content-token"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofString(vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(200)))))
                .build());
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
        JsonNode synced = admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200);
        assertThat(synced.path("listed").asInt()).isEqualTo(1);
        JsonNode app = admin("GET", "/api/v1/apps?storeId=apple-vpp", "", 200).get(0);
        String appId = app.path("id").asText();
        assertThat(app.path("identifier").asText()).isEqualTo("com.apple.Keynote");
        assertThat(app.path("version").asText()).isEqualTo("14.0");
        assertThat(app.path("licences").path("total").asLong()).isEqualTo(2);

        List<AppleDeviceSimulator> iphones = new ArrayList<>();
        for (String udid : List.of("A1000001-0011223344556677", "A2000002-0011223344556677", "A3000003-0011223344556677")) {
            iphones.add(enrolled(udid));
        }
        JsonNode group = admin("POST", "/api/v1/groups", "{\"name\": \"Field iPhones\"}", 201);
        String groupId = group.path("id").asText();
        admin("POST", "/api/v1/groups/" + groupId + "/members", JSON.writeValueAsString(Map.of("add",
                iphones.stream().map(this::deviceId).toList())), 200);

        admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + groupId, "{\"intent\": \"REQUIRED\"}", 200);

        // Two iPhones get InstallApplication with their licence and report the app; the third is told no licence is left.
        await().atMost(PATIENCE).until(() -> {
            work(iphones);
            return countIn(states(appId), "INSTALLED") == 2 && countIn(states(appId), "FAILED") == 1;
        });
        List<AppleDeviceSimulator> licensed = new ArrayList<>();
        for (AppleDeviceSimulator iphone : iphones) {
            JsonNode state = stateOf(appId, iphone);
            if (state.path("state").asText().equals("INSTALLED")) {
                licensed.add(iphone);
                assertThat(state.path("installedVersion").asText()).isEqualTo("14.0");
                NSDictionary install = onlyInstall(iphone);
                assertThat(((NSNumber) install.objectForKey("iTunesStoreID")).longValue()).isEqualTo(Long.parseLong(KEYNOTE));
                assertThat(((NSNumber) ((NSDictionary) install.objectForKey("Options")).objectForKey("PurchaseMethod")).intValue())
                        .as("installed with the device's volume-purchase licence").isEqualTo(1);
                assertThat(iphone.installedApps().get("com.apple.Keynote").deviceLicensed()).isTrue();
                List<String> types = received.get(iphone.udid());
                assertThat(types.subList(types.indexOf("InstallApplication"), types.size())).as("the plugin asks for the apps at once")
                        .startsWith("InstallApplication", "InstalledApplicationList");
            } else {
                assertThat(state.path("state").asText()).isEqualTo("FAILED");
                assertThat(state.path("reason").asText()).as("Apple's own reason").contains("No licences of app " + KEYNOTE + " are left")
                        .contains("not enough licenses");
                assertThat(iphone.appCommands()).as("no install without a licence").isEmpty();
            }
        }
        assertThat(vpp.assignedSerialNumbers(KEYNOTE)).containsExactlyInAnyOrderElementsOf(
                licensed.stream().map(AppleDeviceSimulator::serialNumber).toList());
        assertThat(admin("GET", "/api/v1/app-inventory?identifier=com.apple.Keynote", "", 200)).hasSize(2);

        // Apple publishes 14.1: the next sync brings it to the catalog and the licensed iPhones update.
        vpp.addAsset(keynote("14.1"));
        assertThat(admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200).path("newVersions").asInt()).isEqualTo(1);
        await().atMost(PATIENCE).until(() -> {
            work(iphones);
            return licensed.stream().allMatch(iphone -> stateOf(appId, iphone).path("installedVersion").asText().equals("14.1")
                    && stateOf(appId, iphone).path("state").asText().equals("INSTALLED"));
        });
        assertThat(licensed).allSatisfy(iphone -> assertThat(iphone.installedApps().get("com.apple.Keynote").shortVersion()).isEqualTo("14.1"));
        assertThat(admin("GET", "/api/v1/app-inventory?identifier=com.apple.Keynote&versionBelow=14.1", "", 200)).isEmpty();

        // UNINSTALL: RemoveApplication on the iPhones that have it, and both licences back in the pool.
        admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + groupId, "{\"intent\": \"UNINSTALL\"}", 200);
        await().atMost(PATIENCE).until(() -> {
            work(iphones);
            return vpp.assignedSerialNumbers(KEYNOTE).isEmpty() && countIn(states(appId), "REMOVED") == 3;
        });
        assertThat(licensed).allSatisfy(iphone -> {
            assertThat(iphone.installedApps()).doesNotContainKey("com.apple.Keynote");
            assertThat(iphone.appCommands()).extracting(command -> requestType(command)).last().isEqualTo("RemoveApplication");
        });
        assertThat(admin("GET", "/api/v1/app-inventory?identifier=com.apple.Keynote", "", 200)).isEmpty();
        assertThat(admin("GET", "/api/v1/apps/" + appId + "/licences", "", 200).path("licences")).isEmpty();
        admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200);
        assertThat(admin("GET", "/api/v1/apps/" + appId, "", 200).path("licences").path("available").asLong()).isEqualTo(2);
    }

    private static LocalVpp.OwnedAsset keynote(String version) {
        return new LocalVpp.OwnedAsset(KEYNOTE, "STDQ", 2, true, true, List.of("iOS"), "Keynote", "com.apple.Keynote", version);
    }

    /** An iPhone enrolled through an enrollment link, which gets store apps from the Apps and Books fake. */
    private AppleDeviceSimulator enrolled(String udid) throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), udid);
        iphone.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1));
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);
        // As the App Store does: a volume-purchased app only for a serial number holding one of its licences.
        iphone.useAppStore((adamId, serialNumber, purchaseMethod) -> vpp.asset(String.valueOf(adamId))
                .filter(asset -> purchaseMethod == 0 || vpp.assignedSerialNumbers(asset.adamId()).contains(serialNumber))
                .map(asset -> new AppleDeviceSimulator.StoreListing(asset.bundleId(), asset.name(), asset.version())));
        return iphone;
    }

    /** Every iPhone works through the commands waiting for it, as woken devices do; what each got is kept in {@link #received}. */
    private void work(List<AppleDeviceSimulator> iphones) throws Exception {
        for (AppleDeviceSimulator iphone : iphones) {
            iphone.acknowledgeAll().forEach(command -> received.computeIfAbsent(iphone.udid(), udid -> new ArrayList<>())
                    .add(requestType(command)));
        }
    }

    private static NSDictionary onlyInstall(AppleDeviceSimulator iphone) {
        List<NSDictionary> installs = iphone.appCommands().stream().filter(command -> requestType(command).equals("InstallApplication"))
                .map(command -> (NSDictionary) command.objectForKey("Command")).toList();
        assertThat(installs).hasSize(1);
        return installs.get(0);
    }

    private static String requestType(NSDictionary command) {
        return Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType");
    }

    private String deviceId(AppleDeviceSimulator iphone) {
        return server.server().kernel().devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow().toString();
    }

    private JsonNode states(String appId) throws Exception {
        return admin("GET", "/api/v1/apps/" + appId + "/devices", "", 200);
    }

    private JsonNode stateOf(String appId, AppleDeviceSimulator iphone) {
        try {
            String id = deviceId(iphone);
            for (JsonNode state : states(appId)) {
                if (state.path("deviceId").asText().equals(id)) {
                    return state;
                }
            }
            return JSON.createObjectNode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long countIn(JsonNode states, String state) {
        long count = 0;
        for (JsonNode each : states) {
            count += each.path("state").asText().equals(state) ? 1 : 0;
        }
        return count;
    }

    private JsonNode admin(String method, String path, String body, int expectedStatus) throws Exception {
        HttpResponse<String> response = server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expectedStatus);
        return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }
}
