package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.google.discovery.DiscoveryContract;
import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The catalog's app commands as entries of the device's policy, merged into its compiled settings, and answered by
 * the device's status reports.
 */
class DeviceAppsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DeviceId DEVICE = DeviceId.parse("8f0c2a4e-5b1d-4c3e-9a7f-0123456789ab");

    private final List<CommandResult> answered = new ArrayList<>();
    private final DeviceApps apps = new DeviceApps(new MemoryPluginStorage(), new RecordingBus(answered));

    @Test
    void anInstallIsForceInstalledWithItsConfigurationAndAnUpdateRequiresTheVersionCode() {
        Map<String, Object> install = Map.of("identifier", "com.example.notes", "source", "store", "storeAppId", "com.example.notes",
                "version", "1.1", "options", Map.of("versionCode", 11), "storeId", "google-play",
                "configuration", Map.of("serverUrl", "https://notes.example.com"));

        DeviceApps.Put installed = (DeviceApps.Put) apps.change(CommandType.INSTALL_APP, install);
        DeviceApps.Put updated = (DeviceApps.Put) apps.change(CommandType.UPDATE_APP, install);

        assertThat(installed.entry()).isEqualTo(json("""
                {"packageName": "com.example.notes", "installType": "FORCE_INSTALLED", "managedConfiguration": {"serverUrl": "https://notes.example.com"}}"""));
        assertThat(installed.versionCode()).hasValue(11);
        assertThat(updated.entry().path("minimumVersionCode").asInt()).isEqualTo(11);
    }

    @Test
    void anOfferMakesTheAppAvailableWithItsConfigurationAndIsDoneWithoutAStatusReport() {
        Map<String, Object> offer = Map.of("identifier", "com.example.chat", "source", "store", "storeAppId", "com.example.chat",
                "options", Map.of("versionCode", 20), "storeId", "google-play", "configuration", Map.of("workspace", "sales"), "offer", true);

        DeviceApps.Put offered = (DeviceApps.Put) apps.change(CommandType.INSTALL_APP, offer);

        assertThat(offered.entry()).isEqualTo(json("""
                {"packageName": "com.example.chat", "installType": "AVAILABLE", "managedConfiguration": {"workspace": "sales"}}"""));
        assertThat(offered.offered()).isTrue();
        assertThat(((DeviceApps.Put) apps.change(CommandType.INSTALL_APP, Map.of("identifier", "com.example.chat", "source", "store",
                "storeAppId", "com.example.chat", "offer", false))).offered()).isFalse();
        assertThat(apps.change(CommandType.UPDATE_APP, offer)).isEqualTo(new DeviceApps.Refused("only INSTALL_APP offers an app; UPDATE_APP installs it"));
        assertThat(apps.change(CommandType.INSTALL_APP, Map.of("identifier", "com.example.chat", "source", "store",
                "storeAppId", "com.example.chat", "offer", "yes"))).isEqualTo(new DeviceApps.Refused("the parameter offer must be true or false"));
    }

    @Test
    void aRemovalBlocksTheApp() {
        DeviceApps.Put removed = (DeviceApps.Put) apps.change(CommandType.REMOVE_APP, Map.of("identifier", "com.example.notes", "storeId", "google-play"));
        assertThat(removed.entry()).isEqualTo(json("{\"packageName\": \"com.example.notes\", \"installType\": \"BLOCKED\"}"));
    }

    @Test
    void whatAndroidCannotInstallIsRefusedWithTheReason() {
        assertThat(apps.change(CommandType.INSTALL_APP, Map.of("identifier", "com.example.app", "source", "package",
                "packageUrl", "https://example.com/app.apk", "sha256", "0".repeat(64), "size", 10, "packageKind", "apk")))
                .isEqualTo(new DeviceApps.Refused("Android installs apps from managed Google Play only; a package source cannot be installed through the Android Management API"));
        assertThat(apps.change(CommandType.INSTALL_APP, Map.of("appStoreId", "12345"))).isInstanceOf(DeviceApps.Refused.class);
        assertThat(apps.change(CommandType.INSTALL_APP, Map.of("identifier", "../x", "source", "store", "storeAppId", "../x")))
                .isInstanceOf(DeviceApps.Refused.class);
        assertThat(apps.change(CommandType.UPDATE_APP, Map.of("identifier", "com.example.a", "source", "store", "storeAppId", "com.example.a",
                "options", Map.of("versionCode", -1)))).isInstanceOf(DeviceApps.Refused.class);
        assertThat(apps.change(CommandType.REMOVE_APP, Map.of("storeId", "google-play"))).isInstanceOf(DeviceApps.Refused.class);
    }

    @Test
    void catalogAppsTakeThePlaceOfASettingsEntryForTheSamePackageKeepingItsOtherFields() {
        ObjectNode policy = json("""
                {"cameraAccess": "CAMERA_ACCESS_DISABLED", "applications": [
                  {"packageName": "com.example.notes", "installType": "AVAILABLE", "defaultPermissionPolicy": "GRANT",
                   "managedConfiguration": {"theme": "dark"}},
                  {"packageName": "com.android.chrome", "installType": "FORCE_INSTALLED"}]}""");
        Map<String, ObjectNode> catalog = new LinkedHashMap<>();
        catalog.put("com.example.notes", json("{\"packageName\": \"com.example.notes\", \"installType\": \"FORCE_INSTALLED\"}"));
        catalog.put("com.example.maps", json("{\"packageName\": \"com.example.maps\", \"installType\": \"BLOCKED\"}"));

        ObjectNode merged = DeviceApps.merge(policy, catalog);

        assertThat(merged).isEqualTo(json("""
                {"cameraAccess": "CAMERA_ACCESS_DISABLED", "applications": [
                  {"packageName": "com.android.chrome", "installType": "FORCE_INSTALLED"},
                  {"packageName": "com.example.maps", "installType": "BLOCKED"},
                  {"packageName": "com.example.notes", "installType": "FORCE_INSTALLED", "defaultPermissionPolicy": "GRANT",
                   "managedConfiguration": {"theme": "dark"}}]}"""));
        assertThat(policy.path("applications")).as("the compiled policy is left as it was").hasSize(2);
        assertThat(DiscoveryContract.androidManagement().check("PATCH", "/v1/enterprises/LC01/policies/shepherd-1", merged.toString()))
                .as("Google's discovery document accepts the merged policy").isEmpty();
    }

    @Test
    void theMergedPolicyIsNamedByItsAppsToo() {
        PolicyCompiler.Compiled compiled = new PolicyCompiler().compile(List.of(), false);
        Map<String, ObjectNode> catalog = Map.of("com.example.notes", json("{\"packageName\": \"com.example.notes\", \"installType\": \"FORCE_INSTALLED\"}"));
        assertThat(DevicePolicies.withApps(compiled, catalog).hash()).isNotEqualTo(compiled.hash());
        assertThat(DevicePolicies.withApps(compiled, Map.of()).hash()).isEqualTo(compiled.hash());
    }

    @Test
    void atMostTwentyAppsKeepAMinimumVersionCodeTheNewestOnes() {
        Map<String, ObjectNode> catalog = new LinkedHashMap<>();
        for (int index = 0; index <= DeviceApps.MAX_MINIMUM_VERSION_CODES; index++) {
            catalog.put("com.example.app" + index, json("{\"packageName\": \"com.example.app" + index
                    + "\", \"installType\": \"FORCE_INSTALLED\", \"minimumVersionCode\": 5}"));
        }
        apps.record(DEVICE, catalog, "com.example.app0");

        Map<String, ObjectNode> stored = apps.of(DEVICE);
        assertThat(stored.values().stream().filter(entry -> entry.has("minimumVersionCode"))).hasSize(DeviceApps.MAX_MINIMUM_VERSION_CODES);
        assertThat(stored.get("com.example.app0").has("minimumVersionCode")).as("the app just updated keeps its minimum").isTrue();
        assertThat(stored.get("com.example.app1").has("minimumVersionCode")).isFalse();
        assertThat(catalog.get("com.example.app1").has("minimumVersionCode")).as("the caller's entries are left alone").isTrue();
    }

    @Test
    void commandsAreAnsweredByTheStatusReportThatSettlesThem() {
        Command install = command(CommandType.UPDATE_APP);
        Command failing = command(CommandType.INSTALL_APP);
        Command removal = command(CommandType.REMOVE_APP);
        apps.awaitReport(install, new DeviceApps.Put("com.example.notes", JSON.createObjectNode(), OptionalLong.of(11)));
        apps.awaitReport(failing, new DeviceApps.Put("com.example.maps", JSON.createObjectNode(), OptionalLong.empty()));
        apps.awaitReport(removal, new DeviceApps.Put("com.example.old", JSON.createObjectNode(), OptionalLong.empty()));

        // Still the old version, the other app in progress, the removed one still there: nothing is settled.
        apps.reported(DEVICE, json("""
                {"applicationReports": [{"packageName": "com.example.notes", "versionName": "1.0", "versionCode": 10, "state": "INSTALLED"},
                                        {"packageName": "com.example.old", "versionName": "3", "versionCode": 3, "state": "INSTALLED"}],
                 "nonComplianceDetails": [{"settingName": "applications", "packageName": "com.example.maps",
                   "nonComplianceReason": "APP_NOT_INSTALLED", "installationFailureReason": "IN_PROGRESS"}]}"""));
        assertThat(answered).isEmpty();
        assertThat(apps.awaitingReport(install)).isTrue();

        apps.reported(DEVICE, json("""
                {"applicationReports": [{"packageName": "com.example.notes", "versionName": "1.1", "versionCode": 11, "state": "INSTALLED"},
                                        {"packageName": "com.example.old", "versionName": "3", "versionCode": 3, "state": "REMOVED"}],
                 "nonComplianceDetails": [{"settingName": "applications", "packageName": "com.example.maps",
                   "nonComplianceReason": "APP_NOT_INSTALLED", "installationFailureReason": "NOT_ENOUGH_SPACE"}]}"""));

        assertThat(answered).extracting(CommandResult::commandId, CommandResult::state).containsExactlyInAnyOrder(
                tuple(install.id(), CommandState.ACKNOWLEDGED),
                tuple(failing.id(), CommandState.FAILED),
                tuple(removal.id(), CommandState.ACKNOWLEDGED));
        assertThat(answered.stream().filter(result -> result.commandId().equals(failing.id())).findFirst().orElseThrow().errorReason())
                .hasValue("applications for com.example.maps: APP_NOT_INSTALLED, NOT_ENOUGH_SPACE");
        assertThat(apps.awaitingReport(install)).isFalse();
    }

    @Test
    void aDeletedDeviceIsForgotten() {
        Command install = command(CommandType.INSTALL_APP);
        apps.record(DEVICE, Map.of("com.example.notes", json("{\"packageName\": \"com.example.notes\", \"installType\": \"FORCE_INSTALLED\"}")), "");
        apps.awaitReport(install, new DeviceApps.Put("com.example.notes", JSON.createObjectNode(), OptionalLong.empty()));

        apps.forgetDevice(DEVICE);

        assertThat(apps.of(DEVICE)).isEmpty();
        assertThat(apps.awaitingReport(install)).isFalse();
    }

    private static Command command(CommandType type) {
        return new Command(UUID.randomUUID(), DEVICE, type, Map.of(), 0, CommandState.SENT, Instant.now(), Optional.empty());
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The command bus as far as status reports use it: the answers it was given. */
    private record RecordingBus(List<CommandResult> answered) implements CommandBus {
        @Override
        public List<Command> take(DeviceId deviceId, int max) {
            return List.of();
        }

        @Override
        public int requeueDeferred(DeviceId deviceId) {
            return 0;
        }

        @Override
        public void report(DeviceId deviceId, CommandResult result) {
            answered.add(result);
        }
    }
}
