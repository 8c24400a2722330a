package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.audit.Actor;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.compliance.Remediation;
import dev.shepherd.compliance.RemediationStep;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.security.AdminRole;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The device page's "why" routes through the running server, on the store the build chose (Derby, or PostgreSQL with
 * {@code -Dshepherd.test.store=postgresql}): one iOS device on an old OS version fails a compliance rule, sits in a
 * static group and a smart group that matched its OS version, and gets settings from two policies that conflict.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeviceInsightApiTest {

    private static final String PASSWORD = "device-insight-password";
    private static final Actor ADMIN = Actor.admin("seed");

    @TempDir
    static Path home;
    private TestServer server;
    private Kernel kernel;
    private final ObjectMapper json = new ObjectMapper();
    private DeviceId device;
    private DeviceId elsewhere;
    private String frontDesk;
    private String oldIos;

    @BeforeAll
    void start() throws Exception {
        server = TestServer.start(home);
        kernel = server.server().kernel();
        device = enroll("INS-1", "Front desk iPad", "16.0");
        elsewhere = enroll("INS-2", "Warehouse iPad", "17.5");
        kernel.devices().recordInventory(Actor.plugin("simulator"), device, Map.of("os.version", "16.0", "battery.level", "0.5"));

        frontDesk = kernel.groups().create(ADMIN, "Front desk", "Reception iPads", Optional.empty()).id();
        kernel.groups().addMembers(ADMIN, frontDesk, List.of(device));
        oldIos = kernel.groups().create(ADMIN, "Old iOS", "", Optional.of(kernel.groups().codec().read(json.readTree("""
                {"all": [{"attribute": "platform", "op": "eq", "value": "ios"}, {"attribute": "osVersion", "op": "lt", "value": "17"}]}""")))).id();
        String warehouse = kernel.groups().create(ADMIN, "Warehouse", "", Optional.empty()).id();
        kernel.groups().addMembers(ADMIN, warehouse, List.of(elsewhere));

        // Two policies set the same Wi-Fi network (a conflict the higher priority wins whole) and both set passcode
        // rules (combined field by field, the strictest winning).
        String baseline = kernel.policies().create(ADMIN, "Baseline", "", List.of(
                new SettingInput("passcode", json.readTree("{\"required\": true, \"minLength\": 6, \"maxInactivityMinutes\": 5}")),
                new SettingInput("wifi", json.readTree("{\"ssid\": \"Office\", \"security\": \"WPA2_PERSONAL\", \"password\": \"baseline-secret-1\"}"))))
                .id();
        String strict = kernel.policies().create(ADMIN, "Strict", "", List.of(
                new SettingInput("passcode", json.readTree("{\"minLength\": 10, \"maxInactivityMinutes\": 15}")),
                new SettingInput("wifi", json.readTree("{\"ssid\": \"Office\", \"security\": \"WPA2_PERSONAL\", \"password\": \"strict-secret-22\"}"))))
                .id();
        kernel.policies().assign(ADMIN, baseline, frontDesk, 10);
        kernel.policies().assign(ADMIN, strict, oldIos, 20);

        kernel.compliance().create(ADMIN, "iOS 17.4 or later", ComplianceCheck.MIN_OS_VERSION, json.readTree("{\"version\": \"17.4\"}"),
                Optional.empty(), 0, List.of(new RemediationStep(0, Remediation.NOTIFY), new RemediationStep(48, Remediation.LOCK)));
        // The server's background work reconciles the policies and judges compliance; the test waits for it.
        await().atMost(Duration.ofSeconds(30)).until(() -> kernel.policies().settingStates(device).size() == 2
                && kernel.compliance().report(device).orElseThrow().failing().stream()
                .anyMatch(failure -> failure.remediation().get(0).takenAt().isPresent())
                && kernel.devices().get(elsewhere).orElseThrow().device().compliance() == ComplianceState.COMPLIANT);

        server.server().adminUsers().create("desk", PASSWORD.toCharArray(), AdminRole.HELPDESK);
        server.server().adminUsers().create("auditor", PASSWORD.toCharArray(), AdminRole.AUDITOR);
        server.server().adminUsers().create("warehouse-admin", PASSWORD.toCharArray(), AdminRole.ADMIN, DeviceScope.groups(List.of(warehouse)));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theComplianceReportNamesTheFailingRuleTheDevicesValueAndTheNextRemediationStep() throws Exception {
        JsonNode report = get("admin", "/api/v1/devices/" + device + "/compliance/report");

        assertThat(report.path("state").asText()).isEqualTo("NON_COMPLIANT");
        assertThat(report.path("allowed").asBoolean()).isFalse();
        JsonNode failure = report.path("failing").get(0);
        assertThat(failure.path("name").asText()).isEqualTo("iOS 17.4 or later");
        assertThat(failure.path("check").asText()).isEqualTo("MIN_OS_VERSION");
        assertThat(failure.path("parameters").path("version").asText()).isEqualTo("17.4");
        assertThat(failure.path("detail").asText()).isEqualTo("OS version 16.0 is below 17.4");
        Instant since = Instant.parse(failure.path("failingSince").asText());
        assertThat(Instant.parse(failure.path("graceEndsAt").asText())).as("no grace period").isEqualTo(since);
        JsonNode steps = failure.path("remediation");
        assertThat(steps.get(0).path("action").asText()).isEqualTo("NOTIFY");
        assertThat(steps.get(0).path("takenAt").isTextual()).as("the notification was taken at once").isTrue();
        assertThat(steps.get(1).path("action").asText()).isEqualTo("LOCK");
        assertThat(steps.get(1).path("takenAt").isMissingNode() || steps.get(1).path("takenAt").isNull()).isTrue();
        assertThat(failure.path("nextStep").path("action").asText()).isEqualTo("LOCK");
        assertThat(Instant.parse(failure.path("nextStep").path("dueAt").asText())).isEqualTo(since.plus(Duration.ofHours(48)));

        JsonNode compliant = get("admin", "/api/v1/devices/" + elsewhere + "/compliance/report");
        assertThat(compliant.path("state").asText()).isEqualTo("COMPLIANT");
        assertThat(compliant.path("failing")).isEmpty();
    }

    @Test
    void membershipsSayWhyAStaticGroupHoldsTheDeviceAndWhichOfItsValuesASmartGroupsRuleMatched() throws Exception {
        JsonNode memberships = get("admin", "/api/v1/devices/" + device + "/memberships");

        assertThat(memberships).hasSize(2);
        JsonNode manual = find(memberships, "name", "Front desk");
        assertThat(manual.path("kind").asText()).isEqualTo("static");
        assertThat(manual.path("memberSince").isTextual()).isTrue();
        assertThat(manual.path("conditions")).isEmpty();
        JsonNode smart = find(memberships, "name", "Old iOS");
        assertThat(smart.path("kind").asText()).isEqualTo("smart");
        assertThat(smart.path("rule").path("all")).hasSize(2);
        JsonNode platform = find(smart.path("conditions"), "attribute", "platform");
        assertThat(platform.path("operator").asText()).isEqualTo("eq");
        assertThat(platform.path("deviceValues").get(0).asText()).isEqualTo("ios");
        JsonNode version = find(smart.path("conditions"), "attribute", "osVersion");
        assertThat(version.path("operator").asText()).isEqualTo("lt");
        assertThat(version.path("values").get(0).asText()).isEqualTo("17");
        assertThat(version.path("deviceValues").get(0).asText()).isEqualTo("16.0");
        assertThat(version.path("negated").asBoolean()).isFalse();
    }

    @Test
    void policySettingsNameThePoliciesBehindEachValueWhichWonAConflictAndTheStateOnTheDeviceWithoutSecrets() throws Exception {
        String wifiKey = kernel.policies().effectiveSettings(device).stream().filter(setting -> setting.setting().type().equals("wifi"))
                .findFirst().orElseThrow().setting().key();
        kernel.policies().reportActual(device, wifiKey, SettingState.FAILED, Optional.of("The network's password was refused"));

        HttpResponse<String> response = send("admin", "/api/v1/devices/" + device + "/policy-settings");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).as("no secret is ever returned").doesNotContain("baseline-secret-1", "strict-secret-22");
        JsonNode settings = json.readTree(response.body());

        JsonNode wifi = find(settings, "type", "wifi");
        assertThat(wifi.path("decision").asText()).isEqualTo("PRIORITY");
        assertThat(wifi.path("value").path("ssid").asText()).isEqualTo("Office");
        assertThat(wifi.path("value").has("password")).isFalse();
        assertThat(wifi.path("secretFields").get(0).asText()).isEqualTo("password");
        assertThat(wifi.path("state").asText()).isEqualTo("FAILED");
        assertThat(wifi.path("reason").asText()).isEqualTo("The network's password was refused");
        assertThat(wifi.path("sources")).hasSize(2);
        assertThat(wifi.path("sources").get(0).path("policyName").asText()).as("highest priority first").isEqualTo("Strict");
        assertThat(wifi.path("sources").get(0).path("priority").asInt()).isEqualTo(20);
        assertThat(wifi.path("sources").get(0).path("won").asBoolean()).isTrue();
        assertThat(wifi.path("sources").get(1).path("policyName").asText()).isEqualTo("Baseline");
        assertThat(wifi.path("sources").get(1).path("won").asBoolean()).isFalse();
        assertThat(wifi.path("sources").get(1).path("secretFields").get(0).asText()).isEqualTo("password");

        JsonNode passcode = find(settings, "type", "passcode");
        assertThat(passcode.path("decision").asText()).isEqualTo("FIELDWISE");
        assertThat(passcode.path("state").asText()).isEqualTo("PENDING");
        assertThat(passcode.path("value").path("minLength").asInt()).as("the strictest length").isEqualTo(10);
        assertThat(passcode.path("value").path("maxInactivityMinutes").asInt()).as("the strictest auto-lock").isEqualTo(5);
        JsonNode strict = find(passcode.path("sources"), "policyName", "Strict");
        assertThat(texts(strict.path("wonFields"))).containsExactly("minLength");
        JsonNode baseline = find(passcode.path("sources"), "policyName", "Baseline");
        assertThat(texts(baseline.path("wonFields"))).containsExactlyInAnyOrder("required", "maxInactivityMinutes");
        assertThat(baseline.path("won").asBoolean()).isTrue();
    }

    @Test
    void activityMergesTheDevicesEventsAndAuditEntriesNewestFirstAndPagesThroughThemWithoutRepeats() throws Exception {
        JsonNode all = get("admin", "/api/v1/devices/" + device + "/activity?limit=200");
        List<String> kinds = new ArrayList<>();
        for (JsonNode entry : all.path("items")) {
            kinds.add(entry.has("event") && !entry.path("event").isNull() ? "event:" + entry.path("event").path("type").asText()
                    : "audit:" + entry.path("audit").path("action").asText());
        }
        assertThat(kinds).contains("event:device.enrolled", "event:compliance.changed", "event:compliance.notify", "audit:device.enroll");
        // Newest first: each log in its own order, the two merged by time. The audit log is one chain, so its entries
        // are in time order. Events are in the event log's order, which is the order their transactions wrote them.
        // Two transactions running at once (this device's policy and compliance work run on separate threads) can
        // write an event that was made a few milliseconds earlier after one made later, so events are not compared
        // with each other here. Where an entry of one log is followed by one of the other, the merge took the newer
        // of the two heads, so that pair is newest first.
        List<Instant> auditTimes = new ArrayList<>();
        List<Boolean> isEvent = new ArrayList<>();
        List<Instant> times = new ArrayList<>();
        for (JsonNode entry : all.path("items")) {
            boolean event = entry.has("event") && !entry.path("event").isNull();
            Instant at = Instant.parse(entry.path("at").asText());
            isEvent.add(event);
            times.add(at);
            if (!event) {
                auditTimes.add(at);
            }
        }
        assertThat(auditTimes).hasSizeGreaterThan(1).isSortedAccordingTo(Comparator.reverseOrder());
        for (int i = 1; i < times.size(); i++) {
            if (!isEvent.get(i).equals(isEvent.get(i - 1))) {
                assertThat(times.get(i)).as("entry %d, from the other log than entry %d, is not newer", i, i - 1)
                        .isBeforeOrEqualTo(times.get(i - 1));
            }
        }
        assertThat(all.path("items").toString()).as("another device's activity stays out").doesNotContain(elsewhere.toString());

        // Two at a time, following the cursor, the same timeline comes out once.
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = get("admin", "/api/v1/devices/" + device + "/activity?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.path("items").size()).isLessThanOrEqualTo(2);
            page.path("items").forEach(entry -> paged.add(entry.toString()));
            cursor = page.path("nextCursor").isTextual() ? page.path("nextCursor").asText() : null;
        } while (cursor != null && paged.size() <= all.path("items").size());
        List<String> whole = new ArrayList<>();
        all.path("items").forEach(entry -> whole.add(entry.toString()));
        assertThat(paged).isEqualTo(whole);

        // A role without the audit log sees the events only.
        JsonNode desk = get("desk", "/api/v1/devices/" + device + "/activity?limit=200");
        assertThat(desk.path("items")).isNotEmpty().allSatisfy(entry -> assertThat(entry.path("audit").isMissingNode() || entry.path("audit").isNull()).isTrue());
        JsonNode auditor = get("auditor", "/api/v1/devices/" + device + "/activity?limit=200");
        assertThat(auditor.path("items").size()).isEqualTo(all.path("items").size());

        assertThat(send("admin", "/api/v1/devices/" + device + "/activity?cursor=not-a-cursor").statusCode()).isEqualTo(400);
    }

    @Test
    void aScopedAdminIsAnsweredAsIfTheDevicesOutsideItsScopeDidNotExistAndSeesOnlyItsScopesGroups() throws Exception {
        for (String route : List.of("compliance/report", "memberships", "policy-settings", "activity")) {
            HttpResponse<String> outside = send("warehouse-admin", "/api/v1/devices/" + device + "/" + route);
            assertThat(outside.statusCode()).as(route).isEqualTo(404);
            assertThat(outside.headers().firstValue("Content-Type")).as(route).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
            assertThat(outside.body()).as(route).doesNotContain("Front desk iPad", "iOS 17.4");
            assertThat(send("warehouse-admin", "/api/v1/devices/" + elsewhere + "/" + route).statusCode()).as(route).isEqualTo(200);
            assertThat(send("admin", "/api/v1/devices/" + DeviceId.random() + "/" + route).statusCode()).as(route).isEqualTo(404);
        }
        JsonNode own = get("warehouse-admin", "/api/v1/devices/" + elsewhere + "/memberships");
        Set<String> names = new HashSet<>();
        own.forEach(membership -> names.add(membership.path("name").asText()));
        assertThat(names).containsExactly("Warehouse");
    }

    @Test
    void theRoutesAppearInTheApiDocumentWithThePermissionEachNeeds() throws Exception {
        assertThat(send("desk", "/api/v1/devices/" + device + "/policy-settings").statusCode()).as("the help desk may read policies").isEqualTo(200);
        JsonNode paths = json.readTree(server.get("/api/openapi.json").body()).path("paths");
        assertThat(paths.path("/api/v1/devices/{id}/compliance/report").path("get").path("x-permission").asText()).isEqualTo("compliance_read");
        assertThat(paths.path("/api/v1/devices/{id}/memberships").path("get").path("x-permission").asText()).isEqualTo("group_read");
        assertThat(paths.path("/api/v1/devices/{id}/policy-settings").path("get").path("x-permission").asText()).isEqualTo("policy_read");
        assertThat(paths.path("/api/v1/devices/{id}/activity").path("get").path("x-permission").asText()).isEqualTo("device_read");
    }

    private DeviceId enroll(String serial, String name, String osVersion) {
        return kernel.devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.empty(), Platform.IOS, EnrollmentMethod.MANUAL,
                Map.of("udid", serial + "-UDID"), serial, "iPad13,18", osVersion, name)).device().id();
    }

    private JsonNode get(String username, String path) throws Exception {
        HttpResponse<String> response = send(username, path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }

    private HttpResponse<String> send(String username, String path) {
        String password = username.equals("admin") ? TestServer.ADMIN_PASSWORD : PASSWORD;
        String user = username.equals("admin") ? TestServer.ADMIN : username;
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", TestServer.basic(user, password)).GET().build());
    }

    private static JsonNode find(JsonNode items, String field, String value) {
        for (JsonNode item : items) {
            if (item.path(field).asText().equals(value)) {
                return item;
            }
        }
        throw new AssertionError("no item with " + field + " = " + value + " in " + items);
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(item -> texts.add(item.asText()));
        return texts;
    }
}
