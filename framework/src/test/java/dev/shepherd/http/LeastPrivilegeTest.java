package dev.shepherd.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.security.AdminRole;
import dev.shepherd.security.CommandPermissions;
import dev.shepherd.security.Permission;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A role's limits hold for every way to the same effect, through the running server: the help desk may lock a
 * device, but cannot erase it, enterprise-wipe it or change its profiles — not by the command itself, not as a RAW
 * command, not as a fan-out, not through a plugin's admin endpoint — and nothing is queued when it is refused.
 */
class LeastPrivilegeTest {

    private static final String PASSWORD = "least-privilege-test-pass";

    @TempDir
    static Path home;
    private static TestServer server;
    private static String deviceId;
    private static String groupId;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home);
        server.server().adminUsers().create("desk", PASSWORD.toCharArray(), AdminRole.HELPDESK);
        server.server().adminUsers().create("ops", PASSWORD.toCharArray(), AdminRole.OPERATOR);
        deviceId = server.server().kernel().devices().importDevices(TestKernel.ADMIN, List.of(new DeviceImport(Platform.IOS, "LP1",
                "iPhone", "Least privilege", Ownership.CORPORATE, Map.of("udid", "LP-1"), Set.of()))).get(0).toString();
        groupId = server.server().kernel().groups().create(TestKernel.ADMIN, "Everyone here", "", Optional.empty()).id();
        server.server().kernel().groups().addMembers(TestKernel.ADMIN, groupId, List.of(DeviceId.parse(deviceId)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theHelpDeskCannotEraseOrChangeProfilesByAnyCommandRoute() throws Exception {
        String desk = TestServer.basic("desk", PASSWORD);
        String commands = "/api/v1/devices/" + deviceId + "/commands";

        assertThat(post(commands, desk, "{\"type\":\"LOCK\"}").statusCode()).as("remote actions stay allowed").isEqualTo(201);
        int queuedBefore = server.server().kernel().commands().history(DeviceId.parse(deviceId),
                Optional.empty(), 500).size();

        HttpResponse<String> rawErase = post(commands, desk, """
                {"type": "RAW", "parameters": {"plist": "<dict><key>RequestType</key><string>EraseDevice</string></dict>"}}""");
        HttpResponse<String> install = post(commands, desk, "{\"type\":\"INSTALL_PROFILE\",\"parameters\":{\"payload\":\"x\"}}");
        HttpResponse<String> remove = post(commands, desk, "{\"type\":\"REMOVE_PROFILE\",\"parameters\":{\"identifier\":\"com.acme.wifi\"}}");
        HttpResponse<String> fanOutWipe = post("/api/v1/command-batches", desk,
                "{\"type\":\"WIPE\",\"target\":{\"groupId\":\"" + groupId + "\"}}");
        HttpResponse<String> fanOutRaw = post("/api/v1/command-batches", desk,
                "{\"type\":\"RAW\",\"parameters\":{\"plist\":\"x\"},\"target\":{\"deviceIds\":[\"" + deviceId + "\"]}}");
        HttpResponse<String> fanOutProfile = post("/api/v1/command-batches", desk,
                "{\"type\":\"REMOVE_PROFILE\",\"target\":{\"query\":{\"platform\":\"ios\"}}}");

        assertThat(rawErase.statusCode()).isEqualTo(403);
        assertThat(json.readTree(rawErase.body()).path("detail").asText()).contains("RAW");
        assertThat(install.statusCode()).isEqualTo(403);
        assertThat(json.readTree(install.body()).path("detail").asText()).contains("device_profile");
        assertThat(remove.statusCode()).isEqualTo(403);
        assertThat(fanOutWipe.statusCode()).as("a fan-out is checked for the command it carries").isEqualTo(403);
        assertThat(json.readTree(fanOutWipe.body()).path("detail").asText()).contains("device_wipe");
        assertThat(fanOutRaw.statusCode()).isEqualTo(403);
        assertThat(fanOutProfile.statusCode()).isEqualTo(403);
        assertThat(server.server().kernel().commands().history(DeviceId.parse(deviceId), Optional.empty(), 500))
                .as("nothing refused was queued").hasSize(queuedBefore);
        assertThat(server.server().kernel().commands().recentBatches(Optional.empty(), 100)).isEmpty();
    }

    @Test
    void anOperatorMaySendWhatTheHelpDeskMayNot() {
        String ops = TestServer.basic("ops", PASSWORD);

        assertThat(post("/api/v1/devices/" + deviceId + "/commands", ops, "{\"type\":\"RAW\",\"parameters\":{\"plist\":\"x\"}}").statusCode())
                .isNotEqualTo(403);
        assertThat(post("/api/v1/command-batches", ops, "{\"type\":\"REFRESH_INVENTORY\",\"target\":{\"groupId\":\"" + groupId + "\"}}")
                .statusCode()).isEqualTo(201);
    }

    @Test
    void aCustomDeviceReaderMayDoExactlyWhatItsRoleHoldsAndAnEditTakesEffectOnItsNextRequest() throws Exception {
        HttpResponse<String> role = server.sendAsAdmin("POST", "/api/v1/roles",
                "{\"name\":\"Device reader\",\"description\":\"Looks devices up\",\"permissions\":[\"DEVICE_READ\"]}");
        assertThat(role.statusCode()).as(role.body()).isEqualTo(201);
        String roleId = json.readTree(role.body()).path("id").asText();
        assertThat(server.sendAsAdmin("POST", "/api/v1/admins",
                "{\"username\":\"reader\",\"password\":\"" + PASSWORD + "\",\"role\":\"" + roleId + "\"}").statusCode()).isEqualTo(201);
        String reader = TestServer.basic("reader", PASSWORD);
        String device = "/api/v1/devices/" + deviceId;

        assertThat(get("/api/v1/devices", reader).statusCode()).isEqualTo(200);
        assertThat(get(device, reader).statusCode()).isEqualTo(200);
        assertThat(get(device + "/inventory", reader).statusCode()).isEqualTo(200);
        assertThat(send("PATCH", device, reader, "{\"name\":\"Renamed\"}").statusCode()).as("device write").isEqualTo(403);
        HttpResponse<String> lock = post(device + "/commands", reader, "{\"type\":\"LOCK\"}");
        assertThat(lock.statusCode()).as("remote action").isEqualTo(403);
        assertThat(json.readTree(lock.body()).path("detail").asText()).contains("The device reader role lacks");
        assertThat(post(device + "/commands", reader, "{\"type\":\"RAW\",\"parameters\":{\"plist\":\"x\"}}").statusCode()).isEqualTo(403);
        assertThat(post("/api/v1/command-batches", reader, "{\"type\":\"LOCK\",\"target\":{\"groupId\":\"" + groupId + "\"}}")
                .statusCode()).isEqualTo(403);
        assertThat(get("/api/v1/groups", reader).statusCode()).isEqualTo(403);
        assertThat(get("/api/v1/audit", reader).statusCode()).isEqualTo(403);
        assertThat(get("/api/v1/admins", reader).statusCode()).isEqualTo(403);

        assertThat(server.sendAsAdmin("PUT", "/api/v1/roles/" + roleId,
                "{\"name\":\"Device reader\",\"permissions\":[\"DEVICE_READ\",\"DEVICE_ACTION\"]}").statusCode()).isEqualTo(200);

        assertThat(post(device + "/commands", reader, "{\"type\":\"LOCK\"}").statusCode()).as("the edit is in force at once").isEqualTo(201);
        assertThat(post(device + "/commands", reader, "{\"type\":\"WIPE\"}").statusCode()).isEqualTo(403);
        assertThat(server.sendAsAdmin("DELETE", "/api/v1/roles/" + roleId, null).statusCode()).as("held by reader").isEqualTo(409);
        assertThat(server.sendAsAdmin("DELETE", "/api/v1/roles/HELPDESK", null).statusCode()).as("a built-in").isEqualTo(409);
    }

    @Test
    void everyDestructiveCommandNeedsMoreThanRemoteActionsAndARawCommandNeedsAllOfIt() {
        assertThat(CommandPermissions.required(CommandType.WIPE)).containsExactly(Permission.DEVICE_WIPE);
        assertThat(CommandPermissions.required(CommandType.ENTERPRISE_WIPE)).containsExactly(Permission.DEVICE_WIPE);
        assertThat(CommandPermissions.required(CommandType.INSTALL_PROFILE)).containsExactly(Permission.DEVICE_PROFILE);
        assertThat(CommandPermissions.required(CommandType.REMOVE_PROFILE)).containsExactly(Permission.DEVICE_PROFILE);
        // Installing, updating and removing apps is what an app assignment does: the same permission by either path.
        for (CommandType app : List.of(CommandType.INSTALL_APP, CommandType.UPDATE_APP, CommandType.REMOVE_APP)) {
            assertThat(CommandPermissions.required(app)).as(app.name()).containsExactly(Permission.APP_MANAGE);
            assertThat(CommandPermissions.missing(AdminRole.HELPDESK, app)).as(app.name()).contains(Permission.APP_MANAGE);
            assertThat(CommandPermissions.missing(AdminRole.OPERATOR, app)).as(app.name()).isEmpty();
        }
        assertThat(CommandPermissions.required(CommandType.RAW))
                .containsExactlyInAnyOrder(Permission.COMMAND_RAW, Permission.DEVICE_WIPE, Permission.DEVICE_PROFILE, Permission.APP_MANAGE);
        assertThat(AdminRole.HELPDESK.permissions()).doesNotContain(Permission.DEVICE_WIPE, Permission.DEVICE_PROFILE, Permission.COMMAND_RAW);
        assertThat(AdminRole.OPERATOR.permissions()).contains(Permission.DEVICE_WIPE, Permission.DEVICE_PROFILE, Permission.COMMAND_RAW);
    }

    @Test
    void theOpenApiDocumentSaysWhatEachCommandNeeds() throws Exception {
        var document = json.readTree(server.get("/api/openapi.json").body());

        assertThat(document.path("x-command-permissions").path("RAW").toString())
                .isEqualTo("[\"device_wipe\",\"device_profile\",\"command_raw\",\"app_manage\"]");
        assertThat(document.path("x-command-permissions").path("ENTERPRISE_WIPE").toString()).isEqualTo("[\"device_wipe\"]");
        assertThat(document.path("x-command-permissions").has("LOCK")).isFalse();
    }

    @Test
    void aPluginEndpointThatDeprovisionsDeclaresTheWipePermissionAndTheHelpDeskIsRefused() throws Exception {
        Path build = Files.createTempDirectory(home, "build");
        Path file = plugin("deprovisioner", "1.0.0").source("""
                package acme.deprovision;

                import dev.shepherd.api.http.*;
                import org.pf4j.Extension;

                @Extension
                public class Deprovision implements AdminEndpoint {
                    @Override
                    public String path() {
                        return "/devices";
                    }

                    @Override
                    public String permission() {
                        return "device_wipe";
                    }

                    @Override
                    public DeviceResponse handle(AdminRequest request) {
                        return DeviceResponse.text(200, "deprovisioned by " + request.adminUsername());
                    }
                }
                """).buildZip(build, "deprovisioner.zip");
        Files.copy(file, server.pluginsDir().resolve("deprovisioner.zip"));
        String url = "/api/v1/plugins/deprovisioner/devices/" + deviceId + "/action";
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(post(url, TestServer.basic("ops", PASSWORD), "{\"action\":\"deprovision\"}").statusCode()).isEqualTo(200));

        HttpResponse<String> desk = post(url, TestServer.basic("desk", PASSWORD), "{\"action\":\"deprovision\"}");

        assertThat(desk.statusCode()).isEqualTo(403);
        assertThat(json.readTree(desk.body()).path("detail").asText()).contains("device_wipe");
        assertThat(json.readTree(server.get("/api/openapi.json").body()).path("paths")
                .path("/api/v1/plugins/deprovisioner/devices/**").path("post").path("x-permission").asText()).isEqualTo("device_wipe");

        // A plugin cannot know which devices an admin's scope reaches: an operator granted over one group is refused.
        server.server().adminUsers().create("ops-scoped", PASSWORD.toCharArray(), AdminRole.OPERATOR, DeviceScope.groups(List.of(groupId)));
        HttpResponse<String> scoped = post(url, TestServer.basic("ops-scoped", PASSWORD), "{\"action\":\"deprovision\"}");
        assertThat(scoped.statusCode()).isEqualTo(403);
        assertThat(json.readTree(scoped.body()).path("type").asText()).endsWith("out-of-scope");
        assertThat(json.readTree(server.get("/api/openapi.json").body()).path("paths")
                .path("/api/v1/plugins/deprovisioner/devices/**").path("post").path("x-scope").asText()).isEqualTo("fleet_only");
    }

    private static HttpResponse<String> get(String path, String authorization) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", authorization).GET().build());
    }

    private static HttpResponse<String> send(String method, String path, String authorization, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", authorization)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> post(String path, String authorization, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", authorization)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
