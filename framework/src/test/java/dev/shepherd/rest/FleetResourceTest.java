package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.security.AdminRole;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet tools of the admin API, over real HTTP and storage: substring search, every sort, counts, export, bulk
 * actions, saved views, group additions by serial number and the global search. A scoped admin (granted over the
 * Paris group) sees and acts on the Paris devices only, on every one of these routes.
 */
class FleetResourceTest {

    private static final String PASSWORD = "fleet-tools-test-pass";

    @TempDir
    static Path home;
    private static TestServer server;
    private static Kernel kernel;
    private static String paris;
    private static String lyon;
    private static List<DeviceId> devices;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home);
        kernel = server.server().kernel();
        devices = kernel.devices().importDevices(TestKernel.ADMIN, List.of(
                new DeviceImport(Platform.IOS, "C02FLEETA1", "iPhone 15", "Reception iPad", Ownership.CORPORATE, Map.of("udid", "FLEET-1"), Set.of()),
                new DeviceImport(Platform.ANDROID, "R58FLEETB2", "Pixel 8", "Warehouse scanner", Ownership.CORPORATE, Map.of("imei", "FLEET-2"), Set.of()),
                new DeviceImport(Platform.WINDOWS, "PF3FLEETC3", "ThinkPad X1", "Finance laptop, 2nd floor", Ownership.PERSONAL, Map.of("hwid", "FLEET-3"), Set.of()),
                new DeviceImport(Platform.IOS, "LYONSECRET9", "iPhone 15", "Lyon phone", Ownership.CORPORATE, Map.of("udid", "FLEET-4"), Set.of())));
        String userId = kernel.directory().create(TestKernel.ADMIN, "local", "marie.curie", "Marie Curie", "marie@example.org").id();
        kernel.devices().update(TestKernel.ADMIN, devices.get(1), new DeviceChanges(Optional.empty(), Optional.empty(),
                Optional.of(userId), Optional.empty(), Optional.empty()), OptionalLong.empty());
        paris = kernel.groups().create(TestKernel.ADMIN, "Paris", "", Optional.empty()).id();
        lyon = kernel.groups().create(TestKernel.ADMIN, "Lyon", "", Optional.empty()).id();
        kernel.groups().addMembers(TestKernel.ADMIN, paris, devices.subList(0, 3));
        kernel.groups().addMembers(TestKernel.ADMIN, lyon, List.of(devices.get(3)));
        server.server().adminUsers().create("paris-admin", PASSWORD.toCharArray(), AdminRole.ADMIN, DeviceScope.groups(List.of(paris)));
        server.server().adminUsers().create("paris-desk", PASSWORD.toCharArray(), AdminRole.HELPDESK, DeviceScope.groups(List.of(paris)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theListSearchesSubstringsOfNameSerialModelAndUserAndSortsByAnyColumnBothWays() throws Exception {
        assertThat(names(admin("GET", "/api/v1/devices?q=" + encode("HOUSE"), null))).containsExactly("Warehouse scanner");
        assertThat(names(admin("GET", "/api/v1/devices?q=fleetc", null))).as("inside the serial").containsExactly("Finance laptop, 2nd floor");
        assertThat(names(admin("GET", "/api/v1/devices?q=" + encode("phone 1") + "&sort=name", null))).as("inside the model")
                .containsExactly("Lyon phone", "Reception iPad");
        assertThat(names(admin("GET", "/api/v1/devices?q=curie", null))).as("the user's name").containsExactly("Warehouse scanner");
        assertThat(names(admin("GET", "/api/v1/devices?q=" + encode("100%_"), null))).as("LIKE wildcards are text").isEmpty();
        assertThat(names(admin("GET", "/api/v1/devices?sort=name_desc", null)))
                .containsExactly("Warehouse scanner", "Reception iPad", "Lyon phone", "Finance laptop, 2nd floor");
        assertThat(names(admin("GET", "/api/v1/devices?sort=serial", null)))
                .containsExactly("Reception iPad", "Lyon phone", "Finance laptop, 2nd floor", "Warehouse scanner");
        // A keyset page at a time in a descending order: every device once, in order.
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = json.readTree(admin("GET", "/api/v1/devices?sort=model_desc&limit=1" + (cursor == null ? "" : "&cursor=" + cursor), null).body());
            page.get("items").forEach(item -> paged.add(item.get("device").get("model").asText()));
            cursor = page.hasNonNull("nextCursor") ? page.get("nextCursor").asText() : null;
        } while (cursor != null);
        // Stored text compares by code point on both engines (PostgreSQL with the C collation operations.md asks for).
        assertThat(paged).containsExactly("iPhone 15", "iPhone 15", "ThinkPad X1", "Pixel 8");
        assertThat(json.readTree(admin("GET", "/api/v1/devices/count?platform=ios", null).body()).get("total").asLong()).isEqualTo(2);
        assertThat(json.readTree(admin("GET", "/api/v1/devices/count?q=fleet", null).body()).get("total").asLong()).isEqualTo(3);
        assertThat(admin("GET", "/api/v1/devices?sort=shoe_size", null).statusCode()).isEqualTo(400);
        assertThat(admin("GET", "/api/v1/devices?q=" + "x".repeat(101), null).statusCode()).isEqualTo(400);

        String scoped = TestServer.basic("paris-admin", PASSWORD);
        assertThat(names(send("GET", "/api/v1/devices?q=phone", scoped, null))).as("the Lyon phone is outside the scope")
                .containsExactly("Reception iPad");
        assertThat(json.readTree(send("GET", "/api/v1/devices/count", scoped, null).body()).get("total").asLong()).isEqualTo(3);
    }

    @Test
    void theExportStreamsTheViewAsCsvOrJsonWithinTheCallersScope() throws Exception {
        HttpResponse<String> csv = admin("GET", "/api/v1/devices/export?format=csv&sort=name&columns=name,serialNumber,ownership", null);
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/csv"));
        assertThat(csv.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"shepherd-devices.csv\"");
        assertThat(csv.body().split("\r\n")).containsExactly(
                "id,name,serialNumber,ownership",
                devices.get(2) + ",\"Finance laptop, 2nd floor\",PF3FLEETC3,PERSONAL",
                devices.get(3) + ",Lyon phone,LYONSECRET9,CORPORATE",
                devices.get(0) + ",Reception iPad,C02FLEETA1,CORPORATE",
                devices.get(1) + ",Warehouse scanner,R58FLEETB2,CORPORATE");

        JsonNode exported = json.readTree(admin("GET", "/api/v1/devices/export?format=json&platform=ios&sort=name", null).body());
        assertThat(exported).hasSize(2);
        assertThat(exported.get(0).get("name").asText()).isEqualTo("Lyon phone");
        assertThat(exported.get(0).get("serialNumber").asText()).isEqualTo("LYONSECRET9");
        assertThat(exported.get(1).get("platform").asText()).isEqualTo("ios");

        HttpResponse<String> scoped = send("GET", "/api/v1/devices/export?format=csv", TestServer.basic("paris-desk", PASSWORD), null);
        assertThat(scoped.statusCode()).isEqualTo(200);
        assertThat(scoped.body()).doesNotContain("LYON").contains("C02FLEETA1");
        assertThat(scoped.body().split("\r\n")).hasSize(4);
        assertThat(admin("GET", "/api/v1/devices/export?format=xlsx", null).statusCode()).isEqualTo(400);
        assertThat(admin("GET", "/api/v1/devices/export?columns=name,password", null).body()).contains("not an export column");
    }

    @Test
    void csvCellsAreQuotedAndCannotRunAsSpreadsheetFormulas() {
        assertThat(FleetResource.csvCell("plain")).isEqualTo("plain");
        assertThat(FleetResource.csvCell("a, \"b\"")).isEqualTo("\"a, \"\"b\"\"\"");
        assertThat(FleetResource.csvCell("=HYPERLINK(\"x\")")).isEqualTo("\"'=HYPERLINK(\"\"x\"\")\"");
        assertThat(FleetResource.csvCell("@cmd")).isEqualTo("'@cmd");
    }

    @Test
    void bulkActionsReportEachDeviceAndHonourPermissionsAndScope() throws Exception {
        String scoped = TestServer.basic("paris-admin", PASSWORD);
        String listed = "[\"" + devices.get(0) + "\", \"" + devices.get(3) + "\"]";
        JsonNode tagged = json.readTree(send("POST", "/api/v1/devices/bulk", scoped,
                "{\"action\": \"tag\", \"tag\": \"loaners\", \"deviceIds\": " + listed + "}").body());
        assertThat(tagged.get("done").asInt()).isEqualTo(1);
        assertThat(tagged.get("notFound").asInt()).as("the Lyon phone is answered as a device nobody has").isEqualTo(1);
        assertThat(tagged.get("devices").get(1).get("outcome").asText()).isEqualTo("not_found");
        assertThat(kernel.devices().get(devices.get(0)).orElseThrow().device().tags()).contains("loaners");
        assertThat(kernel.devices().get(devices.get(3)).orElseThrow().device().tags()).doesNotContain("loaners");

        String desk = TestServer.basic("paris-desk", PASSWORD);
        HttpResponse<String> refused = send("POST", "/api/v1/devices/bulk", desk,
                "{\"action\": \"retire\", \"deviceIds\": [\"" + devices.get(0) + "\"]}");
        assertThat(refused.statusCode()).as("help desk may not retire").isEqualTo(403);
        assertThat(send("POST", "/api/v1/devices/bulk", desk, "{\"action\": \"command\", \"command\": {\"type\": \"WIPE\"}, \"deviceIds\": [\""
                + devices.get(0) + "\"]}").statusCode()).as("nor wipe").isEqualTo(403);

        String group = kernel.groups().create(TestKernel.ADMIN, "Loaners", "", Optional.empty()).id();
        JsonNode added = json.readTree(admin("POST", "/api/v1/devices/bulk",
                "{\"action\": \"add_to_group\", \"groupId\": \"" + group + "\", \"deviceIds\": [\"" + devices.get(0) + "\", \"" + devices.get(1) + "\"]}").body());
        assertThat(added.get("done").asInt()).isEqualTo(2);
        assertThat(kernel.groups().memberIds(group)).containsExactlyInAnyOrder(devices.get(0), devices.get(1));

        JsonNode retired = json.readTree(admin("POST", "/api/v1/devices/bulk",
                "{\"action\": \"retire\", \"deviceIds\": [\"" + devices.get(2) + "\"]}").body());
        assertThat(retired.get("done").asInt()).isEqualTo(1);
        assertThat(kernel.devices().get(devices.get(2)).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        JsonNode locked = json.readTree(admin("POST", "/api/v1/devices/bulk", "{\"action\": \"command\", \"command\": {\"type\": \"LOCK\"},"
                + " \"deviceIds\": [\"" + devices.get(2) + "\", \"" + devices.get(1) + "\"]}").body());
        assertThat(locked.get("devices").get(0).get("outcome").asText()).as("a retired device takes no command").isEqualTo("refused");
        assertThat(locked.get("devices").get(0).get("detail").asText()).isNotBlank();
        assertThat(locked.get("devices").get(1).get("outcome").asText()).isEqualTo("done");

        assertThat(admin("POST", "/api/v1/devices/bulk", "{\"action\": \"explode\", \"deviceIds\": [\"" + devices.get(0) + "\"]}").statusCode()).isEqualTo(400);
        assertThat(admin("POST", "/api/v1/devices/bulk", "{\"action\": \"tag\", \"tag\": \"x\", \"deviceIds\": []}").statusCode()).isEqualTo(400);
    }

    @Test
    void savedViewsAreAnAdminsOwnUnlessSharedAndColumnsAreRemembered() throws Exception {
        String scoped = TestServer.basic("paris-admin", PASSWORD);
        HttpResponse<String> created = admin("POST", "/api/v1/device-views",
                "{\"name\": \"iPhones\", \"query\": \"?platform=ios&sort=name\", \"columns\": [\"name\", \"serialNumber\"]}");
        assertThat(created.statusCode()).isEqualTo(201);
        String id = json.readTree(created.body()).get("id").asText();
        admin("POST", "/api/v1/device-views", "{\"name\": \"Shared lab\", \"query\": \"tag=lab\", \"shared\": true}");
        assertThat(admin("POST", "/api/v1/device-views", "{\"name\": \"iPhones\", \"query\": \"\"}").statusCode()).isEqualTo(409);
        assertThat(admin("POST", "/api/v1/device-views", "{\"name\": \"Bad\", \"query\": \"\", \"columns\": [\"secret\"]}").statusCode()).isEqualTo(400);

        JsonNode mine = json.readTree(admin("GET", "/api/v1/device-views", null).body());
        assertThat(mine).hasSize(2);
        assertThat(mine.findValuesAsText("query")).as("the leading ? is dropped").contains("platform=ios&sort=name");
        JsonNode theirs = json.readTree(send("GET", "/api/v1/device-views", scoped, null).body());
        assertThat(theirs).hasSize(1);
        assertThat(theirs.get(0).get("name").asText()).isEqualTo("Shared lab");
        assertThat(send("DELETE", "/api/v1/device-views/" + theirs.get(0).get("id").asText(), scoped, null).statusCode())
                .as("another admin's shared view is not theirs to delete").isEqualTo(404);
        assertThat(admin("DELETE", "/api/v1/device-views/" + id, null).statusCode()).isEqualTo(204);

        assertThat(json.readTree(send("GET", "/api/v1/device-views/columns", scoped, null).body()).get("columns").get(0).asText()).isEqualTo("name");
        send("PUT", "/api/v1/device-views/columns", scoped, "{\"columns\": [\"serialNumber\", \"status\"]}");
        assertThat(json.readTree(send("GET", "/api/v1/device-views/columns", scoped, null).body()).get("columns").toString())
                .isEqualTo("[\"serialNumber\",\"status\"]");
        assertThat(json.readTree(admin("GET", "/api/v1/device-views/columns", null).body()).get("columns")).hasSize(8);
    }

    @Test
    void groupsTakeDevicesByPastedSerialsAndReportThoseNotFound() throws Exception {
        String group = kernel.groups().create(TestKernel.ADMIN, "Pasted", "", Optional.empty()).id();
        JsonNode result = json.readTree(admin("POST", "/api/v1/groups/" + group + "/members/by-serial",
                "{\"serialNumbers\": [\" C02FLEETA1 \", \"\", \"NOPE-123\", \"R58FLEETB2\", \"C02FLEETA1\"]}").body());
        assertThat(result.get("added").toString()).isEqualTo("[\"C02FLEETA1\",\"R58FLEETB2\"]");
        assertThat(result.get("notFound").toString()).isEqualTo("[\"NOPE-123\"]");
        assertThat(kernel.groups().memberIds(group)).containsExactlyInAnyOrder(devices.get(0), devices.get(1));

        String scopedGroup = kernel.groups().create(TestKernel.ADMIN, "Paris pasted", "", Optional.empty()).id();
        kernel.groups().addMembers(TestKernel.ADMIN, scopedGroup, List.of(devices.get(0)));
        server.server().adminUsers().create("pasting-admin", PASSWORD.toCharArray(), AdminRole.ADMIN,
                DeviceScope.groups(List.of(paris, scopedGroup)));
        JsonNode scoped = json.readTree(send("POST", "/api/v1/groups/" + scopedGroup + "/members/by-serial", TestServer.basic("pasting-admin", PASSWORD),
                "{\"serialNumbers\": [\"LYONSECRET9\", \"R58FLEETB2\"]}").body());
        assertThat(scoped.get("notFound").toString()).as("a serial outside the scope is one nobody has").isEqualTo("[\"LYONSECRET9\"]");
        assertThat(admin("POST", "/api/v1/groups/" + group + "/members/by-serial", "{\"serialNumbers\": [\" \"]}").statusCode()).isEqualTo(400);
    }

    @Test
    void theGlobalSearchFindsEachKindTheCallerMaySee() throws Exception {
        kernel.groups().create(TestKernel.ADMIN, "Fleet testers", "", Optional.empty());
        JsonNode all = json.readTree(admin("GET", "/api/v1/search?q=fleet", null).body());
        assertThat(all.get("devices")).hasSize(3);
        assertThat(all.get("devices").get(0).get("compliance").asText()).isNotBlank();
        assertThat(all.get("groups").get(0).get("name").asText()).isEqualTo("Fleet testers");
        JsonNode person = json.readTree(admin("GET", "/api/v1/search?q=marie", null).body());
        assertThat(person.get("people").get(0).get("username").asText()).isEqualTo("marie.curie");

        JsonNode scoped = json.readTree(send("GET", "/api/v1/search?q=secret", TestServer.basic("paris-desk", PASSWORD), null).body());
        assertThat(scoped.get("devices")).as("the Lyon phone is outside the scope").isEmpty();
        JsonNode scopedGroups = json.readTree(send("GET", "/api/v1/search?q=lyon", TestServer.basic("paris-desk", PASSWORD), null).body());
        assertThat(scopedGroups.get("groups")).as("so is the Lyon group").isEmpty();
        assertThat(admin("GET", "/api/v1/search?q=", null).statusCode()).isEqualTo(400);
    }

    private List<String> names(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        json.readTree(response.body()).get("items").forEach(item -> names.add(item.get("device").get("name").asText()));
        return names;
    }

    private static HttpResponse<String> admin(String method, String path, String body) {
        return send(method, path, TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD), body);
    }

    private static HttpResponse<String> send(String method, String path, String authorization, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).header("Authorization", authorization)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return server.send(request.build());
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
