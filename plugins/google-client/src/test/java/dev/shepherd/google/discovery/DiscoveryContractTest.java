package dev.shepherd.google.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What Google's discovery documents let through, and what they refuse, request by request. */
class DiscoveryContractTest {

    private static final String POLICY = "/v1/enterprises/LC01/policies/default";

    private final DiscoveryContract amapi = DiscoveryContract.androidManagement();
    private final DiscoveryContract directory = DiscoveryContract.adminDirectory();
    private final DiscoveryContract chromePolicy = DiscoveryContract.chromePolicy();
    private final DiscoveryContract zeroTouch = DiscoveryContract.androidDeviceProvisioning();

    @Test
    void aPolicyWithFieldsWhereTheSchemaPutsThemConforms() {
        assertThat(amapi.check("PATCH", POLICY, """
                {"deviceConnectivityManagement": {"usbDataAccess": "DISALLOW_USB_DATA_TRANSFER"},
                 "advancedSecurityOverrides": {"developerSettings": "DEVELOPER_SETTINGS_DISABLED"},
                 "passwordPolicies": [{"passwordMinimumLength": 6, "passwordQuality": "NUMERIC_COMPLEX"}],
                 "statusReportingSettings": {"applicationReportsEnabled": true, "softwareInfoEnabled": true}}
                """)).isEmpty();
    }

    @Test
    void aFieldAtTheWrongLevelIsAnUnknownName() {
        assertThat(amapi.check("PATCH", POLICY, "{\"usbDataAccess\": \"DISALLOW_USB_DATA_TRANSFER\"}"))
                .extracting(FieldViolation::field).containsExactly("usbDataAccess");
        assertThat(amapi.check("PATCH", POLICY, "{\"advancedSecurityOverrides\": {\"usbDataAccess\": \"DISALLOW_USB_DATA_TRANSFER\"}}"))
                .singleElement().satisfies(violation -> {
                    assertThat(violation.field()).isEqualTo("advancedSecurityOverrides.usbDataAccess");
                    assertThat(violation.description()).contains("Cannot find field");
                });
    }

    @Test
    void deprecatedFieldsAndEnumValuesAreRefusedBecauseDevicesMayIgnoreThem() {
        assertThat(amapi.check("PATCH", POLICY, "{\"usbFileTransferDisabled\": true}"))
                .singleElement().satisfies(violation -> assertThat(violation.description()).startsWith("deprecated field"));
        assertThat(amapi.check("PATCH", POLICY, "{\"passwordRequirements\": {\"passwordMinimumLength\": 6}}"))
                .extracting(FieldViolation::field).containsExactly("passwordRequirements");
    }

    @Test
    void valuesMustHaveTheirTypeEnumAndFormat() {
        assertThat(amapi.check("PATCH", POLICY, "{\"deviceConnectivityManagement\": {\"usbDataAccess\": \"BLOCKED\"}}"))
                .extracting(FieldViolation::field).containsExactly("deviceConnectivityManagement.usbDataAccess");
        assertThat(amapi.check("PATCH", POLICY, "{\"screenCaptureDisabled\": \"true\"}"))
                .extracting(FieldViolation::description).containsExactly("expected true or false, got string");
        assertThat(amapi.check("PATCH", POLICY, "{\"maximumTimeToLock\": \"300000\"}")).isEmpty(); // int64 as a string
        assertThat(amapi.check("PATCH", POLICY, "{\"maximumTimeToLock\": 300000}")).isEmpty(); // or as a number
        assertThat(amapi.check("PATCH", POLICY, "{\"maximumTimeToLock\": \"five minutes\"}")).hasSize(1);
        assertThat(amapi.check("PATCH", POLICY, "{\"applications\": {\"packageName\": \"com.example\"}}"))
                .extracting(FieldViolation::description).containsExactly("expected a list, got object");
    }

    @Test
    void aLockDurationIsAGoogleDurationInSeconds() {
        String command = "/v1/enterprises/LC01/devices/3a4f:issueCommand";
        assertThat(amapi.methodId("POST", command)).hasValue("androidmanagement.enterprises.devices.issueCommand");
        assertThat(amapi.check("POST", command, "{\"type\": \"LOCK\", \"duration\": \"600s\"}")).isEmpty();
        assertThat(amapi.check("POST", command, "{\"type\": \"LOCK\", \"duration\": \"600\"}"))
                .containsExactly(new FieldViolation("duration", "Invalid value '600': not a google-duration"));
        assertThat(amapi.check("POST", command, "{\"type\": \"LOCK\", \"duration\": \"PT10M\"}")).hasSize(1);
    }

    @Test
    void theMethodIsFoundByHttpMethodAndPathIncludingCustomVerbs() {
        assertThat(amapi.methodId("GET", "/v1/enterprises/LC01/devices/3a4f")).hasValue("androidmanagement.enterprises.devices.get");
        assertThat(amapi.methodId("DELETE", "/v1/enterprises/LC01/devices/3a4f?wipeDataFlags=WIPE_EXTERNAL_STORAGE"))
                .hasValue("androidmanagement.enterprises.devices.delete");
        assertThat(amapi.methodId("PUT", "/v1/enterprises/LC01/devices/3a4f")).isEmpty();
        assertThat(amapi.check("GET", "/v1/enterprises/LC01/gadgets/3a4f", null))
                .extracting(FieldViolation::field).containsExactly("(path)");
    }

    @Test
    void queryParametersAreDeclaredTypedAndRequiredOnesPresent() {
        assertThat(amapi.check("GET", "/v1/enterprises/LC01/devices?pageSize=100&pageToken=abc&alt=json", null)).isEmpty();
        assertThat(amapi.check("GET", "/v1/enterprises/LC01/devices?pageSize=many", null))
                .extracting(FieldViolation::field).containsExactly("pageSize");
        assertThat(amapi.check("GET", "/v1/enterprises/LC01/devices?limit=100", null))
                .extracting(FieldViolation::field).containsExactly("limit");
        assertThat(amapi.check("DELETE", "/v1/enterprises/LC01/devices/3a4f?wipeDataFlags=WIPE_EVERYTHING", null))
                .extracting(FieldViolation::field).containsExactly("wipeDataFlags");
        assertThat(amapi.check("POST", "/v1/enterprises?projectId=p&signupUrlName=signupUrls/C1&enterpriseToken=t",
                "{\"enterpriseDisplayName\": \"Example\"}")).isEmpty();
    }

    @Test
    void anUpdateMaskNamesFieldsOfTheRequest() {
        assertThat(amapi.check("PATCH", POLICY + "?updateMask=applications,deviceConnectivityManagement.usbDataAccess", "{}")).isEmpty();
        assertThat(amapi.check("PATCH", POLICY + "?updateMask=usbDataAccess", "{}"))
                .singleElement().satisfies(violation -> assertThat(violation.field()).isEqualTo("updateMask"));
    }

    @Test
    void aMethodWithoutARequestSchemaTakesNoBodyAndABodyMustBeJson() {
        assertThat(amapi.check("GET", "/v1/enterprises/LC01", "{\"name\": \"x\"}"))
                .extracting(FieldViolation::field).containsExactly("(body)");
        assertThat(amapi.check("PATCH", POLICY, "{\"cameraAccess\": "))
                .extracting(FieldViolation::field).containsExactly("(body)");
    }

    @Test
    void directoryRefusesTheDeprecatedActionAndNeedsWhatBatchChangeStatusRequires() {
        assertThat(directory.check("POST", "/admin/directory/v1/customer/my_customer/devices/chromeos/dev1/action",
                "{\"action\": \"disable\"}")).extracting(FieldViolation::description)
                .containsExactly("directory.chromeosdevices.action is deprecated");
        assertThat(directory.check("POST", "/admin/directory/v1/customer/my_customer/devices/chromeos/dev1/action", "{}"))
                .extracting(FieldViolation::field).contains("action"); // annotations.required names the method
        String batch = "/admin/directory/v1/customer/my_customer/devices/chromeos:batchChangeStatus";
        assertThat(directory.methodId("POST", batch)).hasValue("admin.customer.devices.chromeos.batchChangeStatus");
        assertThat(directory.check("POST", batch, """
                {"deviceIds": ["dev1"], "changeChromeOsDeviceStatusAction": "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE"}
                """)).isEmpty();
        assertThat(directory.check("POST", batch, "{\"deviceIds\": [\"dev1\"], "
                + "\"changeChromeOsDeviceStatusAction\": \"CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_UNSPECIFIED\"}"))
                .containsExactly(new FieldViolation("changeChromeOsDeviceStatusAction", "required field missing"));
    }

    @Test
    void chromePolicyRequestsNeedTheirTargetAndMaskButLeaveThePolicyValueToThePolicySchema() {
        String batchModify = "/v1/customers/my_customer/policies/orgunits:batchModify";
        assertThat(chromePolicy.methodId("POST", batchModify)).hasValue("chromepolicy.customers.policies.orgunits.batchModify");
        assertThat(chromePolicy.check("POST", batchModify, """
                {"requests": [{"policyTargetKey": {"targetResource": "orgunits/03ph8a2z1"},
                               "policyValue": {"policySchema": "chrome.users.IncognitoMode",
                                               "value": {"incognitoModeAvailability": "UNAVAILABLE"}},
                               "updateMask": "incognitoModeAvailability"}]}
                """)).isEmpty();
        List<FieldViolation> violations = chromePolicy.check("POST", batchModify, """
                {"requests": [{"policyValue": {"policySchema": "chrome.users.IncognitoMode", "value": {}}, "mask": "x"}]}
                """);
        assertThat(violations).extracting(FieldViolation::field)
                .containsExactlyInAnyOrder("requests[0].mask", "requests[0].policyTargetKey", "requests[0].updateMask");
    }

    @Test
    void theRefusalIsGooglesBadRequestShape() throws Exception {
        JsonNode refusal = new ObjectMapper().readTree(DiscoveryContract.refusal(
                List.of(new FieldViolation("duration", "Invalid value '600': not a google-duration"))));
        assertThat(refusal.at("/error/code").asInt()).isEqualTo(400);
        assertThat(refusal.at("/error/status").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(refusal.at("/error/details/0/@type").asText()).isEqualTo("type.googleapis.com/google.rpc.BadRequest");
        assertThat(refusal.at("/error/details/0/fieldViolations/0/field").asText()).isEqualTo("duration");
    }

    @Test
    void aZeroTouchConfigurationNeedsEveryRequiredFieldAndACustomersPath() {
        String complete = """
                {"configurationName": "Sales", "companyName": "Example", "contactEmail": "it@example.com",
                 "contactPhone": "+1 555 0100", "isDefault": false, "dpcResourcePath": "customers/1/dpcs/a", "dpcExtras": "{}"}
                """;
        assertThat(zeroTouch.methodId("POST", "/v1/customers/1/configurations")).contains("androiddeviceprovisioning.customers.configurations.create");
        assertThat(zeroTouch.check("POST", "/v1/customers/1/configurations", complete)).isEmpty();
        assertThat(zeroTouch.check("POST", "/v1/customers/1/configurations", "{\"configurationName\": \"Sales\"}"))
                .extracting(FieldViolation::field).contains("companyName", "contactEmail", "contactPhone", "dpcResourcePath", "isDefault");
        assertThat(zeroTouch.check("POST", "/v1/partners/1/configurations", complete)).extracting(FieldViolation::field).containsExactly("(path)");
        assertThat(zeroTouch.check("POST", "/v1/customers/1/devices:applyConfiguration",
                "{\"configuration\": \"customers/1/configurations/2\", \"device\": {\"deviceId\": \"12\"}}")).isEmpty();
        assertThat(zeroTouch.check("POST", "/v1/customers/1/devices:applyConfiguration", "{\"device\": {\"deviceId\": \"twelve\"}}"))
                .extracting(FieldViolation::field).contains("configuration", "device.deviceId");
    }
}
