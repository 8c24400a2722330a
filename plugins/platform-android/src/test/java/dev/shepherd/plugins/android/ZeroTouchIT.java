package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Android zero-touch enrollment end to end: the Android plugin loaded from its file into a real server, Google's
 * zero-touch customer API and Android Management API as stand-ins on loopback that check every request against
 * Google's discovery documents. A customer account is linked, configurations bound to Shepherd enrollment tokens are
 * created (fully managed, and a work profile on a company-owned device as the default), the customer's devices are
 * listed page by page, a configuration is applied to one, and the devices "boot": the configuration's DPC extras
 * enroll them at Google, whose notification enrolls them into Shepherd with the group and ownership the
 * configuration implies. Bad input and Google's refusals come back as problems.
 */
class ZeroTouchIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ZERO_TOUCH = "/api/v1/plugins/android/zero-touch";

    @TempDir
    Path home;
    private LocalAmapi google;
    private LocalZeroTouch zeroTouch;
    private TestServer server;
    private Kernel kernel;
    private String pushUrl;

    @BeforeEach
    void start() throws Exception {
        google = LocalAmapi.start();
        zeroTouch = LocalZeroTouch.start(google);
        AndroidServerCalls.configure(home, google.url(), zeroTouch.url(), "");
        server = TestServer.start(home);
        kernel = server.server().kernel();
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("android.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/mdm/android/pubsub").statusCode() == 405);
        HttpResponse<String> key = admin("PUT", "/api/v1/plugins/android/service-account", google.serviceAccountKey());
        assertThat(key.statusCode()).as(key.body()).isEqualTo(200);
        HttpResponse<String> bound = admin("PUT", "/api/v1/plugins/android/enterprise", "{\"name\": \"" + LocalAmapi.ENTERPRISE + "\"}");
        assertThat(bound.statusCode()).as(bound.body()).isEqualTo(200);
        pushUrl = JSON.readTree(bound.body()).path("pubsubPushEndpoint").asText();
    }

    @AfterEach
    void stop() {
        server.close();
        zeroTouch.close();
        google.close();
        assertThat(google.violations()).as("requests Google's AMAPI discovery document refuses").isEmpty();
        assertThat(zeroTouch.violations()).as("requests Google's zero-touch discovery document refuses").isEmpty();
    }

    @Test
    void configurationsAppliedToDevicesEnrollThemWithTheTokensGroupAndOwnership() throws Exception {
        // Linking: a malformed id, a customer the service account is not linked to, then the organisation's account.
        assertThat(problem(admin("GET", ZERO_TOUCH + "/configurations", ""), 409)).contains("No zero-touch customer account");
        assertThat(problem(admin("PUT", ZERO_TOUCH, "{\"customerId\": \"customers/12\"}"), 400)).contains("customerId");
        assertThat(problem(admin("PUT", ZERO_TOUCH, "{\"customerId\": \"777\"}"), 400)).contains("777").contains("link the service account");
        HttpResponse<String> linked = admin("PUT", ZERO_TOUCH, "{\"customerId\": \"" + LocalZeroTouch.CUSTOMER + "\"}");
        assertThat(linked.statusCode()).as(linked.body()).isEqualTo(200);
        assertThat(JSON.readTree(linked.body()).path("dpcResourcePath").asText()).isEqualTo(LocalZeroTouch.ANDROID_DEVICE_POLICY_DPC);
        assertThat(JSON.readTree(linked.body()).path("serviceAccount").asText()).isEqualTo(LocalAmapi.CLIENT_EMAIL);

        // A fully managed configuration bound to a corporate token of the warehouse group.
        Group warehouse = kernel.groups().create(TestKernel.ADMIN, "Warehouse scanners", "", Optional.empty());
        String corporate = AndroidServerCalls.enrollmentSecret(server, "CORPORATE", Optional.of(warehouse.id()));
        String personal = AndroidServerCalls.enrollmentSecret(server, "PERSONAL", Optional.empty());
        assertThat(problem(admin("POST", ZERO_TOUCH + "/configurations", configuration("Scanners", personal, false, false)), 400))
                .contains("corporate enrollment token");
        assertThat(problem(admin("POST", ZERO_TOUCH + "/configurations", configuration("Scanners", "no-such-token", false, false)), 400))
                .contains("enrollmentToken");
        assertThat(problem(admin("POST", ZERO_TOUCH + "/configurations", "{\"configurationName\": \"x\"}"), 400)).contains("companyName");
        HttpResponse<String> created = admin("POST", ZERO_TOUCH + "/configurations", configuration("Scanners", corporate, false, false));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.body()).doesNotContain(corporate).doesNotContain("LOCALTOKEN");
        JsonNode scanners = JSON.readTree(created.body());
        String scannersId = scanners.path("configurationId").asText();
        assertThat(scanners.path("shepherd").path("groupId").asText()).isEqualTo(warehouse.id());
        assertThat(scanners.path("shepherd").path("ownership").asText()).isEqualTo("FULLY_MANAGED");

        JsonNode tokenRequest = google.requests("POST", "/enrollmentTokens").get(0).json();
        assertThat(tokenRequest.path("allowPersonalUsage").asText()).isEqualTo("PERSONAL_USAGE_DISALLOWED");
        assertThat(Long.parseLong(tokenRequest.path("duration").asText().replace("s", ""))).as("as long as the Shepherd token")
                .isGreaterThan(Duration.ofHours(23).toSeconds());
        assertThat(google.requests("POST", "/enrollmentTokens").get(0).body()).doesNotContain(corporate);
        JsonNode stored = zeroTouch.configuration(scannersId).orElseThrow();
        assertThat(stored.path("dpcResourcePath").asText()).isEqualTo(LocalZeroTouch.ANDROID_DEVICE_POLICY_DPC);
        assertThat(stored.path("isDefault").asBoolean()).isFalse();
        assertThat(JSON.readTree(stored.path("dpcExtras").asText()).path("android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE")
                .path("com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN").asText()).isEqualTo("LOCALTOKENET0");

        // A work profile on company-owned devices (COPE), the default for devices without a configuration of their own.
        HttpResponse<String> cope = admin("POST", ZERO_TOUCH + "/configurations", configuration("Sales phones", corporate, true, true));
        assertThat(cope.statusCode()).as(cope.body()).isEqualTo(201);
        String copeId = JSON.readTree(cope.body()).path("configurationId").asText();
        assertThat(google.requests("POST", "/enrollmentTokens").get(1).json().path("allowPersonalUsage").asText()).isEqualTo("PERSONAL_USAGE_ALLOWED");
        JsonNode listed = JSON.readTree(admin("GET", ZERO_TOUCH + "/configurations", "").body()).path("configurations");
        assertThat(listed).extracting(node -> node.path("configurationName").asText()).containsExactlyInAnyOrder("Scanners", "Sales phones");
        assertThat(listed).filteredOn(node -> node.path("isDefault").asBoolean()).extracting(node -> node.path("configurationId").asText())
                .containsExactly(copeId);

        // The customer's devices, page by page.
        String scanner = zeroTouch.claim("358240051111110", "ZT-SCANNER-1");
        String salesPhone = zeroTouch.claim("358240051111111", "ZT-SALES-1");
        String spare = zeroTouch.claim("358240051111112", "ZT-SPARE-1");
        JsonNode first = JSON.readTree(admin("GET", ZERO_TOUCH + "/devices?pageSize=2", "").body());
        assertThat(first.path("devices")).hasSize(2);
        JsonNode second = JSON.readTree(admin("GET", ZERO_TOUCH + "/devices?pageSize=2&pageToken=" + first.path("nextPageToken").asText(), "").body());
        assertThat(second.path("devices")).hasSize(1);
        assertThat(second.has("nextPageToken")).isFalse();
        assertThat(problem(admin("GET", ZERO_TOUCH + "/devices?pageSize=500", ""), 400)).contains("pageSize");

        // The scanner gets its configuration; Google's trouble and unknown devices are problems, not errors.
        zeroTouch.refuseNext(request -> request.endsWith("devices:applyConfiguration"), 503, "UNAVAILABLE", "The service is currently unavailable.");
        assertThat(problem(admin("PUT", ZERO_TOUCH + "/devices/" + scanner + "/configuration", "{\"configurationId\": \"" + scannersId + "\"}"), 502))
                .contains("unavailable");
        assertThat(problem(admin("PUT", ZERO_TOUCH + "/devices/99999/configuration", "{\"configurationId\": \"" + scannersId + "\"}"), 404))
                .contains("Google knows no such");
        assertThat(admin("PUT", ZERO_TOUCH + "/devices/" + scanner + "/configuration", "{\"configurationId\": \"" + scannersId + "\"}").statusCode())
                .isEqualTo(204);
        JsonNode page = JSON.readTree(admin("GET", ZERO_TOUCH + "/devices", "").body()).path("devices");
        assertThat(page).filteredOn(node -> node.path("deviceId").asText().equals(scanner))
                .extracting(node -> node.path("configurationId").asText()).containsExactly(scannersId);
        assertThat(page).filteredOn(node -> node.path("deviceId").asText().equals(scanner))
                .extracting(node -> node.path("imei").asText()).containsExactly("358240051111110");
        assertThat(problem(admin("DELETE", ZERO_TOUCH + "/configurations/" + scannersId, ""), 409)).contains("Remove it from its devices");

        // First boot: the scanner is fully managed in the warehouse group, the sales phone gets the default (COPE).
        Device scannerDevice = bootAndEnroll(scanner, "zt5a1");
        assertThat(scannerDevice.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(scannerDevice.enrollmentMethod()).contains(EnrollmentMethod.PROGRAM);
        assertThat(kernel.groups().groupsOf(scannerDevice.id())).extracting(Group::id).contains(warehouse.id());
        assertThat(kernel.devices().inventory(scannerDevice.id())).containsEntry("android.managementMode", "DEVICE_OWNER");
        Device salesDevice = bootAndEnroll(salesPhone, "zt5a2");
        assertThat(salesDevice.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(kernel.groups().groupsOf(salesDevice.id())).extracting(Group::id).contains(warehouse.id());
        assertThat(kernel.devices().inventory(salesDevice.id())).containsEntry("android.managementMode", "PROFILE_OWNER");

        // The spare leaves zero-touch; the scanner's configuration is taken off, and then it can be deleted.
        assertThat(admin("POST", ZERO_TOUCH + "/devices/" + spare + "/unclaim", "").statusCode()).isEqualTo(204);
        assertThat(zeroTouch.device(spare)).isEmpty();
        assertThat(admin("DELETE", ZERO_TOUCH + "/devices/" + scanner + "/configuration", "").statusCode()).isEqualTo(204);
        assertThat(zeroTouch.device(scanner).orElseThrow().has("configuration")).isFalse();
        assertThat(admin("DELETE", ZERO_TOUCH + "/configurations/" + scannersId, "").statusCode()).isEqualTo(204);
        assertThat(zeroTouch.configuration(scannersId)).isEmpty();

        // An update replaces the definition with a fresh token; unlinking forgets the account.
        HttpResponse<String> updated = admin("PUT", ZERO_TOUCH + "/configurations/" + copeId, configuration("Sales tablets", corporate, true, true));
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        assertThat(zeroTouch.configuration(copeId).orElseThrow().path("configurationName").asText()).isEqualTo("Sales tablets");
        assertThat(zeroTouch.requests()).filteredOn(request -> request.startsWith("PATCH")).allSatisfy(request -> assertThat(request).contains("updateMask="));
        assertThat(admin("DELETE", ZERO_TOUCH, "").statusCode()).isEqualTo(204);
        assertThat(JSON.readTree(admin("GET", ZERO_TOUCH, "").body()).path("customerId").isNull()).isTrue();
    }

    private Device bootAndEnroll(String zeroTouchDevice, String amapiDevice) throws Exception {
        JsonNode enrolled = zeroTouch.boot(zeroTouchDevice, amapiDevice);
        assertThat(enrolled.path("ownership").asText()).isEqualTo("COMPANY_OWNED");
        assertThat(AndroidServerCalls.push(server, pushUrl, "ENROLLMENT", enrolled).statusCode()).isEqualTo(204);
        DeviceId id = kernel.devices().idByHardwareId(Platform.ANDROID, "amapiDevice", enrolled.path("name").asText()).orElseThrow();
        return kernel.devices().get(id).orElseThrow().device();
    }

    private static String configuration(String name, String enrollmentToken, boolean workProfile, boolean isDefault) throws Exception {
        Map<String, Object> body = new HashMap<>(Map.of("configurationName", name, "companyName", "Example Logistics",
                "contactEmail", "it-help@example.com", "contactPhone", "+1 (555) 010-0199", "enrollmentToken", enrollmentToken,
                "workProfile", workProfile, "isDefault", isDefault));
        body.put("customMessage", "Call IT if setup stops.");
        return JSON.writeValueAsString(body);
    }

    private static String problem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        return response.body();
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return AndroidServerCalls.admin(server, method, path, body);
    }
}
