package dev.shepherd.plugins.appstore.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.Plists;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.shepherd.plugins.appstore.apple.AppleAppsTestbed.KEYNOTE;
import static dev.shepherd.plugins.appstore.apple.AppleAppsTestbed.PAGES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Apple apps end to end through the running server, with the iOS plugin and the Apps and Books plugin loaded from
 * their files, the Apps and Books service played by {@link LocalVpp} and the iPhones by the Apple device simulator:
 * the content token uploaded through the plugin's endpoint, the catalog synced, a REQUIRED assignment installing the
 * app with a device licence on every iPhone of a group until the licences run out, an update reaching them, and an
 * UNINSTALL removing the app and giving the licences back; then user licences: one licence of the user covering both
 * of their iPhones, another user's iPhone failing when none is left, and the licence given back when the assignment
 * goes. The cases share one server (each uses its own app, group and iPhones), in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AppleAppsEndToEndIT {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    private AppleAppsTestbed testbed;
    /** The request types each iPhone received, by UDID, in order. */
    private final Map<String, List<String>> received = new ConcurrentHashMap<>();

    @BeforeAll
    void start() throws Exception {
        testbed = AppleAppsTestbed.start(home);
    }

    @AfterAll
    void stop() {
        if (testbed != null) {
            testbed.close();
        }
    }

    @Test
    @Order(1)
    void aRequiredStoreAppIsInstalledWithDeviceLicencesUpdatedAndRemovedAndRunningOutOfLicencesIsAVisibleFailure() throws Exception {
        LocalVpp vpp = testbed.vpp();
        testbed.uploadContentToken();
        JsonNode synced = testbed.admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200);
        assertThat(synced.path("listed").asInt()).isEqualTo(1);
        JsonNode app = testbed.admin("GET", "/api/v1/apps?storeId=apple-vpp", "", 200).get(0);
        String appId = app.path("id").asText();
        assertThat(app.path("identifier").asText()).isEqualTo("com.apple.Keynote");
        assertThat(app.path("version").asText()).isEqualTo("14.0");
        assertThat(app.path("licences").path("total").asLong()).isEqualTo(2);

        // Two licences for three iPhones.
        List<AppleDeviceSimulator> iphones = new ArrayList<>();
        for (String udid : List.of("A1000001-0011223344556677", "A2000002-0011223344556677", "A3000003-0011223344556677")) {
            iphones.add(testbed.enrolledIphone(udid));
        }
        String groupId = testbed.group("Field iPhones", iphones);

        testbed.admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + groupId, "{\"intent\": \"REQUIRED\"}", 200);

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
        assertThat(testbed.admin("GET", "/api/v1/app-inventory?identifier=com.apple.Keynote", "", 200)).hasSize(2);

        // Apple publishes 14.1: the next sync brings it to the catalog and the licensed iPhones update.
        vpp.addAsset(AppleAppsTestbed.keynote("14.1"));
        assertThat(testbed.admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200).path("newVersions").asInt()).isEqualTo(1);
        await().atMost(PATIENCE).until(() -> {
            work(iphones);
            return licensed.stream().allMatch(iphone -> stateOf(appId, iphone).path("installedVersion").asText().equals("14.1")
                    && stateOf(appId, iphone).path("state").asText().equals("INSTALLED"));
        });
        assertThat(licensed).allSatisfy(iphone -> assertThat(iphone.installedApps().get("com.apple.Keynote").shortVersion()).isEqualTo("14.1"));
        assertThat(testbed.admin("GET", "/api/v1/app-inventory?identifier=com.apple.Keynote&versionBelow=14.1", "", 200)).isEmpty();

        // UNINSTALL: RemoveApplication on the iPhones that have it, and both licences back in the pool.
        testbed.admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + groupId, "{\"intent\": \"UNINSTALL\"}", 200);
        await().atMost(PATIENCE).until(() -> {
            work(iphones);
            // Apple disassociates first; the server forgets its licence record once Apple's event completed.
            return vpp.assignedSerialNumbers(KEYNOTE).isEmpty() && countIn(states(appId), "REMOVED") == 3
                    && testbed.admin("GET", "/api/v1/apps/" + appId + "/licences", "", 200).path("licences").isEmpty();
        });
        assertThat(licensed).allSatisfy(iphone -> {
            assertThat(iphone.installedApps()).doesNotContainKey("com.apple.Keynote");
            assertThat(iphone.appCommands()).extracting(AppleAppsEndToEndIT::requestType).last().isEqualTo("RemoveApplication");
        });
        assertThat(testbed.admin("GET", "/api/v1/app-inventory?identifier=com.apple.Keynote", "", 200)).isEmpty();
        testbed.admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200);
        assertThat(testbed.admin("GET", "/api/v1/apps/" + appId, "", 200).path("licences").path("available").asLong()).isEqualTo(2);
    }

    @Test
    @Order(2)
    void userLicencesCoverAllOfTheUsersIPhonesWithOneLicenceAndAreGivenBackWhenTheAssignmentGoes() throws Exception {
        LocalVpp vpp = testbed.vpp();
        testbed.uploadContentToken();
        vpp.addAsset(AppleAppsTestbed.pages());
        testbed.admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200);
        String appId = testbed.admin("GET", "/api/v1/apps?storeId=apple-vpp&q=Pages", "", 200).get(0).path("id").asText();
        String dana = user("dana", "dana@" + LocalVpp.MANAGED_DOMAIN);
        String erin = user("erin", "erin@" + LocalVpp.MANAGED_DOMAIN);
        AppleDeviceSimulator danaPhone = iphoneOf(dana, "B1000001-0011223344556677");
        AppleDeviceSimulator danaPad = iphoneOf(dana, "B2000002-0011223344556677");
        AppleDeviceSimulator erinPhone = iphoneOf(erin, "B3000003-0011223344556677");
        List<AppleDeviceSimulator> iphones = List.of(danaPhone, danaPad, erinPhone);
        String groupId = testbed.group("Writers", List.of(danaPhone, danaPad));

        JsonNode assignment = testbed.admin("PUT", "/api/v1/apps/" + appId + "/assignments/" + groupId,
                "{\"intent\": \"REQUIRED\", \"licenceSource\": \"user\"}", 200);
        assertThat(assignment.path("licenceSource").asText()).isEqualTo("USER");

        // Pages has one licence: Dana holds it for both of her iPhones.
        await().atMost(PATIENCE).untilAsserted(() -> {
            work(iphones);
            assertThat(List.of(danaPhone, danaPad)).as(states(appId).toString())
                    .allSatisfy(iphone -> assertThat(stateOf(appId, iphone).path("state").asText()).isEqualTo("INSTALLED"));
        });
        assertThat(vpp.assignedClientUserIds(PAGES)).as("one licence, Dana's").containsExactly(dana);
        assertThat(vpp.assignedSerialNumbers(PAGES)).isEmpty();
        assertThat(vpp.userStatus(dana)).as("a Managed Apple Account is linked at once").hasValue("Associated");

        // Erin's iPhone joins the group: no licence is left for her, a failure on her iPhone alone.
        testbed.admin("POST", "/api/v1/groups/" + groupId + "/members", JSON.writeValueAsString(Map.of("add",
                List.of(testbed.deviceId(erinPhone)))), 200);
        await().atMost(PATIENCE).untilAsserted(() -> {
            work(iphones);
            assertThat(stateOf(appId, erinPhone).path("state").asText()).as(states(appId).toString()).isEqualTo("FAILED");
        });
        assertThat(stateOf(appId, erinPhone).path("reason").asText()).contains("No licences of app " + PAGES + " are left");
        assertThat(erinPhone.appCommands()).as("no install without a licence").isEmpty();
        assertThat(List.of(danaPhone, danaPad)).allSatisfy(iphone ->
                assertThat(stateOf(appId, iphone).path("state").asText()).isEqualTo("INSTALLED"));
        NSDictionary install = onlyInstall(danaPad);
        assertThat(((NSNumber) ((NSDictionary) install.objectForKey("Options")).objectForKey("PurchaseMethod")).intValue())
                .as("installed with the volume-purchase licence, the user's").isEqualTo(1);
        JsonNode licences = testbed.admin("GET", "/api/v1/apps/" + appId + "/licences", "", 200).path("licences");
        assertThat(licences).hasSize(1);
        assertThat(licences.get(0).path("kind").asText()).isEqualTo("USER");
        assertThat(licences.get(0).path("userId").asText()).isEqualTo(dana);
        testbed.admin("POST", "/api/v1/app-stores/apple-vpp/sync", "", 200);
        assertThat(testbed.admin("GET", "/api/v1/apps/" + appId, "", 200).path("licences").path("assigned").asLong()).isEqualTo(1);

        // The assignment goes: no device of Dana's needs Pages any more, so her licence goes back to Apple.
        testbed.admin("DELETE", "/api/v1/apps/" + appId + "/assignments/" + groupId, "", 204);
        await().atMost(PATIENCE).until(() -> vpp.assignedClientUserIds(PAGES).isEmpty()
                && testbed.admin("GET", "/api/v1/apps/" + appId + "/licences", "", 200).path("licences").isEmpty());
    }

    /** A person in the server's directory; @return their id */
    private String user(String username, String email) throws Exception {
        return testbed.admin("POST", "/api/v1/users", JSON.writeValueAsString(Map.of("username", username, "displayName", username,
                "email", email)), 201).path("id").asText();
    }

    /** An enrolled iPhone the admin assigned to a user. */
    private AppleDeviceSimulator iphoneOf(String userId, String udid) throws Exception {
        AppleDeviceSimulator iphone = testbed.enrolledIphone(udid);
        testbed.admin("PATCH", "/api/v1/devices/" + testbed.deviceId(iphone), JSON.writeValueAsString(Map.of("userId", userId)), 200);
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

    private JsonNode states(String appId) throws Exception {
        return testbed.admin("GET", "/api/v1/apps/" + appId + "/devices", "", 200);
    }

    /** The iPhone's state of the app, missing while it has none. */
    private JsonNode stateOf(String appId, AppleDeviceSimulator iphone) {
        String id = testbed.deviceId(iphone);
        try {
            for (JsonNode state : states(appId)) {
                if (state.path("deviceId").asText().equals(id)) {
                    return state;
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return MissingNode.getInstance();
    }

    private static long countIn(JsonNode states, String state) {
        long count = 0;
        for (JsonNode each : states) {
            count += each.path("state").asText().equals(state) ? 1 : 0;
        }
        return count;
    }
}
