package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.group.Group;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.QrCodes;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Android plugin, loaded from its file into a real server, managing devices through a stand-in for Google on
 * loopback: the enterprise bound by the signup flow, an enrollment page with Google's QR code, a device enrolled by
 * Google's notification, its policy compiled and applied, a lock carried out and reported, setting states from the
 * device's status report; and Google's refusals handled without losing a command.
 */
class AndroidManagementIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private LocalAmapi google;
    private TestServer server;
    private Kernel kernel;
    private String pushUrl;

    @BeforeEach
    void start() throws Exception {
        google = LocalAmapi.start();
        AndroidServerCalls.configure(home, google.url(), "");
        server = TestServer.start(home);
        kernel = server.server().kernel();
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("android.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/mdm/android/pubsub").statusCode() == 405);

        HttpResponse<String> key = admin("PUT", "/api/v1/plugins/android/service-account", google.serviceAccountKey());
        assertThat(key.statusCode()).as(key.body()).isEqualTo(200);
        assertThat(JSON.readTree(key.body()).path("clientEmail").asText()).isEqualTo(LocalAmapi.CLIENT_EMAIL);
        assertThat(key.body()).doesNotContain("PRIVATE KEY");

        HttpResponse<String> signup = admin("POST", "/api/v1/plugins/android/enterprise/signup", "");
        assertThat(signup.statusCode()).as(signup.body()).isEqualTo(200);
        assertThat(JSON.readTree(signup.body()).path("signupUrl").asText()).startsWith("https://play.google.com/work/adminsignup");
        String callbackUrl = google.requests("POST", "/v1/signupUrls").get(0).query().get("callbackUrl");
        assertThat(callbackUrl).contains("/mdm/android/signup-callback?state=");
        // Google's page sends the admin's browser back with the enterprise token.
        String state = callbackUrl.substring(callbackUrl.indexOf("state=") + 6);
        assertThat(server.get("/mdm/android/signup-callback?state=" + state + "&enterpriseToken=" + LocalAmapi.ENTERPRISE_TOKEN).statusCode())
                .isEqualTo(200);
        assertThat(server.get("/mdm/android/signup-callback?state=" + state + "&enterpriseToken=" + LocalAmapi.ENTERPRISE_TOKEN).statusCode())
                .as("a signup completes once").isEqualTo(404);
        JsonNode created = google.requests("POST", "/v1/enterprises").get(0).json();
        assertThat(created.path("pubsubTopic").asText()).isEqualTo("projects/shepherd-test-project/topics/amapi");
        assertThat(created.path("enabledNotificationTypes")).extracting(JsonNode::asText).contains("ENROLLMENT", "STATUS_REPORT", "COMMAND");

        JsonNode status = enterprise();
        assertThat(status.path("enterprise").asText()).isEqualTo(LocalAmapi.ENTERPRISE);
        pushUrl = status.path("pubsubPushEndpoint").asText();
        assertThat(pushUrl).contains("/mdm/android/pubsub?token=");
    }

    @AfterEach
    void stop() {
        server.close();
        google.close();
        assertThat(google.violations()).as("requests Google's discovery document refuses").isEmpty();
    }

    @Test
    void aDeviceEnrolledByQrCodeGetsItsPolicyIsLockedAndReportsItsSettings() throws Exception {
        Group group = kernel.groups().create(TestKernel.ADMIN, "Field phones", "", Optional.empty());
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Phones", "", List.of(
                new SettingInput("passcode", JSON.readTree("{\"required\": true, \"minLength\": 8, \"maxInactivityMinutes\": 5}")),
                new SettingInput("restrictions", JSON.readTree("{\"allowCamera\": false}")),
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"correct horse\"}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);
        String secret = enrollmentSecret("CORPORATE", Optional.of(group.id()));

        // The enrollment page: Google's QR code and the enrollment link, for an AMAPI token that never saw our secret.
        HttpResponse<String> page = server.get("/enroll/" + secret + "?platform=android");
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
        JsonNode tokenRequest = google.requests("POST", "/enrollmentTokens").get(0).json();
        assertThat(google.requests("POST", "/enrollmentTokens").get(0).body()).doesNotContain(secret);
        assertThat(tokenRequest.path("allowPersonalUsage").asText()).isEqualTo("PERSONAL_USAGE_DISALLOWED");
        assertThat(tokenRequest.path("policyName").asText()).isEqualTo(LocalAmapi.ENTERPRISE + "/policies/shepherd-baseline");
        assertThat(google.policy(LocalAmapi.ENTERPRISE + "/policies/shepherd-baseline")).isPresent();
        assertThat(page.body()).contains("https://enterprise.google.com/android/enroll?et=LOCALTOKENET0");
        String qr = decodeQr(page.body());
        assertThat(JSON.readTree(qr).path("android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE")
                .path("com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN").asText()).isEqualTo("LOCALTOKENET0");
        assertThat(server.get("/enroll/" + secret + "?platform=android").statusCode()).isEqualTo(200);
        assertThat(google.requests("POST", "/enrollmentTokens")).as("the token is reused while it lives").hasSize(1);

        // Google reports the enrolled device.
        JsonNode enrolled = google.enroll("3a1b2c", "LOCALTOKENET0", "COMPANY_OWNED", "DEVICE_OWNER");
        assertThat(push("ENROLLMENT", enrolled).statusCode()).isEqualTo(204);
        DeviceId device = kernel.devices().idByHardwareId(Platform.ANDROID, "amapiDevice", enrolled.path("name").asText()).orElseThrow();
        assertThat(kernel.groups().groupsOf(device)).extracting(Group::id).contains(group.id());
        assertThat(kernel.devices().inventory(device)).containsEntry("os.version", "14").containsEntry("model", "Pixel 8")
                .containsEntry("serial.number", "SERIAL-3a1b2c").containsEntry("android.managementMode", "DEVICE_OWNER");

        // Its policy: compiled, patched at Google under a name from its hash, and the device pointed at it.
        String deviceName = enrolled.path("name").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> google.device(deviceName).orElseThrow().path("policyName").asText().contains("/policies/shepherd-")
                && !google.device(deviceName).orElseThrow().path("policyName").asText().endsWith("baseline"));
        String policyName = google.device(deviceName).orElseThrow().path("policyName").asText();
        JsonNode compiled = google.policy(policyName).orElseThrow();
        assertThat(compiled.path("passwordPolicies").get(0).path("passwordMinimumLength").asInt()).isEqualTo(8);
        assertThat(compiled.path("passwordPolicies").get(0).path("passwordScope").asText()).isEqualTo("SCOPE_DEVICE");
        assertThat(compiled.path("maximumTimeToLock").asText()).isEqualTo("300000");
        assertThat(compiled.path("cameraAccess").asText()).isEqualTo("CAMERA_ACCESS_DISABLED");
        assertThat(compiled.path("openNetworkConfiguration").path("NetworkConfigurations").get(0).path("WiFi").path("SSID").asText())
                .isEqualTo("Corp");
        assertThat(google.requests("PATCH", "/devices/3a1b2c")).allSatisfy(request -> {
            assertThat(request.query()).containsEntry("updateMask", "policyName");
            assertThat(request.authorization()).startsWith("Bearer ya29.local-");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> states(device).values().stream().allMatch(s -> s.state() == SettingState.INSTALLED));

        // A lock goes out as issueCommand; the COMMAND notification of its operation acknowledges it.
        UUID lock = command(device, "LOCK", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> !google.requests("POST", ":issueCommand").isEmpty());
        assertThat(google.requests("POST", ":issueCommand").get(0).json().path("type").asText()).isEqualTo("LOCK");
        assertThat(state(lock)).isEqualTo(CommandState.SENT);
        String operation = google.operationNames().get(0);
        assertThat(push("COMMAND", google.finishOperation(operation, Optional.empty())).statusCode()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(10)).until(() -> state(lock) == CommandState.ACKNOWLEDGED);

        // The notification of a finished operation can overtake the issueCommand answer that tells the plugin its
        // name; it is kept until the plugin records the operation, which then ends at once (not at the hourly poll).
        google.beforeIssueCommandAnswers(issued -> {
            try {
                assertThat(push("COMMAND", google.finishOperation(issued.path("name").asText(), Optional.empty())).statusCode()).isEqualTo(204);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        UUID overtaken = command(device, "LOCK", Map.of());
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> state(overtaken) == CommandState.ACKNOWLEDGED);
        } finally {
            google.beforeIssueCommandAnswers(issued -> { });
        }

        // The device's status report: the password is not compliant, the rest is applied.
        JsonNode report = google.statusReport(deviceName, List.of(Map.of("settingName", "passwordPolicies",
                "nonComplianceReason", "USER_ACTION", "specificNonComplianceReason", "PASSWORD_POLICIES_USER_CREDENTIALS_CONFIRMATION_REQUIRED")));
        assertThat(push("STATUS_REPORT", report).statusCode()).isEqualTo(204);
        Map<String, DeviceSettingState> states = states(device);
        assertThat(states.get("passcode").state()).isEqualTo(SettingState.FAILED);
        assertThat(states.get("passcode").reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("USER_ACTION").contains("PASSWORD_POLICIES_USER_CREDENTIALS_CONFIRMATION_REQUIRED"));
        assertThat(states.get("restrictions").state()).isEqualTo(SettingState.INSTALLED);
        assertThat(states.get("wifi/Corp").state()).isEqualTo(SettingState.INSTALLED);
        assertThat(kernel.devices().inventory(device)).containsEntry("android.policyCompliant", "false")
                .containsEntry("passcode.present", "true").containsEntry("passcode.compliant", "false")
                .containsEntry("storage.encrypted", "true").containsEntry("security.jailbroken", "false")
                .containsEntry("apps.reported", "true").containsEntry("app.com.android.chrome", "125.0");

        // The compliance rules judge those facts: the unmet password policy makes the device non-compliant.
        kernel.compliance().create(TestKernel.ADMIN, "Passcode", ComplianceCheck.PASSCODE_COMPLIANT,
                JSON.createObjectNode(), Optional.empty(), 0, List.of());
        await().atMost(Duration.ofSeconds(15)).until(() -> kernel.devices().get(device).orElseThrow().device().compliance()
                == ComplianceState.NON_COMPLIANT);
    }

    @Test
    void pushesWithoutThePushSecretAreRefused() {
        String body = "{\"message\":{\"data\":\"e30=\",\"attributes\":{\"notificationType\":\"ENROLLMENT\"}}}";
        assertThat(post("/mdm/android/pubsub", body).statusCode()).isEqualTo(401);
        assertThat(post("/mdm/android/pubsub?token=guessed", body).statusCode()).isEqualTo(401);
        assertThat(post(URI.create(pushUrl).getRawPath() + "?" + URI.create(pushUrl).getRawQuery(), "not json").statusCode()).isEqualTo(400);
    }

    @Test
    void googleRefusalsAreRetriedWhereSafeAndSurfacedOtherwiseAndNoCommandIsLost() throws Exception {
        DeviceId device = enrolledDevice("7f00aa");
        Predicate issue = request -> request.method().equals("POST") && request.path().endsWith(":issueCommand");

        // 401: the token is refreshed once and the call repeated with the new one.
        int tokensBefore = google.tokensIssued();
        google.refuseNext(issue, 401, Map.of(), "UNAUTHENTICATED", "Request had invalid authentication credentials.");
        UUID first = command(device, "LOCK", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> google.operationNames().size() == 1);
        assertThat(google.tokensIssued()).isEqualTo(tokensBefore + 1);
        List<LocalAmapi.Request> attempts = google.requests("POST", ":issueCommand");
        assertThat(attempts.get(1).authorization()).isNotEqualTo(attempts.get(0).authorization());

        // 429 with Retry-After: tried again once it has passed.
        google.refuseNext(issue, 429, Map.of("Retry-After", "1"), "RESOURCE_EXHAUSTED", "Quota exceeded.");
        command(device, "RESTART", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> google.operationNames().size() == 2);
        List<LocalAmapi.Request> throttled = google.requests("POST", ":issueCommand");
        assertThat(Duration.between(throttled.get(2).at(), throttled.get(3).at())).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(throttled.get(3).json().path("type").asText()).isEqualTo("REBOOT");

        // 5xx: backed off and tried again.
        google.refuseNext(issue, 503, Map.of(), "UNAVAILABLE", "The service is currently unavailable.");
        google.refuseNext(issue, 503, Map.of(), "UNAVAILABLE", "The service is currently unavailable.");
        command(device, "LOST_MODE_OFF", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> google.operationNames().size() == 3);

        // Google failing longer than the retries: the command stays SENT and goes out once Google recovers.
        for (int i = 0; i < 3; i++) {
            google.refuseNext(issue, 500, Map.of(), "INTERNAL", "Internal error encountered.");
        }
        UUID waiting = command(device, "RESET_PASSCODE", Map.of("passcode", "246810"));
        await().atMost(Duration.ofSeconds(15)).until(() -> google.operationNames().size() == 4);
        assertThat(state(waiting)).isEqualTo(CommandState.SENT);
        assertThat(google.requests("POST", ":issueCommand").stream().filter(r -> r.body().contains("RESET_PASSWORD")).count())
                .isEqualTo(4);

        // 403: not retried; the command fails with Google's words, and the admin's status shows them.
        google.refuseNext(issue, 403, Map.of(), "PERMISSION_DENIED", "Caller does not have permission to manage this enterprise.");
        UUID refused = command(device, "LOCK", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> state(refused) == CommandState.FAILED);
        assertThat(kernel.commands().get(refused).orElseThrow().errorReason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("403").contains("Caller does not have permission to manage this enterprise."));
        assertThat(enterprise().path("google").path("lastError").asText()).contains("Caller does not have permission");
        assertThat(enterprise().path("google").path("retried").asLong()).isGreaterThanOrEqualTo(4);

        // A device that could not carry a command out fails it with its error code.
        String operation = google.operationNames().stream().sorted().findFirst().orElseThrow();
        push("COMMAND", google.finishOperation(operation, Optional.of("INVALID_VALUE")));
        assertThat(state(first)).isEqualTo(CommandState.FAILED);
        assertThat(kernel.commands().get(first).orElseThrow().errorReason()).hasValueSatisfying(reason -> assertThat(reason).contains("INVALID_VALUE"));
    }

    @Test
    void retiringOrWipingADeviceDeletesItAtGoogleAndItsLaterReportsChangeNothing() throws Exception {
        DeviceId retired = enrolledDevice("7e7e01");
        String retiredName = kernel.devices().get(retired).orElseThrow().device().hardwareIds().get("amapiDevice");
        ObjectNode staleReport = google.statusReport(retiredName, List.of()).deepCopy();
        ((ObjectNode) staleReport.with("softwareInfo")).put("androidVersion", "99");
        UUID lock = command(retired, "LOCK", Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> !google.requests("POST", ":issueCommand").isEmpty());

        HttpResponse<String> retire = admin("POST", "/api/v1/devices/" + retired + "/retire", "{\"reason\": \"returned\"}");
        assertThat(retire.statusCode()).as(retire.body()).isEqualTo(200);
        assertThat(kernel.devices().get(retired).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(state(lock)).isEqualTo(CommandState.CANCELLED);
        // A fully managed device leaves management by being deleted at Google, which resets it.
        await().atMost(Duration.ofSeconds(10)).until(() -> google.device(retiredName).isEmpty());
        assertThat(google.requests("DELETE", "/devices/7e7e01")).singleElement()
                .satisfies(request -> assertThat(request.query()).doesNotContainKey("wipeDataFlags"));
        await().atMost(Duration.ofSeconds(10)).until(() -> kernel.commands().history(retired, Optional.empty(), 10).stream()
                .anyMatch(record -> record.command().type() == CommandType.WIPE
                        && record.command().state() == CommandState.ACKNOWLEDGED));

        // A report Google sent before the delete, arriving late (or replayed), does not bring the device back.
        assertThat(push("STATUS_REPORT", staleReport).statusCode()).isEqualTo(204);
        assertThat(kernel.devices().get(retired).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.devices().inventory(retired)).containsEntry("os.version", "14");

        DeviceId wiped = enrolledDevice("7e7e02");
        HttpResponse<String> wipe = admin("POST", "/api/v1/devices/" + wiped + "/wipe", "{\"reason\": \"stolen\"}");
        assertThat(wipe.statusCode()).as(wipe.body()).isEqualTo(200);
        assertThat(kernel.devices().get(wiped).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        await().atMost(Duration.ofSeconds(10)).until(() -> !google.requests("DELETE", "/devices/7e7e02").isEmpty());
        assertThat(google.requests("DELETE", "/devices/7e7e02").get(0).query()).containsEntry("wipeDataFlags", "WIPE_EXTERNAL_STORAGE");
        assertThat(push("ENROLLMENT", staleReport).statusCode()).isEqualTo(204);
        assertThat(kernel.devices().get(retired).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        // The retired device's last report, DELETED once it acknowledged the deletion, leaves it as the admin left it.
        assertThat(push("STATUS_REPORT", deleted(staleReport)).statusCode()).isEqualTo(204);
        assertThat(kernel.devices().get(retired).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.devices().get(wiped).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
    }

    @Test
    void aFieldGoogleRefusesFailsOnlyTheSettingThatProducedItAndEveryOtherSettingStillApplies() throws Exception {
        // A raw Android payload with a field the Policy does not have (USB data access belongs under
        // deviceConnectivityManagement): Google refuses the whole patch with a BadRequest naming the field.
        Enrolled phone = enrolledWith("b0b0b1", List.of(
                new SettingInput("restrictions", JSON.readTree("{\"allowCamera\": false, \"allowUsbStorage\": false}")),
                new SettingInput("raw_payload", JSON.readTree("{\"platform\": \"android\", \"identifier\": \"usb\", "
                        + "\"contentType\": \"application/json\", \"content\": \"{\\\"usbDataAccess\\\": \\\"DISALLOW_USB_DATA_TRANSFER\\\"}\"}")),
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"correct horse\"}"))));

        JsonNode applied = appliedPolicy(phone.name());
        assertThat(applied.has("usbDataAccess")).isFalse();
        assertThat(applied.path("cameraAccess").asText()).isEqualTo("CAMERA_ACCESS_DISABLED");
        assertThat(applied.path("deviceConnectivityManagement").path("usbDataAccess").asText()).isEqualTo("DISALLOW_USB_FILE_TRANSFER");
        assertThat(applied.path("openNetworkConfiguration").path("NetworkConfigurations").get(0).path("WiFi").path("SSID").asText()).isEqualTo("Corp");
        assertThat(google.violations()).as("the refusal the payload provoked, and no other")
                .singleElement().asString().contains("PATCH /v1/" + LocalAmapi.ENTERPRISE + "/policies/shepherd-").contains("usbDataAccess");
        google.clearViolations();

        await().atMost(Duration.ofSeconds(10)).until(() -> states(phone.id()).get("raw_payload/usb").state() == SettingState.FAILED);
        assertThat(states(phone.id()).get("raw_payload/usb").reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("Google refused usbDataAccess").contains("Unknown name"));
        // The device reports until its report is of the policy the plugin settled on after the refusal (a report of
        // an earlier policy says nothing about the settings), as a device reports again and again.
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            push("STATUS_REPORT", google.statusReport(phone.name(), List.of()));
            Map<String, DeviceSettingState> states = states(phone.id());
            assertThat(states.get("restrictions").state()).isEqualTo(SettingState.INSTALLED);
            assertThat(states.get("wifi/Corp").state()).isEqualTo(SettingState.INSTALLED);
        });
        assertThat(states(phone.id()).get("raw_payload/usb").state()).isEqualTo(SettingState.FAILED);

        // Google's refusal of a value (which no discovery document shows) is attributed to its setting the same way.
        google.refuseFieldNext(request -> request.method().equals("PATCH") && request.body().contains("ALLOWLIST"),
                "personalUsagePolicies.personalPlayStoreMode", "personalApplications must list the allowed apps when the mode is ALLOWLIST");
        Enrolled other = enrolledWith("b0b0b2", List.of(
                new SettingInput("restrictions", JSON.readTree("{\"allowScreenCapture\": false}")),
                new SettingInput("android.personal_usage", JSON.readTree("{\"personalPlayStoreMode\": \"ALLOWLIST\"}"))));
        JsonNode second = appliedPolicy(other.name());
        assertThat(second.path("screenCaptureDisabled").asBoolean()).isTrue();
        assertThat(second.has("personalUsagePolicies")).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> states(other.id()).get(AndroidSettingTypes.PERSONAL_USAGE).state() == SettingState.FAILED);
        assertThat(states(other.id()).get(AndroidSettingTypes.PERSONAL_USAGE).reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("personalUsagePolicies.personalPlayStoreMode").contains("personalApplications must list"));
        assertThat(states(other.id()).get("restrictions").state()).isNotEqualTo(SettingState.FAILED);
    }

    @Test
    void nonComplianceIsTracedToTheExactSettingAndFieldAndAnAppBeingInstalledIsPending() throws Exception {
        Enrolled phone = enrolledWith("c0c0c1", List.of(
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Guest\", \"security\": \"WPA2_PERSONAL\", \"password\": \"guest-pass-1\"}")),
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Staff\", \"security\": \"WPA2_PERSONAL\", \"password\": \"staff-pass-1\"}")),
                new SettingInput("android.application", JSON.readTree("{\"packageName\": \"com.example.mail\", \"installType\": \"FORCE_INSTALLED\"}")),
                new SettingInput("restrictions", JSON.readTree("{\"allowDeveloperMode\": false}"))));
        JsonNode applied = appliedPolicy(phone.name());
        // Reporting is switched on so that compliance facts and the app inventory arrive.
        JsonNode reporting = applied.path("statusReportingSettings");
        assertThat(reporting.path("deviceSettingsEnabled").asBoolean()).isTrue();
        assertThat(reporting.path("softwareInfoEnabled").asBoolean()).isTrue();
        assertThat(reporting.path("applicationReportsEnabled").asBoolean()).isTrue();
        assertThat(google.policy(LocalAmapi.ENTERPRISE + "/policies/shepherd-baseline").orElseThrow().path("statusReportingSettings")
                .path("applicationReportsEnabled").asBoolean()).isTrue();
        assertThat(applied.path("advancedSecurityOverrides").path("developerSettings").asText()).isEqualTo("DEVELOPER_SETTINGS_DISABLED");
        await().atMost(Duration.ofSeconds(10)).until(() -> states(phone.id()).size() == 4
                && states(phone.id()).values().stream().allMatch(state -> state.state() == SettingState.INSTALLED));

        push("STATUS_REPORT", google.statusReport(phone.name(), List.of(
                Map.of("settingName", "applications", "packageName", "com.example.mail", "nonComplianceReason", "APP_NOT_INSTALLED",
                        "installationFailureReason", "IN_PROGRESS"),
                Map.of("settingName", "openNetworkConfiguration", "fieldPath", "openNetworkConfiguration.NetworkConfigurations[1].WiFi.Passphrase",
                        "nonComplianceReason", "INVALID_VALUE", "specificNonComplianceReason", "ONC_WIFI_INVALID_VALUE"))));
        Map<String, DeviceSettingState> states = states(phone.id());
        assertThat(states.get("android.application/com.example.mail").state()).as("still installing").isEqualTo(SettingState.PENDING);
        assertThat(states.get("wifi/Staff").state()).isEqualTo(SettingState.FAILED);
        assertThat(states.get("wifi/Staff").reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("openNetworkConfiguration.NetworkConfigurations[1].WiFi.Passphrase").contains("INVALID_VALUE").contains("ONC_WIFI_INVALID_VALUE"));
        assertThat(states.get("wifi/Guest").state()).as("the other network of the same policy field").isEqualTo(SettingState.INSTALLED);
        assertThat(states.get("restrictions").state()).isEqualTo(SettingState.INSTALLED);
        assertThat(kernel.devices().inventory(phone.id())).containsEntry("passcode.present", "true").containsEntry("storage.encrypted", "true")
                .containsEntry("app.com.android.chrome", "125.0");

        // The installation failing for good is a failure, with the device's reason.
        push("STATUS_REPORT", google.statusReport(phone.name(), List.of(
                Map.of("settingName", "applications", "packageName", "com.example.mail", "nonComplianceReason", "APP_NOT_INSTALLED",
                        "installationFailureReason", "NOT_APPROVED"))));
        assertThat(states(phone.id()).get("android.application/com.example.mail").state()).isEqualTo(SettingState.FAILED);
        assertThat(states(phone.id()).get("android.application/com.example.mail").reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("com.example.mail").contains("NOT_APPROVED"));
        assertThat(states(phone.id()).get("wifi/Staff").state()).isEqualTo(SettingState.INSTALLED);
    }

    @Test
    void bindingAnEnterpriseAsksGoogleWhetherItExists() throws Exception {
        HttpResponse<String> missing = admin("PUT", "/api/v1/plugins/android/enterprise", "{\"name\": \"enterprises/LC99missing\"}");
        assertThat(missing.statusCode()).as(missing.body()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(missing.body()).contains("enterprises/LC99missing");
        assertThat(enterprise().path("enterprise").asText()).as("nothing was bound").isEqualTo(LocalAmapi.ENTERPRISE);
        assertThat(google.requests("GET", "/v1/enterprises/LC99missing")).hasSize(1);

        google.existingEnterprise("enterprises/LC02other");
        HttpResponse<String> other = admin("PUT", "/api/v1/plugins/android/enterprise", "{\"name\": \"enterprises/LC02other\"}");
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        assertThat(enterprise().path("enterprise").asText()).isEqualTo("enterprises/LC02other");

        // The setup checklist reads the binding from the plugin's setup requirement.
        HttpResponse<String> setup = admin("GET", "/api/v1/setup", "");
        assertThat(setup.statusCode()).as(setup.body()).isEqualTo(200);
        assertThat(JSON.readTree(setup.body()).path("steps")).filteredOn(step -> step.path("id").asText().equals("android-enterprise"))
                .singleElement().satisfies(step -> {
                    assertThat(step.path("state").asText()).isEqualTo("DONE");
                    assertThat(step.path("detail").asText()).isEqualTo("Bound to enterprises/LC02other.");
                    assertThat(step.path("link").asText()).isEqualTo("#/plugins/android/enterprise");
                });
    }

    @Test
    void commandDurationsAreGoogleDurationsAndTooShortPasswordsAreRefusedWhenIssued() throws Exception {
        DeviceId device = enrolledDevice("d0d0d1");
        UUID lock = command(device, "LOCK", Map.of("duration", "PT10M"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !google.requests("POST", ":issueCommand").isEmpty());
        assertThat(google.requests("POST", ":issueCommand").get(0).json().path("duration").asText()).isEqualTo("600s");
        assertThat(state(lock)).isEqualTo(CommandState.SENT);

        HttpResponse<String> shortPin = admin("POST", "/api/v1/devices/" + device + "/commands",
                JSON.writeValueAsString(Map.of("type", "RESET_PASSCODE", "parameters", Map.of("passcode", "1234"))));
        assertThat(shortPin.statusCode()).as(shortPin.body()).isBetween(400, 499);
        assertThat(shortPin.body()).contains("shorter than 6");
        HttpResponse<String> badDuration = admin("POST", "/api/v1/devices/" + device + "/commands",
                JSON.writeValueAsString(Map.of("type", "LOCK", "parameters", Map.of("duration", "ten minutes"))));
        assertThat(badDuration.statusCode()).as(badDuration.body()).isBetween(400, 499);
        assertThat(google.requests("POST", ":issueCommand")).hasSize(1);
    }

    @Test
    void aDeviceGoogleReportsDeletedLeavesManagementWipedWhenFullyManaged() throws Exception {
        // Deleted elsewhere (another console of the enterprise): Google's last report of it says DELETED.
        DeviceId device = enrolledDevice("e0e0e1");
        String name = kernel.devices().get(device).orElseThrow().device().hardwareIds().get("amapiDevice");
        assertThat(push("STATUS_REPORT", deleted(google.statusReport(name, List.of()))).statusCode()).isEqualTo(204);
        assertThat(kernel.devices().get(device).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);

        // A work profile deleted at Google is removed from the device, which stays the user's: retired, not wiped.
        String secret = enrollmentSecret("PERSONAL", Optional.empty());
        assertThat(server.get("/enroll/" + secret + "?platform=android").statusCode()).isEqualTo(200);
        JsonNode profile = google.enroll("e0e0e2", google.latestTokenValue(), "PERSONALLY_OWNED", "PROFILE_OWNER");
        assertThat(push("ENROLLMENT", profile).statusCode()).isEqualTo(204);
        DeviceId personal = kernel.devices().idByHardwareId(Platform.ANDROID, "amapiDevice", profile.path("name").asText()).orElseThrow();
        assertThat(push("STATUS_REPORT", deleted(google.statusReport(profile.path("name").asText(), List.of()))).statusCode()).isEqualTo(204);
        assertThat(kernel.devices().get(personal).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
    }

    @Test
    void anEnterpriseNetworkNamesTheServersCaAndDomainAndOneAndroidWouldRefuseFailsAlone() throws Exception {
        Enrolled phone = enrolledWith("f0f0f1", List.of(
                new SettingInput("certificate", JSON.readTree("{\"name\": \"Radius CA\", \"kind\": \"TRUSTED_ROOT\", \"data\": \"UkFESVVTLUNB\"}")),
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Staff\", \"security\": \"WPA2_ENTERPRISE\", \"eapMethod\": \"PEAP\", "
                        + "\"identity\": \"alice\", \"password\": \"s3cret-pass\", \"serverCertificates\": [\"Radius CA\"], "
                        + "\"serverNames\": [\"radius.example.com\"]}")),
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Lab\", \"security\": \"WPA2_ENTERPRISE\", \"eapMethod\": \"TTLS\"}")),
                new SettingInput("certificate", JSON.readTree(JSON.writeValueAsString(Map.of("name", "Phone identity", "kind", "PKCS12_IDENTITY",
                        "data", TestIdentities.pkcs12("phone-f0f0f1", "p12-secret"), "password", "p12-secret")))),
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Secure\", \"security\": \"WPA3_ENTERPRISE\", \"eapMethod\": \"TLS\", "
                        + "\"identity\": \"phone-f0f0f1\", \"certificate\": \"Phone identity\", \"serverNames\": [\"radius.example.com\"]}"))));
        JsonNode onc = appliedPolicy(phone.name()).path("openNetworkConfiguration");
        assertThat(onc.path("NetworkConfigurations")).hasSize(2);
        JsonNode eap = onc.path("NetworkConfigurations").get(1).path("WiFi").path("EAP");
        assertThat(eap.path("ServerCARefs")).extracting(JsonNode::asText).containsExactly("certificate/Radius CA");
        assertThat(onc.path("Certificates").get(1).path("GUID").asText()).isEqualTo("certificate/Radius CA");
        assertThat(onc.path("Certificates").get(1).path("Type").asText()).isEqualTo("Authority");
        // The EAP-TLS identity travels with its network, as an ONC client certificate Android can import.
        JsonNode tls = onc.path("NetworkConfigurations").get(0).path("WiFi").path("EAP");
        assertThat(tls.path("ClientCertType").asText()).isEqualTo("Ref");
        assertThat(tls.path("ClientCertRef").asText()).isEqualTo("certificate/Phone identity");
        assertThat(onc.path("Certificates").get(0).path("Type").asText()).isEqualTo("Client");
        TestIdentities.assertAndroidImportable(onc.path("Certificates").get(0).path("PKCS12").asText(), "phone-f0f0f1");
        assertThat(eap.path("DomainSuffixMatch")).extracting(JsonNode::asText).containsExactly("radius.example.com");
        assertThat(eap.has("UseSystemCAs")).isFalse();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(states(phone.id())).allSatisfy((key, state) ->
                assertThat(state.state()).as(key + " " + state.reason()).isEqualTo(key.equals("wifi/Lab") ? state.state() : SettingState.INSTALLED)));
        assertThat(states(phone.id()).get("wifi/Lab").state()).isIn(SettingState.FAILED, SettingState.NOT_SUPPORTED);
        assertThat(states(phone.id()).get("wifi/Lab").reason()).hasValueSatisfying(reason -> assertThat(reason).contains("serverNames"));
    }

    /** The device's last report once it acknowledged its deletion, as Google publishes it. */
    private static JsonNode deleted(JsonNode report) {
        ObjectNode last = report.deepCopy();
        last.put("state", "DELETED").put("appliedState", "DELETED");
        return last;
    }

    /** A device enrolled into a group of its own whose policy holds these settings. */
    private record Enrolled(DeviceId id, String name) {
    }

    private Enrolled enrolledWith(String id, List<SettingInput> settings) throws Exception {
        Group group = kernel.groups().create(TestKernel.ADMIN, "Group " + id, "", Optional.empty());
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Policy " + id, "", settings);
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);
        String secret = enrollmentSecret("CORPORATE", Optional.of(group.id()));
        assertThat(server.get("/enroll/" + secret + "?platform=android").statusCode()).isEqualTo(200);
        JsonNode enrolled = google.enroll(id, google.latestTokenValue(), "COMPANY_OWNED", "DEVICE_OWNER");
        assertThat(push("ENROLLMENT", enrolled).statusCode()).isEqualTo(204);
        String name = enrolled.path("name").asText();
        return new Enrolled(kernel.devices().idByHardwareId(Platform.ANDROID, "amapiDevice", name).orElseThrow(), name);
    }

    /** The policy the device is pointed at once Shepherd has applied its own (not the baseline it enrolled under). */
    private JsonNode appliedPolicy(String deviceName) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            String policyName = google.device(deviceName).orElseThrow().path("policyName").asText();
            return policyName.contains("/policies/shepherd-") && !policyName.endsWith("baseline");
        });
        return google.policy(google.device(deviceName).orElseThrow().path("policyName").asText()).orElseThrow();
    }

    /** A request matcher for {@link LocalAmapi#refuseNext}. */
    private interface Predicate extends java.util.function.Predicate<LocalAmapi.Request> {
    }

    private DeviceId enrolledDevice(String id) throws Exception {
        String secret = enrollmentSecret("CORPORATE", Optional.empty());
        assertThat(server.get("/enroll/" + secret + "?platform=android").statusCode()).isEqualTo(200);
        JsonNode enrolled = google.enroll(id, "LOCALTOKENET0", "COMPANY_OWNED", "DEVICE_OWNER");
        assertThat(push("ENROLLMENT", enrolled).statusCode()).isEqualTo(204);
        return kernel.devices().idByHardwareId(Platform.ANDROID, "amapiDevice", enrolled.path("name").asText()).orElseThrow();
    }

    private String enrollmentSecret(String ownership, Optional<String> groupId) throws Exception {
        return AndroidServerCalls.enrollmentSecret(server, ownership, groupId);
    }

    private UUID command(DeviceId device, String type, Map<String, Object> parameters) throws Exception {
        HttpResponse<String> issued = admin("POST", "/api/v1/devices/" + device + "/commands",
                JSON.writeValueAsString(Map.of("type", type, "parameters", parameters)));
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        return UUID.fromString(JSON.readTree(issued.body()).path("command").path("id").asText());
    }

    private CommandState state(UUID command) {
        return kernel.commands().get(command).orElseThrow().command().state();
    }

    private Map<String, DeviceSettingState> states(DeviceId device) {
        Map<String, DeviceSettingState> states = new HashMap<>();
        kernel.policies().settingStates(device).forEach(state -> states.put(state.settingKey(), state));
        return states;
    }

    /** A Pub/Sub push as Google's push subscription delivers it, to the endpoint the admin status names. */
    private HttpResponse<String> push(String type, JsonNode data) throws Exception {
        return AndroidServerCalls.push(server, pushUrl, type, data);
    }

    private HttpResponse<String> post(String pathAndQuery, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(pathAndQuery)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private JsonNode enterprise() throws Exception {
        HttpResponse<String> status = admin("GET", "/api/v1/plugins/android/enterprise", "");
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        return JSON.readTree(status.body());
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return AndroidServerCalls.admin(server, method, path, body);
    }

    private static String decodeQr(String html) {
        Matcher image = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(html);
        assertThat(image.find()).as("the page holds the QR code").isTrue();
        return QrCodes.readDataUri(image.group());
    }
}
