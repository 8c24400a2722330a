package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.audit.Actor;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.group.Group;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The ChromeOS plugin, loaded from its file by a real server, managing Chromebooks through a Google stand-in on
 * loopback: devices are synced into the registry, a policy reaches their org units as Chrome policies and is read back
 * as installed, remote commands are issued and followed to completion, and Google's errors are retried or surfaced
 * without losing a command; and the Chrome apps those policies deploy appear in the app catalog.
 */
class ChromeOsManagementIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DRAWINGS = "mkaakpdehdafacodkgkpghoibnmamcme";
    private static final String TRANSLATE = "aapbdbdomjkkjkaonfhkkikfgjllcleb";

    @TempDir
    Path home;
    private LocalGoogle google;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        google = ChromeOsTestServers.salesAndLab();
        server = ChromeOsTestServers.start(home, google, Map.of());
    }

    @AfterEach
    void stop() {
        server.close();
        google.close();
        assertThat(google.violations()).as("requests Google would refuse").isEmpty();
    }

    @Test
    void devicesAreSyncedPoliciesReachTheirOrgUnitsAndCommandsAreFollowedToCompletion() throws Exception {
        HttpResponse<String> uploaded = admin("PUT", "/api/v1/plugins/chromeos/service-account", google.serviceAccountKey());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        assertThat(uploaded.body()).contains("shepherd@shepherd-test.iam.gserviceaccount.com").doesNotContain("PRIVATE KEY");

        HttpResponse<String> synced = admin("POST", "/api/v1/plugins/chromeos/sync", "");
        assertThat(synced.statusCode()).as(synced.body()).isEqualTo(200);
        assertThat(JSON.readTree(synced.body()).path("devices").asInt()).isEqualTo(3);
        assertThat(JSON.readTree(synced.body()).path("enrolled").asInt()).isEqualTo(3);
        assertThat(google.requests("GET", "/devices/chromeos")).as("two pages of devices").hasSize(2);
        assertThat(google.requests().get(0).path()).isEqualTo("/token");
        assertThat(google.requests().stream().filter(r -> !r.path().equals("/token")))
                .allSatisfy(r -> assertThat(r.headers().get("authorization")).isEqualTo("Bearer ya29.local-1"));

        DeviceId ana = chromebook("d1a2b3c4-0001");
        DeviceId ben = chromebook("d1a2b3c4-0002");
        DeviceId cho = chromebook("d1a2b3c4-0003");
        Map<String, String> inventory = server.server().kernel().devices().inventory(ana);
        assertThat(inventory).containsEntry("serial.number", "5CD1230001").containsEntry("os.version", "124.0.6367.171")
                .containsEntry("model", "HP Chromebook x360 14c").containsEntry("chromeos.orgUnitPath", "/Sales")
                .containsEntry("chromeos.recentUsers", "ana@example.com").containsEntry("chromeos.status", "ACTIVE");
        assertThat(server.server().kernel().devices().get(ana).orElseThrow().device().lastCheckIn())
                .contains(Instant.parse("2024-05-02T08:30:00Z"));

        // Each org unit is a Shepherd group the plugin keeps in step, so admins can target it.
        var kernelGroups = server.server().kernel().groups();
        assertThat(kernelGroups.groupsOf(ana)).extracting(Group::name).contains("ChromeOS /Sales");
        assertThat(kernelGroups.createdBy(Actor.plugin("chromeos"))).extracting(Group::name)
                .contains("ChromeOS /Sales");

        // Every Chromebook gets the policy, so each org unit's devices agree and it is set on both units.
        String group = allChromebooks();
        String policy = id(admin("POST", "/api/v1/policies", """
                {"name": "Chromebook baseline", "settings": [
                  {"type": "screen_lock", "value": {"timeoutMinutes": 10, "lockOnSleep": true}},
                  {"type": "restrictions", "value": {"allowCamera": false, "allowScreenCapture": false}},
                  {"type": "passcode", "value": {"required": true, "minLength": 6}}]}"""));
        assertThat(admin("PUT", "/api/v1/policies/" + policy + "/assignments/" + group, "{\"priority\": 10}").statusCode()).isIn(200, 201, 204);

        await().atMost(Duration.ofSeconds(30)).until(() -> state(ana, "screen_lock") == SettingState.INSTALLED
                && state(cho, "restrictions") == SettingState.INSTALLED && state(ben, "screen_lock") == SettingState.INSTALLED);
        await().atMost(Duration.ofSeconds(30)).until(() -> state(ana, "passcode") == SettingState.INSTALLED);
        assertThat(google.policy("03ph8a2z1sales", "chrome.users.PinSettings").toString()).isEqualTo("{\"pinUnlockMinimumLength\":6}");
        JsonNode modify = google.requests("POST", "/policies/orgunits:batchModify").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.toString().contains("chrome.users.IdleSettingsExtended") && body.toString().contains("orgunits/03ph8a2z1sales"))
                .findFirst().orElseThrow();
        assertThat(modify.path("requests").get(0)).isEqualTo(JSON.readTree("""
                {"policyTargetKey": {"targetResource": "orgunits/03ph8a2z1sales"},
                 "policyValue": {"policySchema": "chrome.users.IdleSettingsExtended",
                                 "value": {"screenLockDelayAc": {"duration": 600}, "screenLockDelayBattery": {"duration": 600},
                                           "lockOnSleepOrLidClose": "TRUE"}},
                 "updateMask": "screenLockDelayAc,screenLockDelayBattery,lockOnSleepOrLidClose"}"""));
        assertThat(google.policy("03ph8a2z2lab", "chrome.users.VideoInput").toString()).isEqualTo("{\"videoCaptureAllowed\":false}");
        assertThat(google.policy("03ph8a2z2lab", "chrome.users.Screenshot").toString()).isEqualTo("{\"disableScreenshots\":true}");
        assertThat(google.requests("POST", "/policies:resolve")).isNotEmpty();

        // A policy for one device of /Sales only cannot be set on /Sales without reaching the other: it fails, saying why.
        String front = id(admin("POST", "/api/v1/groups", "{\"name\":\"Ana's Chromebook\"}"));
        assertThat(admin("POST", "/api/v1/groups/" + front + "/members", "{\"add\":[\"" + ana + "\"]}").statusCode()).isIn(200, 201);
        String updates = id(admin("POST", "/api/v1/policies", "{\"name\":\"Hold updates\",\"settings\":[{\"type\":\"os_update\",\"value\":{\"automatic\":false}}]}"));
        admin("PUT", "/api/v1/policies/" + updates + "/assignments/" + front, "{\"priority\": 20}");
        await().atMost(Duration.ofSeconds(30)).until(() -> state(ana, "os_update") == SettingState.FAILED);
        assertThat(server.server().kernel().policies().settingStates(ana).stream().filter(s -> s.settingKey().equals("os_update"))
                .findFirst().orElseThrow().reason().orElseThrow())
                .contains("devices of /Sales disagree on os_update").contains("1 as this command says, 1 want it with another value or not at all");
        assertThat(google.policy("03ph8a2z1sales", "chrome.devices.AutoUpdateSettings")).as("nothing set on /Sales").isNull();

        // Reboot and powerwash: issued at Google, then polled until the device executed them.
        UUID reboot = command(ana, "{\"type\":\"RESTART\"}");
        UUID powerwash = command(cho, "{\"type\":\"WIPE\"}");
        await().atMost(Duration.ofSeconds(30)).until(() -> commandState(reboot) == CommandState.ACKNOWLEDGED
                && commandState(powerwash) == CommandState.ACKNOWLEDGED);
        assertThat(google.requests("POST", "d1a2b3c4-0001:issueCommand")).singleElement()
                .satisfies(r -> assertThat(r.json().path("commandType").asText()).isEqualTo("REBOOT"));
        assertThat(google.requests("POST", "d1a2b3c4-0003:issueCommand")).singleElement()
                .satisfies(r -> assertThat(r.json().path("commandType").asText()).isEqualTo("REMOTE_POWERWASH"));
        assertThat(google.requests().stream().filter(r -> r.path().contains("/d1a2b3c4-0001/commands/")).count())
                .as("polled until executed").isGreaterThanOrEqualTo(2);
        assertThat(server.server().kernel().commands().get(reboot).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(google.tokensIssued()).as("the token is cached").isEqualTo(1);
    }

    @Test
    void aSettingOfUserAndDevicePoliciesIsSentToGoogleOneNamespaceABatch() throws Exception {
        connectAndSync();
        DeviceId ana = chromebook("d1a2b3c4-0001");
        DeviceId cho = chromebook("d1a2b3c4-0003");
        String group = allChromebooks();
        String policy = id(admin("POST", "/api/v1/policies", """
                {"name": "Locked down", "settings": [{"type": "restrictions",
                  "value": {"allowCamera": false, "allowScreenCapture": true, "allowBluetooth": false, "allowFactoryReset": false}}]}"""));
        assertThat(admin("PUT", "/api/v1/policies/" + policy + "/assignments/" + group, "{\"priority\": 10}").statusCode()).isIn(200, 201, 204);

        await().atMost(Duration.ofSeconds(30)).until(() -> state(ana, "restrictions") == SettingState.INSTALLED
                && state(cho, "restrictions") == SettingState.INSTALLED);
        assertThat(google.policy("03ph8a2z2lab", "chrome.users.VideoInput").toString()).isEqualTo("{\"videoCaptureAllowed\":false}");
        assertThat(google.policy("03ph8a2z2lab", "chrome.devices.Bluetooth").toString()).isEqualTo("{\"allowBluetooth\":false}");
        // Each device of a unit carries the command, so a unit may be set more than once; never two namespaces in one call.
        assertThat(google.requests("POST", "/policies/orgunits:batchModify")).as("users' and devices' policies apart, per unit")
                .hasSizeGreaterThanOrEqualTo(4).allSatisfy(request -> assertThat(namespaces(request.json())).hasSize(1))
                .extracting(request -> namespaces(request.json()).iterator().next()).contains("chrome.users", "chrome.devices");

        assertThat(admin("DELETE", "/api/v1/policies/" + policy + "/assignments/" + group, "").statusCode()).isIn(200, 204);
        await().atMost(Duration.ofSeconds(30)).until(() -> google.policy("03ph8a2z2lab", "chrome.devices.Bluetooth") == null
                && google.policy("03ph8a2z2lab", "chrome.users.VideoInput") == null && google.policy("03ph8a2z1sales", "chrome.users.Screenshot") == null
                && google.policy("03ph8a2z1sales", "chrome.devices.DevicePowerwashAllowed") == null);
        assertThat(google.requests("POST", "/policies/orgunits:batchInherit")).isNotEmpty()
                .allSatisfy(request -> assertThat(namespaces(request.json())).hasSize(1));
    }

    @Test
    void removingOneSettingNeverResetsASchemaAnotherSettingStillWrites() throws Exception {
        connectAndSync();
        DeviceId ana = chromebook("d1a2b3c4-0001");
        String group = allChromebooks();
        String lock = id(admin("POST", "/api/v1/policies", """
                {"name": "Lock", "settings": [{"type": "screen_lock", "value": {"timeoutMinutes": 10, "lockOnSleep": true}}]}"""));
        String pin = id(admin("POST", "/api/v1/policies", """
                {"name": "PIN", "settings": [{"type": "passcode", "value": {"required": true, "minLength": 6, "maxInactivityMinutes": 10}}]}"""));
        admin("PUT", "/api/v1/policies/" + lock + "/assignments/" + group, "{\"priority\": 10}");
        admin("PUT", "/api/v1/policies/" + pin + "/assignments/" + group, "{\"priority\": 20}");
        await().atMost(Duration.ofSeconds(30)).until(() -> state(ana, "screen_lock") == SettingState.INSTALLED && state(ana, "passcode") == SettingState.INSTALLED);
        JsonNode locked = JSON.readTree("""
                {"screenLockDelayAc": {"duration": 600}, "screenLockDelayBattery": {"duration": 600}, "lockOnSleepOrLidClose": "TRUE"}""");

        // The passcode goes; its PIN length is handed back, the lock delays it shared with the screen lock stay.
        assertThat(admin("DELETE", "/api/v1/policies/" + pin + "/assignments/" + group, "").statusCode()).isIn(200, 204);
        await().atMost(Duration.ofSeconds(30)).until(() -> removed(ana) && removed(chromebook("d1a2b3c4-0002")) && removed(chromebook("d1a2b3c4-0003")));
        assertThat(google.policy("03ph8a2z1sales", "chrome.users.PinSettings")).isNull();
        assertThat(google.policy("03ph8a2z2lab", "chrome.users.PinSettings")).isNull();
        assertThat(JSON.readTree(google.policy("03ph8a2z1sales", "chrome.users.IdleSettingsExtended").toString())).isEqualTo(locked);
        assertThat(JSON.readTree(google.policy("03ph8a2z2lab", "chrome.users.IdleSettingsExtended").toString())).isEqualTo(locked);
        assertThat(google.requests("POST", "/policies/orgunits:batchInherit")).isNotEmpty()
                .allSatisfy(request -> assertThat(request.body()).doesNotContain("IdleSettingsExtended"));
        assertThat(admin("POST", "/api/v1/plugins/chromeos/sync", "").statusCode()).isEqualTo(200);
        assertThat(state(ana, "screen_lock")).as("read back as still applied").isEqualTo(SettingState.INSTALLED);

        // The screen lock goes too, and nothing writes the idle settings any more: they are handed back.
        assertThat(admin("DELETE", "/api/v1/policies/" + lock + "/assignments/" + group, "").statusCode()).isIn(200, 204);
        await().atMost(Duration.ofSeconds(30)).until(() -> google.policy("03ph8a2z1sales", "chrome.users.IdleSettingsExtended") == null
                && google.policy("03ph8a2z2lab", "chrome.users.IdleSettingsExtended") == null);
    }

    @Test
    void aDeviceGoogleCouldNotChangeFailsTheActionWithGooglesWords() throws Exception {
        connectAndSync();
        DeviceId ben = chromebook("d1a2b3c4-0002");
        google.forgetDevice("d1a2b3c4-0002");

        HttpResponse<String> disabled = admin("POST", "/api/v1/plugins/chromeos/devices/" + ben + "/action", "{\"action\":\"disable\"}");
        assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(502);
        assertThat(JSON.readTree(disabled.body()).path("detail").asText()).contains("Google could not disable the device")
                .contains("d1a2b3c4-0002 not found");
        HttpResponse<String> reasonless = admin("POST", "/api/v1/plugins/chromeos/devices/" + ben + "/action",
                "{\"action\":\"disable\",\"deprovisionReason\":\"retiring_device\"}");
        assertThat(reasonless.statusCode()).as("only deprovision takes a reason").isEqualTo(400);
    }

    @Test
    void deprovisioningAChromebookShepherdStillManagesGoesThroughRetireSoManagementEndsInShepherdToo() throws Exception {
        connectAndSync();
        DeviceId ben = chromebook("d1a2b3c4-0002");

        HttpResponse<String> direct = admin("POST", "/api/v1/plugins/chromeos/devices/" + ben + "/action",
                "{\"action\":\"deprovision\",\"deprovisionReason\":\"same_model_replacement\"}");
        assertThat(direct.statusCode()).as(direct.body()).isEqualTo(409);
        assertThat(JSON.readTree(direct.body()).path("detail").asText()).contains("POST /api/v1/devices/" + ben + "/retire");
        UUID raw = command(ben, "{\"type\":\"RAW\",\"parameters\":{\"action\":\"deprovision\",\"deprovisionReason\":\"retiring_device\"}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> commandState(raw) == CommandState.FAILED);
        assertThat(server.server().kernel().commands().get(raw).orElseThrow().errorReason().orElseThrow()).contains("retire it");
        assertThat(statusChanges("d1a2b3c4-0002")).as("Google was not asked").isEmpty();
        assertThat(server.server().kernel().devices().get(ben).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);

        // Retired, it is deprovisioned at Google as its final command; a deprovision with another reason may follow.
        assertThat(admin("POST", "/api/v1/devices/" + ben + "/retire", "{\"reason\": \"replaced\"}").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> statusChanges("d1a2b3c4-0002").size() == 1);
        HttpResponse<String> after = admin("POST", "/api/v1/plugins/chromeos/devices/" + ben + "/action",
                "{\"action\":\"deprovision\",\"deprovisionReason\":\"same_model_replacement\"}");
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(statusChanges("d1a2b3c4-0002").get(1).path("deprovisionReason").asText()).isEqualTo("DEPROVISION_REASON_SAME_MODEL_REPLACEMENT");
    }

    @Test
    void aRetiredChromebookIsDeprovisionedAWipedOnePowerwashedThenDeprovisionedAndSyncsBringNeitherBack() throws Exception {
        connectAndSync();
        DeviceId ana = chromebook("d1a2b3c4-0001");
        DeviceId cho = chromebook("d1a2b3c4-0003");

        HttpResponse<String> retired = admin("POST", "/api/v1/devices/" + ana + "/retire", "{\"reason\": \"sold\"}");
        assertThat(retired.statusCode()).as(retired.body()).isEqualTo(200);
        assertThat(JSON.readTree(retired.body()).path("device").path("status").asText()).isEqualTo("RETIRED");
        await().atMost(Duration.ofSeconds(30)).until(() -> !statusChanges("d1a2b3c4-0001").isEmpty());
        assertThat(statusChanges("d1a2b3c4-0001")).singleElement().isEqualTo(JSON.readTree("""
                {"deviceIds": ["d1a2b3c4-0001"], "changeChromeOsDeviceStatusAction": "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION",
                 "deprovisionReason": "DEPROVISION_REASON_RETIRING_DEVICE"}"""));
        assertThat(google.requests().stream().filter(r -> r.path().endsWith("/action"))).as("not the deprecated chromeosdevices.action").isEmpty();

        HttpResponse<String> wiped = admin("POST", "/api/v1/devices/" + cho + "/wipe", "{\"reason\": \"stolen\"}");
        assertThat(wiped.statusCode()).as(wiped.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> !statusChanges("d1a2b3c4-0003").isEmpty());
        assertThat(google.requests("POST", "d1a2b3c4-0003:issueCommand")).singleElement()
                .satisfies(request -> assertThat(request.json().path("commandType").asText()).isEqualTo("REMOTE_POWERWASH"));
        assertThat(statusChanges("d1a2b3c4-0003").get(0).path("changeChromeOsDeviceStatusAction").asText())
                .isEqualTo("CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION");
        await().atMost(Duration.ofSeconds(30)).until(() -> server.server().kernel().commands().history(cho, Optional.empty(), 10).stream()
                .anyMatch(record -> record.command().state() == CommandState.ACKNOWLEDGED));

        // What Google says of them afterwards changes nothing: neither comes back, nor is enrolled anew.
        assertThat(admin("POST", "/api/v1/plugins/chromeos/sync", "").statusCode()).isEqualTo(200);
        assertThat(server.server().kernel().devices().get(ana).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(server.server().kernel().devices().get(cho).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(server.server().kernel().devices().count(DeviceFilter.builder().build())).isEqualTo(3);
    }

    @Test
    void googleErrorsAreRetriedOrSurfacedAndNoCommandIsLost() throws Exception {
        admin("PUT", "/api/v1/plugins/chromeos/service-account", google.serviceAccountKey());

        // 403: the admin sees Google's refusal, not a stack trace.
        google.fail("/orgunits", 403, Map.of(), "{\"error\":{\"code\":403,\"message\":\"Not Authorized to access this resource/api\",\"status\":\"PERMISSION_DENIED\"}}");
        HttpResponse<String> refused = admin("POST", "/api/v1/plugins/chromeos/sync", "");
        assertThat(refused.statusCode()).isEqualTo(502);
        assertThat(refused.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(JSON.readTree(refused.body()).path("detail").asText()).contains("403").contains("PERMISSION_DENIED")
                .contains("Not Authorized to access this resource/api");
        assertThat(JSON.readTree(refused.body()).path("googleStatus").asInt()).isEqualTo(403);

        // 429 with Retry-After, then a 503: both retried within the call; the sync succeeds.
        google.fail("/orgunits", 429, Map.of("Retry-After", "1"), "{\"error\":{\"code\":429,\"message\":\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}}");
        google.fail("/devices/chromeos", 503, Map.of(), "{\"error\":{\"code\":503,\"message\":\"The service is currently unavailable.\",\"status\":\"UNAVAILABLE\"}}");
        long before = System.nanoTime();
        HttpResponse<String> synced = admin("POST", "/api/v1/plugins/chromeos/sync", "");
        assertThat(synced.statusCode()).as(synced.body()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).as("waited out Retry-After").isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(google.requests("GET", "/orgunits")).hasSize(3);

        // 401: the token is fetched again once and the call repeated.
        google.expireToken();
        DeviceId ana = chromebook("d1a2b3c4-0001");
        UUID reboot = command(ana, "{\"type\":\"RESTART\"}");
        await().atMost(Duration.ofSeconds(30)).until(() -> commandState(reboot) == CommandState.ACKNOWLEDGED);
        assertThat(google.tokensIssued()).isEqualTo(2);

        // Google unavailable through every retry: the command stays queued and is carried out once Google is back.
        for (int i = 0; i < 3; i++) {
            google.fail("d1a2b3c4-0002:issueCommand", 500, Map.of(), "{\"error\":{\"code\":500,\"message\":\"Internal error\",\"status\":\"INTERNAL\"}}");
        }
        DeviceId ben = chromebook("d1a2b3c4-0002");
        UUID restart = command(ben, "{\"type\":\"RESTART\"}");
        await().atMost(Duration.ofSeconds(30)).until(() -> commandState(restart) == CommandState.ACKNOWLEDGED);
        assertThat(google.requests("POST", "d1a2b3c4-0002:issueCommand").size()).as("three failures, then the one Google took").isEqualTo(4);

        // A refusal fails the command with Google's words.
        google.fail("d1a2b3c4-0002:issueCommand", 400, Map.of(), "{\"error\":{\"code\":400,\"message\":\"Volume must be in [0,100]\",\"status\":\"INVALID_ARGUMENT\"}}");
        UUID volume = command(ben, "{\"type\":\"RAW\",\"parameters\":{\"commandType\":\"SET_VOLUME\",\"payload\":{\"volume\":500}}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> commandState(volume) == CommandState.FAILED);
        assertThat(server.server().kernel().commands().get(volume).orElseThrow().errorReason().orElseThrow())
                .contains("400").contains("Volume must be in [0,100]");
        assertThat(google.requests("POST", "d1a2b3c4-0002:issueCommand").get(4).json().path("payload").asText()).isEqualTo("{\"volume\":500}");

        // A command ChromeOS has no equivalent for is refused when it is issued, saying so, and never queued.
        HttpResponse<String> lostMode = admin("POST", "/api/v1/devices/" + ben + "/commands", "{\"type\":\"LOST_MODE_ON\"}");
        assertThat(lostMode.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(lostMode.body()).path("detail").asText()).isEqualTo("ChromeOS has no equivalent of LOST_MODE_ON");

        // Deprovisioning ends management at Google for good: the help desk, which may not wipe, may not reach it here either.
        server.server().adminUsers().create("desk", "chrome-desk-password".toCharArray(), AdminRole.HELPDESK);
        HttpResponse<String> byHelpDesk = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/chromeos/devices/" + ben + "/action"))
                .header("Authorization", TestServer.basic("desk", "chrome-desk-password")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"deprovision\",\"deprovisionReason\":\"retiring_device\"}")).build());
        assertThat(byHelpDesk.statusCode()).isEqualTo(403);
        assertThat(byHelpDesk.body()).contains("device_wipe");
        assertThat(statusChanges("d1a2b3c4-0002")).isEmpty();

        // Device actions answer with Google's outcome; bad input is a 400 problem.
        HttpResponse<String> disabled = admin("POST", "/api/v1/plugins/chromeos/devices/" + ben + "/action", "{\"action\":\"disable\"}");
        assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(200);
        assertThat(statusChanges("d1a2b3c4-0002")).singleElement().isEqualTo(JSON.readTree("""
                {"deviceIds": ["d1a2b3c4-0002"], "changeChromeOsDeviceStatusAction": "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE"}"""));
        HttpResponse<String> noReason = admin("POST", "/api/v1/plugins/chromeos/devices/" + ben + "/action", "{\"action\":\"deprovision\"}");
        assertThat(noReason.statusCode()).isEqualTo(400);
        assertThat(noReason.body()).contains("deprovisionReason");
    }

    @Test
    void networksCertificatesAndAppsAreDefinedOnTheirOrgUnitsAndRemovedWithThePolicy() throws Exception {
        connectAndSync();
        DeviceId ana = chromebook("d1a2b3c4-0001");
        DeviceId cho = chromebook("d1a2b3c4-0003");
        String app = "chromeos.app/chrome:mkaakpdehdafacodkgkpghoibnmamcme";

        String group = allChromebooks();
        String policy = id(admin("POST", "/api/v1/policies", """
                {"name": "Chromebook networks and apps", "settings": [
                  {"type": "wifi", "value": {"ssid": "Corp", "security": "WPA2_PERSONAL", "password": "correct horse"}},
                  {"type": "certificate", "value": {"name": "Corp Root", "kind": "TRUSTED_ROOT", "data": "MIIBCgIB"}},
                  {"type": "certificate", "value": {"name": "Ana", "kind": "PKCS12_IDENTITY", "data": "MIIBCgIB", "password": "p"}},
                  {"type": "chromeos.app", "value": {"appId": "chrome:mkaakpdehdafacodkgkpghoibnmamcme", "installType": "FORCED"}},
                  {"type": "os_update", "value": {"automatic": true, "minimumVersion": "15823.51.0", "deferralDays": 7}}]}"""));
        assertThat(admin("PUT", "/api/v1/policies/" + policy + "/assignments/" + group, "{\"priority\": 10}").statusCode()).isIn(200, 201, 204);

        await().atMost(Duration.ofSeconds(30)).until(() -> state(ana, "wifi/Corp") == SettingState.INSTALLED
                && state(cho, "wifi/Corp") == SettingState.INSTALLED && state(cho, "certificate/Corp Root") == SettingState.INSTALLED
                && state(ana, app) == SettingState.INSTALLED && state(cho, "certificate/Ana") == SettingState.NOT_SUPPORTED
                && state(ana, "os_update") == SettingState.FAILED);
        JsonNode define = google.requests("POST", "/policies/networks:defineNetwork").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.path("targetResource").asText().equals("orgunits/03ph8a2z1sales")).findFirst().orElseThrow();
        assertThat(define).isEqualTo(JSON.readTree("""
                {"targetResource": "orgunits/03ph8a2z1sales", "name": "Corp", "settings": [
                  {"policySchema": "chrome.networks.wifi.Details", "value": {"details": {"ssid": "Corp", "security": "WPA-PSK",
                    "passphrase": "correct horse", "hiddenSsid": false, "automaticallyConnect": true}}},
                  {"policySchema": "chrome.networks.wifi.AllowForChromeDevices", "value": {"allowForChromeDevices": true}},
                  {"policySchema": "chrome.networks.wifi.AllowForChromeUsers", "value": {"allowForChromeUsers": true}}]}"""));
        assertThat(google.networks()).as("one network per org unit").hasSize(2).containsValues("orgunits/03ph8a2z1sales", "orgunits/03ph8a2z2lab");
        JsonNode certificate = google.requests("POST", "/policies/networks:defineCertificate").get(0).json();
        assertThat(certificate.path("ceritificateName").asText()).isEqualTo("Corp Root");
        assertThat(certificate.path("certificate").asText()).isEqualTo("-----BEGIN CERTIFICATE-----\nMIIBCgIB\n-----END CERTIFICATE-----\n");
        assertThat(reason(cho, "certificate/Ana")).contains("the Chrome Policy API takes only CA certificates");
        assertThat(google.requests("POST", "/policies/networks:defineCertificate")).as("once per org unit, and no identity").hasSize(2);
        assertThat(google.requests("POST", "/policies/networks:defineNetwork")).as("once per org unit, though /Sales has two devices").hasSize(2);

        JsonNode appModify = google.requests("POST", "/policies/orgunits:batchModify").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.toString().contains("chrome.users.apps.InstallType") && body.toString().contains("orgunits/03ph8a2z2lab"))
                .findFirst().orElseThrow();
        assertThat(appModify).isEqualTo(JSON.readTree("""
                {"requests": [{"policyTargetKey": {"targetResource": "orgunits/03ph8a2z2lab",
                                                   "additionalTargetKeys": {"app_id": "chrome:mkaakpdehdafacodkgkpghoibnmamcme"}},
                               "policyValue": {"policySchema": "chrome.users.apps.InstallType", "value": {"appInstallType": "FORCED"}},
                               "updateMask": "appInstallType"}]}"""));
        assertThat(google.policy("03ph8a2z2lab", Map.of("app_id", "chrome:mkaakpdehdafacodkgkpghoibnmamcme"), "chrome.users.apps.InstallType")
                .toString()).isEqualTo("{\"appInstallType\":\"FORCED\"}");
        assertThat(google.policy("03ph8a2z1sales", "chrome.devices.AutoUpdateSettings").toString())
                .as("what ChromeOS can express is set").isEqualTo("{\"updateDisabled\":false,\"deviceMinimumVersion\":{\"chromeosVersion\":\"15823.51.0\"}}");
        assertThat(reason(ana, "os_update")).contains("ChromeOS cannot express deferralDays");

        // The sync reads each network back under its network_id.
        assertThat(admin("POST", "/api/v1/plugins/chromeos/sync", "").statusCode()).isEqualTo(200);
        assertThat(google.requests("POST", "/policies:resolve").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.path("policyTargetKey").path("additionalTargetKeys").has("network_id"))).isNotEmpty();
        assertThat(state(ana, "wifi/Corp")).isEqualTo(SettingState.INSTALLED);

        // Unassigned: networks and certificates are removed by id, the app handed back to the parent unit.
        assertThat(admin("DELETE", "/api/v1/policies/" + policy + "/assignments/" + group, "").statusCode()).isIn(200, 204);
        await().atMost(Duration.ofSeconds(30)).until(() -> google.networks().isEmpty() && google.certificates().isEmpty()
                && google.policy("03ph8a2z2lab", Map.of("app_id", "chrome:mkaakpdehdafacodkgkpghoibnmamcme"), "chrome.users.apps.InstallType") == null);
        assertThat(google.requests("POST", "/policies/networks:removeNetwork")).hasSize(2);
        assertThat(google.requests("POST", "/policies/orgunits:batchInherit").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.toString().contains("chrome.users.apps.InstallType")).findFirst().orElseThrow()
                .path("requests").get(0).path("policyTargetKey").path("additionalTargetKeys").path("app_id").asText())
                .isEqualTo("chrome:mkaakpdehdafacodkgkpghoibnmamcme");
    }

    /**
     * ChromeOS apps in the app catalog (store {@code chrome-web-store}): an app a {@code chromeos.app} setting deploys
     * is synced with the name the Chrome Management API gives it, another is added by its Web Store id, and assigning
     * that one REQUIRED to the Chromebooks leaves each FAILED with the explanation that ChromeOS installs apps through
     * its org unit's policy, not PENDING for ever and not tried again in a loop.
     */
    @Test
    void aPolicyDeployedAppIsSyncedAnotherAddedByIdAndAssigningItFailsWithThePolicyExplanation() throws Exception {
        google.publishApp(DRAWINGS, "Google Drawings", "Google LLC", "1.0.0.4");
        google.publishApp(TRANSLATE, "Google Translate", "Google LLC", "2.0.13");
        connectAndSync();
        DeviceId ana = chromebook("d1a2b3c4-0001");
        DeviceId cho = chromebook("d1a2b3c4-0003");
        assertThat(admin("GET", "/api/v1/app-stores", "").body()).contains(ChromeWebStoreConnector.ID);

        // Google Drawings is deployed the ChromeOS way: a chromeos.app setting, set on both org units.
        String group = allChromebooks();
        String policy = id(admin("POST", "/api/v1/policies", """
                {"name": "Chromebook apps", "settings": [
                  {"type": "chromeos.app", "value": {"appId": "chrome:%s", "installType": "FORCED"}}]}""".formatted(DRAWINGS)));
        assertThat(admin("PUT", "/api/v1/policies/" + policy + "/assignments/" + group, "{\"priority\": 10}").statusCode()).isIn(200, 201, 204);
        await().atMost(Duration.ofSeconds(30)).until(() -> state(ana, "chromeos.app/chrome:" + DRAWINGS) == SettingState.INSTALLED
                && state(cho, "chromeos.app/chrome:" + DRAWINGS) == SettingState.INSTALLED);

        HttpResponse<String> synced = admin("POST", "/api/v1/app-stores/chrome-web-store/sync", "");
        assertThat(synced.statusCode()).as(synced.body()).isEqualTo(200);
        assertThat(JSON.readTree(synced.body()).path("added").asInt()).isEqualTo(1);
        JsonNode drawings = app(DRAWINGS).orElseThrow();
        assertThat(drawings.path("name").asText()).isEqualTo("Google Drawings");
        assertThat(drawings.path("publisher").asText()).isEqualTo("Google LLC");
        assertThat(drawings.path("identifier").asText()).isEqualTo("chrome:" + DRAWINGS);
        assertThat(drawings.path("version").asText()).isEqualTo("1.0.0.4");
        assertThat(drawings.path("platform").asText()).isEqualToIgnoringCase("chromeos");
        // every org unit's app policies are read (the kernel may also have synced the store by itself meanwhile)
        assertThat(google.requests("POST", "/policies:resolve").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.path("policySchemaFilter").asText().equals("chrome.users.apps.*"))
                .map(body -> body.path("policyTargetKey").path("targetResource").asText()))
                .contains("orgunits/03ph8a2z1sales", "orgunits/03ph8a2z2lab");

        // Google Translate is added by its Web Store id; the policy's chrome: app id is not the store's id of it.
        HttpResponse<String> added = admin("POST", "/api/v1/apps", "{\"storeId\": \"chrome-web-store\", \"storeAppId\": \"" + TRANSLATE + "\"}");
        assertThat(added.statusCode()).as(added.body()).isEqualTo(201);
        assertThat(JSON.readTree(added.body()).path("name").asText()).isEqualTo("Google Translate");
        String translate = JSON.readTree(added.body()).path("id").asText();
        HttpResponse<String> byPolicyId = admin("POST", "/api/v1/apps", "{\"storeId\": \"chrome-web-store\", \"storeAppId\": \"chrome:" + TRANSLATE + "\"}");
        assertThat(byPolicyId.statusCode()).isEqualTo(404);
        assertThat(byPolicyId.headers().firstValue("Content-Type")).hasValue("application/problem+json");

        // Assigned REQUIRED to the Chromebooks: each fails with what to do instead, and no install command is queued.
        assertThat(admin("PUT", "/api/v1/apps/" + translate + "/assignments/" + group, "{\"intent\": \"REQUIRED\"}").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(states(translate)).hasSize(3)
                .allSatisfy(state -> assertThat(state.path("state").asText()).isEqualTo("FAILED")));
        JsonNode anaState = states(translate).stream().filter(state -> state.path("deviceId").asText().equals(ana.toString())).findFirst().orElseThrow();
        assertThat(anaState.path("reason").asText())
                .contains("ChromeOS installs apps per organisational unit through its policy, not per device")
                .contains("chromeos.app setting {\"appId\": \"chrome:" + TRANSLATE + "\", \"installType\": \"FORCED\"}")
                .contains("its org unit /Sales");

        // Another catalog sync and the reconciler's rounds leave the failure as it is: nothing is tried again.
        List<JsonNode> failed = states(translate);
        assertThat(admin("POST", "/api/v1/app-stores/chrome-web-store/sync", "").statusCode()).isEqualTo(200);
        Thread.sleep(2000);
        assertThat(states(translate)).as("unchanged, not retried").containsExactlyInAnyOrderElementsOf(failed);
        for (DeviceId device : List.of(ana, cho)) {
            assertThat(server.server().kernel().commands().history(device, Optional.empty(), 50))
                    .noneMatch(record -> record.command().type() == CommandType.INSTALL_APP);
        }
    }

    private Optional<JsonNode> app(String storeAppId) throws Exception {
        for (JsonNode app : JSON.readTree(admin("GET", "/api/v1/apps", "").body())) {
            if (app.path("storeId").asText().equals(ChromeWebStoreConnector.ID) && app.path("storeAppId").asText().equals(storeAppId)) {
                return Optional.of(app);
            }
        }
        return Optional.empty();
    }

    private List<JsonNode> states(String appId) throws Exception {
        List<JsonNode> states = new ArrayList<>();
        JSON.readTree(admin("GET", "/api/v1/apps/" + appId + "/devices", "").body()).forEach(states::add);
        return states;
    }

    /** Whether a setting removal for the device has been carried out at Google. */
    private boolean removed(DeviceId device) {
        return server.server().kernel().commands().history(device, Optional.empty(), 20).stream().anyMatch(record ->
                record.command().type() == CommandType.REMOVE_PROFILE && record.command().state() == CommandState.ACKNOWLEDGED);
    }

    /** Uploads the service account key and syncs the devices from Google. */
    private void connectAndSync() {
        admin("PUT", "/api/v1/plugins/chromeos/service-account", google.serviceAccountKey());
        assertThat(admin("POST", "/api/v1/plugins/chromeos/sync", "").statusCode()).isEqualTo(200);
    }

    /** A group of every Chromebook, which holds whole org units. */
    private String allChromebooks() throws Exception {
        return id(admin("POST", "/api/v1/groups", "{\"name\":\"Chromebooks\",\"rule\":{\"attribute\":\"platform\",\"op\":\"eq\",\"value\":\"chromeos\"}}"));
    }

    /** The namespaces of the schemas a batchModify or batchInherit body names. */
    private static Set<String> namespaces(JsonNode batch) {
        Set<String> namespaces = new TreeSet<>();
        for (JsonNode request : batch.path("requests")) {
            String schema = request.has("policyValue") ? request.path("policyValue").path("policySchema").asText() : request.path("policySchema").asText();
            namespaces.add(schema.substring(0, schema.lastIndexOf('.')));
        }
        return namespaces;
    }

    /** The batchChangeStatus bodies naming a device. */
    private List<JsonNode> statusChanges(String googleId) {
        return google.requests("POST", "/devices/chromeos:batchChangeStatus").stream().map(LocalGoogle.Request::json)
                .filter(body -> body.path("deviceIds").toString().contains("\"" + googleId + "\"")).toList();
    }

    private String reason(DeviceId device, String key) {
        return server.server().kernel().policies().settingStates(device).stream().filter(s -> s.settingKey().equals(key))
                .findFirst().orElseThrow().reason().orElse("");
    }

    private DeviceId chromebook(String googleId) {
        return ChromeOsTestServers.chromebook(server, googleId);
    }

    private SettingState state(DeviceId device, String key) {
        return ChromeOsTestServers.settingState(server, device, key);
    }

    private CommandState commandState(UUID id) {
        return server.server().kernel().commands().get(id).orElseThrow().command().state();
    }

    private UUID command(DeviceId device, String body) throws Exception {
        HttpResponse<String> issued = admin("POST", "/api/v1/devices/" + device + "/commands", body);
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        return UUID.fromString(JSON.readTree(issued.body()).path("command").path("id").asText());
    }

    private static String id(HttpResponse<String> created) throws Exception {
        return ChromeOsTestServers.id(created);
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return ChromeOsTestServers.admin(server, method, path, body);
    }
}
