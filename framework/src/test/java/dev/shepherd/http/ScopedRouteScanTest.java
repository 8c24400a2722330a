package dev.shepherd.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.command.CommandBatch;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandTargets;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.enrollment.EnrollmentToken;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.group.Group;
import dev.shepherd.group.GroupRule;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Scoped role grants hold on every admin route, enumerated from the live route table so that a new route cannot be
 * forgotten: an admin whose role (every permission) is granted over the Paris groups is sent, on each route, requests
 * naming a Lyon device, its command, a fan-out and an enrollment token that reach it, and the Lyon group. No answer
 * reveals the Lyon device (its id, serial number or name appear only where the request itself named them, and then
 * the answer is the one an id nobody has gets), and nothing about it changes. The routes that reveal and change no
 * device are listed here with the reason each gives; every other route either narrows to the scope or refuses
 * scoped callers.
 */
class ScopedRouteScanTest {

    private static final String PASSWORD = "scoped-grants-test-pass";
    private static final String LYON_SERIAL = "LYON-SECRET-SERIAL";
    private static final String LYON_NAME = "Lyon secret laptop";
    private static final String LYON_UDID = "SCOPE-L1";
    /** The routes that reveal and change no device, so that a scoped caller uses them as anyone does. */
    private static final Set<String> DEVICE_FREE = Set.of(
            "POST /api/v1/auth/logout", "GET /api/v1/auth/me", "POST /api/v1/auth/password",
            "GET /api/v1/auth/totp", "POST /api/v1/auth/totp", "POST /api/v1/auth/totp/confirm", "POST /api/v1/auth/totp/remove",
            "GET /api/v1/platforms", "GET /api/v1/users", "GET /api/v1/users/{id}",
            "GET /api/v1/directory-groups", "GET /api/v1/directory-groups/{id}",
            "GET /api/v1/setting-types", "GET /api/v1/policies", "GET /api/v1/policies/{id}", "GET /api/v1/policies/{id}/versions",
            "GET /api/v1/policies/{id}/versions/{version}", "GET /api/v1/policies/{id}/diff",
            "GET /api/v1/policies/{id}/assignments",
            "GET /api/v1/apps", "GET /api/v1/apps/{id}", "GET /api/v1/apps/{id}/versions", "GET /api/v1/apps/{id}/assignments",
            "GET /api/v1/app-stores",
            "GET /api/v1/compliance/rules", "GET /api/v1/compliance/rules/{id}", "GET /api/v1/threats/connectors",
            "GET /api/v1/plugins", "GET /api/v1/plugins/{id}",
            "GET /api/v1/admins", "GET /api/v1/api-tokens", "DELETE /api/v1/api-tokens/{id}",
            "GET /api/v1/roles", "POST /api/v1/roles", "DELETE /api/v1/roles/{id}",
            "GET /api/v1/device-views", "POST /api/v1/device-views", "DELETE /api/v1/device-views/{id}",
            "GET /api/v1/device-views/columns", "PUT /api/v1/device-views/columns",
            "GET /api/v1/setup", "GET /api/v1/setup/enrollment", "POST /api/v1/setup/dismiss", "PUT /api/v1/setup/windows-domain");

    @TempDir
    static Path home;
    private static TestServer server;
    private static Kernel kernel;
    private static String paris;
    private static String parisSmart;
    private static String lyon;
    private static DeviceId parisPhone;
    private static DeviceId parisTagged;
    private static DeviceId lyonLaptop;
    private static String lyonCommand;
    private static String lyonBatch;
    private static String lyonToken;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home);
        kernel = server.server().kernel();
        List<DeviceId> devices = kernel.devices().importDevices(TestKernel.ADMIN, List.of(
                new DeviceImport(Platform.IOS, "PARIS-1", "iPhone", "Paris phone", Ownership.CORPORATE, Map.of("udid", "SCOPE-P1"), Set.of()),
                new DeviceImport(Platform.IOS, "PARIS-2", "iPhone", "Paris tagged", Ownership.CORPORATE, Map.of("udid", "SCOPE-P2"), Set.of("paris")),
                new DeviceImport(Platform.IOS, LYON_SERIAL, "iPhone", LYON_NAME, Ownership.CORPORATE, Map.of("udid", LYON_UDID), Set.of())));
        parisPhone = devices.get(0);
        parisTagged = devices.get(1);
        lyonLaptop = devices.get(2);
        paris = kernel.groups().create(TestKernel.ADMIN, "Paris", "", Optional.empty()).id();
        parisSmart = kernel.groups().create(TestKernel.ADMIN, "Paris by tag", "",
                Optional.of(new GroupRule.Condition("tag", GroupRule.Operator.HAS, List.of("paris")))).id();
        lyon = kernel.groups().create(TestKernel.ADMIN, "Lyon", "", Optional.empty()).id();
        kernel.groups().addMembers(TestKernel.ADMIN, paris, List.of(parisPhone));
        kernel.groups().addMembers(TestKernel.ADMIN, lyon, List.of(lyonLaptop));
        lyonCommand = kernel.commands().issue(TestKernel.ADMIN, lyonLaptop, new CommandRequest(CommandType.LOCK, Map.of(), 0, Optional.empty()))
                .command().id().toString();
        lyonBatch = kernel.commands().issueToMany(TestKernel.ADMIN, new CommandTargets.Matching(DeviceFilter.builder().groupId(lyon).build()),
                new CommandRequest(CommandType.REFRESH_INVENTORY, Map.of(), 0, Optional.empty()), "group Lyon").id();
        // The fan-out's rows are written in the background: the scan starts once the Lyon device has its command.
        await().atMost(Duration.ofSeconds(20)).until(() -> kernel.commands().batch(lyonBatch).map(batch -> batch.materialized() == batch.total()).orElse(false));
        lyonToken = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("Lyon desks", Ownership.CORPORATE,
                Optional.empty(), Optional.of(lyon), Optional.empty(), OptionalInt.empty(), Instant.now().plus(1, ChronoUnit.DAYS))).token().id();
        DeviceScope parisScope = DeviceScope.groups(List.of(paris, parisSmart));
        server.server().adminUsers().create("paris-admin", PASSWORD.toCharArray(), AdminRole.ADMIN, parisScope);
        server.server().adminUsers().create("paris-desk", PASSWORD.toCharArray(), AdminRole.HELPDESK, parisScope);
        server.server().adminUsers().create("token-desk", PASSWORD.toCharArray(), AdminRole.HELPDESK, parisScope);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void noAdminRouteRevealsOrChangesADeviceOutsideTheScope() throws Exception {
        Snapshot before = snapshot();
        String scoped = TestServer.basic("paris-admin", PASSWORD);
        Map<String, String> absent = new LinkedHashMap<>();
        absent.put(lyonLaptop.toString(), UUID.randomUUID().toString());
        absent.put(lyonCommand, UUID.randomUUID().toString());
        absent.put(lyonBatch, UUID.randomUUID().toString());
        absent.put(lyonToken, UUID.randomUUID().toString());
        absent.put(LYON_SERIAL, "ABSENT-SERIAL");
        absent.put(LYON_UDID, "ABSENT-UDID");
        List<String> secrets = List.of(lyonLaptop.toString(), LYON_SERIAL, LYON_NAME, LYON_UDID, lyonCommand, lyonBatch, lyonToken);

        Map<String, String> outcomes = new TreeMap<>();
        int requests = 0;
        for (AdminRoute route : server.server().adminRoutes()) {
            if (route.isPublic()) {
                continue;
            }
            String key = route.method() + " " + route.template();
            for (Probe probe : probes(route)) {
                HttpResponse<String> out = send(probe.method(), probe.path(), scoped, probe.body());
                HttpResponse<String> none = send(probe.method(), replaceAll(probe.path(), absent), scoped, replaceAll(probe.body(), absent));
                requests++;
                String request = probe.path() + " " + probe.body();
                assertThat(out.statusCode()).as("%s answers the out-of-scope device as it answers an id nobody has: %s", probe, out.body())
                        .isEqualTo(none.statusCode());
                assertThat(out.statusCode()).as("%s: %s", probe, out.body()).isLessThan(500);
                for (String secret : secrets) {
                    if (!out.body().contains(secret)) {
                        continue;
                    }
                    assertThat(request).as("%s reveals %s, which the request did not name: %s", probe, secret, out.body()).contains(secret);
                    assertThat(out.statusCode()).as("%s succeeds on %s: %s", probe, secret, out.body()).isGreaterThanOrEqualTo(400);
                    assertThat(replaceAll(out.body(), absent)).as("%s echoes %s only as it echoes an absent id", probe, secret)
                            .isEqualTo(none.body());
                }
                outcomes.merge(key, Integer.toString(out.statusCode()), (a, b) -> a + "," + b);
            }
            switch (route.scoping().kind()) {
                case FLEET_ONLY -> assertThat(outcomes.get(key)).as("%s acts on the whole fleet", key).matches("403(,403)*");
                case DEVICE_FREE -> assertThat(DEVICE_FREE).as("%s says it is device-free: %s", key, route.scoping().reason()).contains(key);
                case ENFORCED -> assertThat(DEVICE_FREE).as(key).doesNotContain(key);
            }
        }

        assertThat(requests).isGreaterThan(100);
        assertThat(server.server().adminRoutes().stream().filter(route -> route.scoping().kind() == AdminRoute.Scoping.Kind.DEVICE_FREE)
                .map(route -> route.method() + " " + route.template()).collect(Collectors.toSet()))
                .as("the device-free routes are exactly those listed here, each with its reason").isEqualTo(DEVICE_FREE);
        assertThat(outcomes.get("GET /api/v1/devices/{id}")).isEqualTo("404");
        assertThat(outcomes.get("POST /api/v1/devices/{id}/wipe")).isEqualTo("404");
        assertThat(outcomes.get("GET /api/v1/groups/{id}")).as("a group outside the scope is refused").isEqualTo("403");
        assertThat(outcomes.get("PUT /api/v1/policies/{id}/assignments/{groupId}")).isEqualTo("403");
        assertThat(outcomes.get("POST /api/v1/command-batches")).isEqualTo("404,403,201");
        assertThat(snapshot()).as("nothing about the Lyon device changed").isEqualTo(before);
    }

    @Test
    void aScopedAdminListsOnlyTheCurrentMembersOfTheirGroupsSmartGroupsIncluded() throws Exception {
        String desk = TestServer.basic("paris-desk", PASSWORD);

        assertThat(deviceIds(send("GET", "/api/v1/devices", desk, null))).containsExactlyInAnyOrder(parisPhone.toString(), parisTagged.toString());
        assertThat(send("GET", "/api/v1/devices/" + parisPhone, desk, null).statusCode()).isEqualTo(200);
        HttpResponse<String> outside = send("GET", "/api/v1/devices/" + lyonLaptop, desk, null);
        assertThat(outside.statusCode()).isEqualTo(404);
        assertThat(outside.headers().firstValue("Content-Type")).hasValue("application/problem+json");

        kernel.devices().update(TestKernel.ADMIN, parisTagged, new DeviceChanges(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(Set.of()), Optional.empty()), OptionalLong.empty());
        assertThat(deviceIds(send("GET", "/api/v1/devices", desk, null))).as("untagged, it left the smart group and the scope")
                .containsExactly(parisPhone.toString());
        assertThat(send("GET", "/api/v1/devices/" + parisTagged, desk, null).statusCode()).isEqualTo(404);

        kernel.devices().update(TestKernel.ADMIN, parisTagged, new DeviceChanges(Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(Set.of("paris")), Optional.empty()), OptionalLong.empty());
        assertThat(deviceIds(send("GET", "/api/v1/devices", desk, null))).containsExactlyInAnyOrder(parisPhone.toString(), parisTagged.toString());
        JsonNode summary = json.readTree(send("GET", "/api/v1/devices/summary", desk, null).body());
        assertThat(summary.path("devicesByPlatform").toString()).as("the dashboard counts the scope's devices").isEqualTo("{\"ios\":2}");
        assertThat(json.readTree(send("GET", "/api/v1/groups", desk, null).body()).findValuesAsText("name"))
                .containsExactlyInAnyOrder("Paris", "Paris by tag");
        assertThat(json.readTree(send("GET", "/api/v1/auth/me", desk, null).body()).path("scope").toString())
                .isEqualTo(json.writeValueAsString(DeviceScope.groups(List.of(paris, parisSmart)).json()));
    }

    @Test
    void aFanOutReachesOnlyTheScopeAndOneNamingAGroupOutsideItIsRefused() throws Exception {
        String desk = TestServer.basic("paris-desk", PASSWORD);

        HttpResponse<String> everyone = send("POST", "/api/v1/command-batches", desk, "{\"type\":\"LOCK\",\"target\":{\"query\":{\"platform\":\"ios\"}}}");
        assertThat(everyone.statusCode()).as(everyone.body()).isEqualTo(201);
        assertThat(json.readTree(everyone.body()).path("total").asInt()).as("the fleet's iPhones, within the scope").isEqualTo(2);

        HttpResponse<String> lyonGroup = send("POST", "/api/v1/command-batches", desk, "{\"type\":\"LOCK\",\"target\":{\"groupId\":\"" + lyon + "\"}}");
        assertThat(lyonGroup.statusCode()).isEqualTo(403);
        assertThat(lyonGroup.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json.readTree(lyonGroup.body()).path("type").asText()).endsWith("out-of-scope");

        HttpResponse<String> listed = send("POST", "/api/v1/command-batches", desk,
                "{\"type\":\"LOCK\",\"target\":{\"deviceIds\":[\"" + parisPhone + "\",\"" + lyonLaptop + "\"]}}");
        assertThat(listed.statusCode()).as("a list naming a device outside the scope is refused whole").isEqualTo(404);

        HttpResponse<String> own = send("GET", "/api/v1/command-batches", desk, null);
        assertThat(json.readTree(own.body()).findValuesAsText("id")).as("a scoped admin follows their own fan-outs only")
                .containsExactly(json.readTree(everyone.body()).path("id").asText());
    }

    @Test
    void anApiTokenNeverReachesBeyondItsCreatorsScopeNowOrLater() throws Exception {
        String desk = TestServer.basic("token-desk", PASSWORD);

        HttpResponse<String> wider = send("POST", "/api/v1/api-tokens", desk, "{\"name\":\"fleet\",\"scope\":[]}");
        assertThat(wider.statusCode()).as(wider.body()).isEqualTo(403);
        HttpResponse<String> lyonScope = send("POST", "/api/v1/api-tokens", desk, "{\"name\":\"lyon\",\"scope\":[\"" + lyon + "\"]}");
        assertThat(lyonScope.statusCode()).isEqualTo(403);

        HttpResponse<String> created = send("POST", "/api/v1/api-tokens", desk, "{\"name\":\"script\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode token = json.readTree(created.body());
        assertThat(token.path("token").path("scope").size()).as("the creator's scope by default").isEqualTo(2);
        String bearer = "Bearer " + token.path("secret").asText();
        assertThat(deviceIds(send("GET", "/api/v1/devices", bearer, null))).containsExactlyInAnyOrder(parisPhone.toString(), parisTagged.toString());
        assertThat(send("GET", "/api/v1/devices/" + lyonLaptop, bearer, null).statusCode()).isEqualTo(404);

        HttpResponse<String> narrowed = server.sendAsAdmin("PATCH", "/api/v1/admins/token-desk", "{\"scope\":[\"" + paris + "\"]}");
        assertThat(narrowed.statusCode()).as(narrowed.body()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/devices", bearer, null).statusCode())
                .as("the token's scope is wider than its owner's now, so it stops working").isEqualTo(401);
        assertThat(deviceIds(send("GET", "/api/v1/devices", desk, null))).as("the owner's narrower scope holds at once")
                .containsExactly(parisPhone.toString());
    }

    @Test
    void scopesAreGrantedOnlyWithinOnesOwnAndNeverLockTheFleetOut() throws Exception {
        assertThat(server.sendAsAdmin("POST", "/api/v1/admins", "{\"username\":\"lyon-desk\",\"password\":\"" + PASSWORD
                + "\",\"role\":\"HELPDESK\",\"scope\":[\"" + lyon + "\"]}").statusCode()).isEqualTo(201);
        HttpResponse<String> unknown = server.sendAsAdmin("PATCH", "/api/v1/admins/lyon-desk", "{\"scope\":[\"" + UUID.randomUUID() + "\"]}");
        assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(400);
        HttpResponse<String> self = server.sendAsAdmin("PATCH", "/api/v1/admins/admin", "{\"scope\":[\"" + paris + "\"]}");
        assertThat(self.statusCode()).as("narrowing oneself could leave nobody over the fleet").isEqualTo(409);

        String scoped = TestServer.basic("paris-admin", PASSWORD);
        assertThat(send("PATCH", "/api/v1/admins/lyon-desk", scoped, "{\"role\":\"AUDITOR\"}").statusCode())
                .as("an account reaching devices outside one's scope").isEqualTo(403);
        assertThat(send("POST", "/api/v1/admins/lyon-desk/password", scoped, "{\"newPassword\":\"another-long-password-1\"}").statusCode())
                .as("taking such an account over").isEqualTo(403);
        HttpResponse<String> created = send("POST", "/api/v1/admins", scoped, "{\"username\":\"paris-new\",\"password\":\"" + PASSWORD
                + "\",\"role\":\"HELPDESK\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(json.readTree(created.body()).path("scope").size()).as("the creator's scope by default").isEqualTo(2);
        assertThat(send("PATCH", "/api/v1/admins/paris-new", scoped, "{\"scope\":[]}").statusCode()).as("the whole fleet").isEqualTo(403);
        assertThat(send("PATCH", "/api/v1/admins/paris-new", scoped, "{\"scope\":[\"" + paris + "\"]}").statusCode()).isEqualTo(200);

        HttpResponse<String> role = server.sendAsAdmin("POST", "/api/v1/roles", "{\"name\":\"Lyon reader\",\"permissions\":[\"DEVICE_READ\"]}");
        String roleId = json.readTree(role.body()).path("id").asText();
        assertThat(server.sendAsAdmin("PATCH", "/api/v1/admins/lyon-desk", "{\"role\":\"" + roleId + "\"}").statusCode()).isEqualTo(200);
        assertThat(send("PUT", "/api/v1/roles/" + roleId, scoped, "{\"name\":\"Lyon reader\",\"permissions\":[\"DEVICE_READ\",\"DEVICE_ACTION\"]}")
                .statusCode()).as("a role held by an account reaching devices outside one's scope").isEqualTo(403);

        JsonNode audit = json.readTree(server.getAsAdmin("/api/v1/audit?action=admin.update&targetId=paris-new").body());
        assertThat(audit.toString()).as("the grant's change is audited with the scope before and after").contains(paris).contains("admin.update");
    }

    /** One request of the scan. */
    private record Probe(String method, String path, String body) {
        @Override
        public String toString() {
            return method + " " + path + (body.isEmpty() ? "" : " " + body);
        }
    }

    /** The requests each route gets: its parameters name what lies outside the scope, and its body targets it. */
    private List<Probe> probes(AdminRoute route) {
        String template = route.template();
        String id = template.startsWith("/api/v1/groups/") ? lyon
                : template.startsWith("/api/v1/commands/") ? lyonCommand
                : template.startsWith("/api/v1/command-batches/") ? lyonBatch
                : template.startsWith("/api/v1/enrollment-tokens/") ? lyonToken
                : lyonLaptop.toString();
        String path = template.replace("/**", "/devices/" + lyonLaptop).replace("{id}", id).replace("{groupId}", lyon)
                .replace("{username}", "admin").replace("{storeId}", "x").replace("{file}", "x.zip").replace("{version}", "1");
        if (route.method().equals("GET")) {
            path += "?group=" + lyon + "&name=" + URLEncoder.encode("Lyon secret", StandardCharsets.UTF_8);
        }
        List<Probe> probes = new ArrayList<>();
        String key = route.method() + " " + template;
        switch (key) {
            case "POST /api/v1/command-batches" -> {
                probes.add(new Probe("POST", path, "{\"type\":\"LOCK\",\"target\":{\"deviceIds\":[\"" + lyonLaptop + "\"]}}"));
                probes.add(new Probe("POST", path, "{\"type\":\"LOCK\",\"target\":{\"groupId\":\"" + lyon + "\"}}"));
                probes.add(new Probe("POST", path, "{\"type\":\"LOCK\",\"target\":{\"query\":{\"group\":\"" + lyon + "\"}}}"));
            }
            case "POST /api/v1/groups/{id}/members" -> {
                probes.add(new Probe("POST", path, "{\"remove\":[\"" + lyonLaptop + "\"]}"));
                probes.add(new Probe("POST", "/api/v1/groups/" + paris + "/members", "{\"add\":[\"" + lyonLaptop + "\"]}"));
            }
            case "GET /api/v1/access" -> {
                probes.add(new Probe("GET", "/api/v1/access?deviceId=" + lyonLaptop, ""));
                probes.add(new Probe("GET", "/api/v1/access?platform=ios&kind=udid&value=" + LYON_UDID, ""));
            }
            case "POST /api/v1/devices/{id}/commands" -> probes.add(new Probe("POST", path, "{\"type\":\"LOCK\"}"));
            case "PATCH /api/v1/devices/{id}" -> probes.add(new Probe("PATCH", path, "{\"name\":\"Taken over\",\"tags\":[\"paris\"]}"));
            case "POST /api/v1/enrollment-tokens" -> probes.add(new Probe("POST", path,
                    "{\"name\":\"t\",\"ownership\":\"CORPORATE\",\"groupId\":\"" + lyon + "\",\"validForHours\":1}"));
            case "PATCH /api/v1/admins/{username}" -> probes.add(new Probe("PATCH", path, "{\"scope\":[]}"));
            case "POST /api/v1/api-tokens" -> probes.add(new Probe("POST", path, "{\"name\":\"t\",\"scope\":[\"" + lyon + "\"]}"));
            case "POST /api/v1/admins" -> probes.add(new Probe("POST", path, "{\"username\":\"lyon-taker\",\"password\":\"" + PASSWORD
                    + "\",\"role\":\"ADMIN\",\"scope\":[\"" + lyon + "\"]}"));
            default -> probes.add(new Probe(route.method(), path, route.requestBody().isPresent() ? "{\"reason\":\"scan\"}" : ""));
        }
        return probes;
    }

    /** What the scan must leave as it was: the Lyon device, its groups, command, fan-out and enrollment token. */
    private record Snapshot(DeviceRecord device, List<String> groups, List<CommandRecord> commands, Optional<String> batchState,
                            Optional<EnrollmentToken> token, long lyonMembers, long parisMembers) {
    }

    private static Snapshot snapshot() {
        return new Snapshot(kernel.devices().get(lyonLaptop).orElseThrow(),
                kernel.groups().groupsOf(lyonLaptop).stream().map(Group::id).sorted().toList(),
                kernel.commands().history(lyonLaptop, Optional.empty(), 500),
                kernel.commands().batch(lyonBatch).map(CommandBatch::state),
                kernel.enrollmentTokens().find(lyonToken),
                kernel.groups().get(lyon).orElseThrow().members(),
                kernel.groups().get(paris).orElseThrow().members());
    }

    private List<String> deviceIds(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        json.readTree(response.body()).path("items").forEach(item -> ids.add(item.path("device").path("id").asText()));
        return ids;
    }

    private static String replaceAll(String text, Map<String, String> replacements) {
        String result = text;
        for (Map.Entry<String, String> replacement : replacements.entrySet()) {
            result = result.replace(replacement.getKey(), replacement.getValue());
        }
        return result;
    }

    private static HttpResponse<String> send(String method, String path, String authorization, String body) {
        boolean hasBody = body != null && !body.isEmpty();
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).header("Authorization", authorization)
                .method(method, hasBody ? HttpRequest.BodyPublishers.ofString(body) : HttpRequest.BodyPublishers.noBody());
        if (hasBody) {
            request.header("Content-Type", "application/json");
        }
        return server.send(request.build());
    }
}
