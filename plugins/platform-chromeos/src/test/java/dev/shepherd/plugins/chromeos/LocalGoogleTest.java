package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Google stand-in refuses what Google refuses, so a plugin test cannot pass with a request the real service would
 * turn down: Chrome policy schemas and fields that Google does not publish, namespaces mixed in one batch, and the
 * deprecated device action method. Each refusal is Google's 400 INVALID_ARGUMENT and is recorded for the test to fail on.
 */
class LocalGoogleTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private LocalGoogle google;

    @BeforeEach
    void start() throws Exception {
        google = LocalGoogle.start();
        google.addDevice("d1", "SERIAL1", "/Sales", "ana@example.com");
    }

    @AfterEach
    void stop() {
        google.close();
    }

    @Test
    void aSchemaOrFieldGoogleDoesNotPublishIsRefusedNamingIt() throws Exception {
        LocalGoogle.Answer answer = post(LocalGoogle.POLICY + "/policies/orgunits:batchModify", """
                {"requests": [{"policyTargetKey": {"targetResource": "orgunits/ou1"},
                  "policyValue": {"policySchema": "chrome.users.PinUnlockMinimumLength", "value": {"pinUnlockMinimumLength": 6}},
                  "updateMask": "pinUnlockMinimumLength"}]}""");
        assertThat(answer.status()).isEqualTo(400);
        JsonNode error = JSON.readTree(answer.body()).path("error");
        assertThat(error.path("status").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(error.path("details").get(0).path("fieldViolations").get(0).path("field").asText()).isEqualTo("requests[0].policyValue.policySchema");
        assertThat(google.takeViolations()).singleElement().asString().contains("chrome.users.PinUnlockMinimumLength does not exist");

        LocalGoogle.Answer field = post(LocalGoogle.POLICY + "/policies/orgunits:batchModify", """
                {"requests": [{"policyTargetKey": {"targetResource": "orgunits/ou1"},
                  "policyValue": {"policySchema": "chrome.users.IdleSettingsExtended",
                                  "value": {"screenLockDelayAc": 600, "lockOnSleepOrLidClose": "YES", "lockAfter": 1}},
                  "updateMask": "screenLockDelayAc,lockOnSleepOrLidClose,lockAfter"}]}""");
        assertThat(field.status()).isEqualTo(400);
        assertThat(google.takeViolations()).hasSize(4).anySatisfy(v -> assertThat(v).contains("value.screenLockDelayAc").contains("NULLABLE_DURATION"))
                .anySatisfy(v -> assertThat(v).contains("lockOnSleepOrLidClose").contains("[\"UNSET\",\"FALSE\",\"TRUE\"]"))
                .anySatisfy(v -> assertThat(v).contains("Unknown field lockAfter"));
        assertThat(google.policy("ou1", "chrome.users.IdleSettingsExtended")).as("nothing of a refused batch is applied").isNull();
    }

    @Test
    void aBatchMixingUserAndDevicePoliciesIsRefusedAsGoogleRequiresOneNamespace() throws Exception {
        LocalGoogle.Answer answer = post(LocalGoogle.POLICY + "/policies/orgunits:batchInherit", """
                {"requests": [{"policyTargetKey": {"targetResource": "orgunits/ou1"}, "policySchema": "chrome.users.Screenshot"},
                              {"policyTargetKey": {"targetResource": "orgunits/ou1"}, "policySchema": "chrome.devices.Bluetooth"}]}""");
        assertThat(answer.status()).isEqualTo(400);
        assertThat(google.takeViolations()).singleElement().asString().contains("requests[1].policySchema").contains("same root namespace");

        LocalGoogle.Answer alone = post(LocalGoogle.POLICY + "/policies/orgunits:batchInherit", """
                {"requests": [{"policyTargetKey": {"targetResource": "orgunits/ou1"}, "policySchema": "chrome.devices.Bluetooth"}]}""");
        assertThat(alone.status()).isEqualTo(200);
        assertThat(google.violations()).isEmpty();
    }

    @Test
    void theDeprecatedDeviceActionIsRefusedAndBatchChangeStatusTakesOnlyGooglesEnums() throws Exception {
        String devices = LocalGoogle.CUSTOMER + "/devices/chromeos";
        assertThat(post(devices + "/d1/action", "{\"action\": \"disable\"}").status()).isEqualTo(400);
        assertThat(google.takeViolations()).singleElement().asString().contains("deprecated");

        assertThat(post(devices + ":batchChangeStatus", """
                {"deviceIds": ["d1"], "changeChromeOsDeviceStatusAction": "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION",
                 "deprovisionReason": "DEPROVISION_REASON_UPGRADE"}""").status()).as("a deprecated reason").isEqualTo(400);
        assertThat(google.takeViolations()).singleElement().asString().contains("deprovisionReason");

        LocalGoogle.Answer done = post(devices + ":batchChangeStatus", """
                {"deviceIds": ["d1", "d9"], "changeChromeOsDeviceStatusAction": "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DEPROVISION",
                 "deprovisionReason": "DEPROVISION_REASON_RETIRING_DEVICE"}""");
        assertThat(done.status()).isEqualTo(200);
        JsonNode results = JSON.readTree(done.body()).path("changeChromeOsDeviceStatusResults");
        assertThat(results.get(0).has("response")).isTrue();
        assertThat(results.get(1).path("error").path("code").asInt()).as("an unknown device fails alone").isEqualTo(5);
        assertThat(google.violations()).isEmpty();
    }

    @Test
    void chromeAppDetailsAreServedOnlyAsTheChromeManagementApiServesThem() throws Exception {
        google.publishApp("mkaakpdehdafacodkgkpghoibnmamcme", "Google Drawings", "Google LLC", "1.0.0.4");
        String drawings = "/v1/customers/my_customer/apps/chrome/mkaakpdehdafacodkgkpghoibnmamcme";

        assertThat(google.answer(new LocalGoogle.Request("GET", drawings, null, Map.of(), "")).status())
                .as("a token without chrome.management.appdetails.readonly").isEqualTo(403);
        assertThat(google.answer(new LocalGoogle.Request("POST", drawings, null, Map.of(), "{}")).status()).isEqualTo(400);
        assertThat(google.takeViolations()).hasSize(2).anySatisfy(v -> assertThat(v).contains("No method POST"))
                .anySatisfy(v -> assertThat(v).contains("takes no request body"));
        assertThat(google.answer(new LocalGoogle.Request("GET", "/v1/customers/my_customer/apps/chrome/chrome:mkaakpdehdafacodkgkpghoibnmamcme",
                null, Map.of(), "")).status()).isEqualTo(400);
        assertThat(google.answer(new LocalGoogle.Request("GET", drawings, "pageSize=10", Map.of(), "")).status()).isEqualTo(400);
        assertThat(google.takeViolations()).hasSize(2).anySatisfy(v -> assertThat(v).contains("Invalid app id chrome:"))
                .anySatisfy(v -> assertThat(v).contains("Unknown parameter pageSize"));
    }

    @Test
    void resolvingAnAppSchemaWithoutAnAppIdListsEveryAppOfTheUnitTwoAPage() throws Exception {
        google.setAppInstallType("ou1", "chrome:mkaakpdehdafacodkgkpghoibnmamcme", "FORCED");
        google.setAppInstallType("ou1", "chrome:aapbdbdomjkkjkaonfhkkikfgjllcleb", "NORMAL");
        google.setAppInstallType("ou1", "chrome:hmjkmjkepdijhoojdojkdfohbdgmmhki", "BLOCKED");
        google.setAppInstallType("ou2", "chrome:ghbmnnjooekpmoecnnnilnnbdlolhkhi", "FORCED");
        String resolve = LocalGoogle.POLICY + "/policies:resolve";
        String everyApp = "{\"policySchemaFilter\": \"chrome.users.apps.*\", \"policyTargetKey\": {\"targetResource\": \"orgunits/ou1\"}";

        JsonNode first = JSON.readTree(post(resolve, everyApp + "}").body());
        assertThat(first.path("resolvedPolicies")).hasSize(2);
        assertThat(first.path("resolvedPolicies").get(0).path("targetKey").path("additionalTargetKeys").path("app_id").asText()).startsWith("chrome:");
        JsonNode second = JSON.readTree(post(resolve, everyApp + ", \"pageToken\": \"" + first.path("nextPageToken").asText() + "\"}").body());
        assertThat(second.path("resolvedPolicies")).as("the other unit's app is not listed").hasSize(1);
        assertThat(second.has("nextPageToken")).isFalse();
        assertThat(post(resolve, everyApp + ", \"pageToken\": \"x\"}").status()).isEqualTo(400);
        assertThat(google.violations()).isEmpty();
    }

    private LocalGoogle.Answer post(String path, String body) {
        return google.answer(new LocalGoogle.Request("POST", path, null, Map.of(), body));
    }
}
