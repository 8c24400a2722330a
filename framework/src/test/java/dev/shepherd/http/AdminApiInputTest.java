package dev.shepherd.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input through real HTTP: every refusal is a 4xx problem+json with a precise detail, nothing is partly written,
 * unknown ids are 404 (never 500); sessions need their CSRF token; policies need If-Match.
 */
class AdminApiInputTest {

    @TempDir
    static Path home;
    private static TestServer server;
    private static final String ADMIN = TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() {
        server = TestServer.start(home);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void malformedJsonIsRefused() throws IOException {
        assertProblem(send("POST", "/api/v1/groups", "{\"name\": \"Broken\", ", ADMIN), 400, "not valid JSON");
        assertProblem(send("POST", "/api/v1/groups", "", ADMIN), 400, "a JSON body is required");
        assertProblem(send("POST", "/api/v1/groups", "[1, 2]", ADMIN), 400, "");
        assertThat(server.server().kernel().groups().list()).extracting(group -> group.name()).doesNotContain("Broken");
    }

    @Test
    void wrongTypesAndMissingFieldsAreRefusedWithTheField() throws IOException {
        assertProblem(send("PUT", "/api/v1/policies/x/assignments/y", "{\"priority\": \"high\"}", ADMIN), 400, "priority");
        assertProblem(send("POST", "/api/v1/enrollment-tokens", "{\"ownership\": \"CORPORATE\", \"validForHours\": 1}", ADMIN), 400, "name is required");
        assertProblem(send("POST", "/api/v1/enrollment-tokens", "{\"name\": \"x\", \"ownership\": \"RENTED\", \"validForHours\": 1}", ADMIN),
                400, "ownership");
    }

    @Test
    void unknownFieldsAreRefusedAndNothingIsWritten() throws IOException {
        long auditBefore = auditCount();
        assertProblem(send("POST", "/api/v1/groups", "{\"name\": \"Sneaky\", \"owner\": \"me\"}", ADMIN), 400, "unknown field 'owner'");
        assertThat(server.server().kernel().groups().list()).extracting(group -> group.name()).doesNotContain("Sneaky");
        assertThat(auditCount()).isEqualTo(auditBefore);
    }

    @Test
    void invalidSettingsAreRefusedWithEveryProblemAndNoPolicyIsCreated() throws IOException {
        HttpResponse<String> response = send("POST", "/api/v1/policies", """
                {"name": "Half", "settings": [
                  {"type": "passcode", "value": {"minLength": 6}},
                  {"type": "wifi", "value": {"ssid": "Corp"}}
                ]}""", ADMIN);

        JsonNode problem = assertProblem(response, 400, "do not validate");
        assertThat(problem.path("errors").toString()).contains("settings[1] (wifi)").contains("security");
        assertThat(server.server().kernel().policies().list()).isEmpty();
    }

    @Test
    void oversizedBodiesAreRefused() throws IOException {
        // Over a raw socket: the server refuses on the declared length and closes, which races a client still
        // uploading (a broken pipe instead of the answer). Announcing 11 MiB and sending none shows the refusal alone.
        try (Socket socket = new Socket("127.0.0.1", server.uri("/").getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /api/v1/groups HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + ADMIN
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + 11 * 1024 * 1024 + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String statusLine = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            assertThat(statusLine).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void invalidCursorsAndParametersAreRefused() throws IOException {
        assertProblem(send("GET", "/api/v1/devices?cursor=not-a-cursor", null, ADMIN), 400, "cursor");
        assertProblem(send("GET", "/api/v1/devices?limit=0", null, ADMIN), 400, "limit");
        assertProblem(send("GET", "/api/v1/devices?status=sleeping", null, ADMIN), 400, "status");
        assertProblem(send("GET", "/api/v1/audit?cursor=-5", null, ADMIN), 400, "cursor");
        assertProblem(send("GET", "/api/v1/audit?order=random", null, ADMIN), 400, "order is oldest or newest");
        assertProblem(send("GET", "/api/v1/audit?from=yesterday", null, ADMIN), 400, "from");
    }

    @Test
    void unknownIdsAreNotFound() throws IOException {
        for (String path : List.of("/api/v1/devices/00000000-0000-0000-0000-000000000000", "/api/v1/devices/not-a-uuid",
                "/api/v1/groups/nope", "/api/v1/policies/nope", "/api/v1/commands/00000000-0000-0000-0000-000000000000",
                "/api/v1/enrollment-tokens/nope", "/api/v1/webhooks/nope", "/api/v1/compliance/rules/nope", "/api/v1/users/nope",
                "/api/v1/plugins/nope", "/api/v1/command-batches/nope")) {
            assertProblem(send("GET", path, null, ADMIN), 404, "");
        }
        assertProblem(send("DELETE", "/api/v1/groups/nope", null, ADMIN), 404, "");
        assertProblem(send("POST", "/api/v1/devices/00000000-0000-0000-0000-000000000000/retire", null, ADMIN), 404, "");
    }

    @Test
    void policyEditsNeedTheCurrentETag() throws IOException {
        HttpResponse<String> created = send("POST", "/api/v1/policies", """
                {"name": "Guarded", "settings": [{"type": "passcode", "value": {"minLength": 6}}]}""", ADMIN);
        assertThat(created.statusCode()).isEqualTo(201);
        String id = json.readTree(created.body()).path("id").asText();
        assertThat(created.headers().firstValue("ETag")).hasValue("\"1\"");
        String body = "{\"name\": \"Guarded\", \"settings\": [{\"type\": \"passcode\", \"value\": {\"minLength\": 8}}]}";

        assertProblem(send("PUT", "/api/v1/policies/" + id, body, ADMIN), 428, "If-Match");
        HttpResponse<String> updated = server.send(request("PUT", "/api/v1/policies/" + id, body, ADMIN).header("If-Match", "\"1\"").build());
        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(updated.headers().firstValue("ETag")).hasValue("\"2\"");
        HttpResponse<String> stale = server.send(request("PUT", "/api/v1/policies/" + id, body, ADMIN).header("If-Match", "\"1\"").build());
        assertProblem(stale, 412, "version 2");

        // Its versions: one read-only, a diff between two with the form's labels, and a rollback guarded like an edit.
        String versions = "/api/v1/policies/" + id + "/versions/";
        assertThat(json.readTree(send("GET", versions + "1", null, ADMIN).body()).at("/settings/0/value/minLength").asInt()).isEqualTo(6);
        assertProblem(send("GET", versions + "9", null, ADMIN), 404, "no version 9");
        assertProblem(send("GET", versions + "first", null, ADMIN), 400, "version number");
        JsonNode diff = json.readTree(send("GET", "/api/v1/policies/" + id + "/diff?from=1", null, ADMIN).body());
        assertThat(diff.path("to").asLong()).as("the current version by default").isEqualTo(2);
        assertThat(diff.at("/settings/0/fields/0/label").asText()).isEqualTo("Minimum length");
        assertThat(diff.at("/settings/0/fields/0/after").asInt()).isEqualTo(8);
        assertProblem(send("GET", "/api/v1/policies/" + id + "/diff", null, ADMIN), 400, "?from=");
        assertProblem(send("GET", "/api/v1/policies/" + id + "/diff?from=1&to=7", null, ADMIN), 404, "no version 7");
        assertProblem(send("POST", versions + "1/rollback", null, ADMIN), 428, "If-Match");
        assertProblem(server.send(request("POST", versions + "1/rollback", null, ADMIN).header("If-Match", "\"1\"").build()), 412, "version 2");
        HttpResponse<String> rolledBack = server.send(request("POST", versions + "1/rollback", null, ADMIN).header("If-Match", "\"2\"").build());
        assertThat(rolledBack.statusCode()).as(rolledBack.body()).isEqualTo(200);
        assertThat(rolledBack.headers().firstValue("ETag")).hasValue("\"3\"");
        assertThat(json.readTree(rolledBack.body()).at("/settings/0/value/minLength").asInt()).isEqualTo(6);
        // The server is shared with the other tests here, which expect no policy.
        assertThat(server.send(request("DELETE", "/api/v1/policies/" + id, null, ADMIN).build()).statusCode()).isEqualTo(204);
    }

    @Test
    void reportsAnswerForTheWholeFleetAndRefuseAPeriodOutOfBounds() throws IOException {
        JsonNode fleet = json.readTree(send("GET", "/api/v1/reports/fleet?days=7", null, ADMIN).body());
        assertThat(fleet.get(fleet.size() - 1).path("live").asBoolean()).as("today, counted now").isTrue();
        assertThat(send("GET", "/api/v1/reports/compliance-rules", null, ADMIN).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/reports/command-success", null, ADMIN).statusCode()).isEqualTo(200);
        assertProblem(send("GET", "/api/v1/reports/fleet?days=0", null, ADMIN), 400, "days");
        assertProblem(send("GET", "/api/v1/reports/command-success?days=1000", null, ADMIN), 400, "days");
    }

    @Test
    void aComplianceRuleChangedMeanwhileIsAConflictNotAServerError() throws IOException {
        HttpResponse<String> created = send("POST", "/api/v1/compliance/rules",
                "{\"name\": \"Guarded rule\", \"check\": \"STORAGE_ENCRYPTED\"}", ADMIN);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = json.readTree(created.body()).path("id").asText();
        String change = "{\"name\": \"Guarded rule\", \"check\": \"STORAGE_ENCRYPTED\", \"graceHours\": 12}";

        HttpResponse<String> updated = server.send(request("PUT", "/api/v1/compliance/rules/" + id, change, ADMIN).header("If-Match", "\"1\"").build());
        assertThat(updated.statusCode()).as(updated.body()).isEqualTo(200);
        assertThat(json.readTree(updated.body()).path("graceHours").asInt()).isEqualTo(12);
        assertProblem(server.send(request("PUT", "/api/v1/compliance/rules/" + id, change, ADMIN).header("If-Match", "\"1\"").build()),
                409, "reload it");
        assertProblem(server.send(request("PATCH", "/api/v1/compliance/rules/" + id, "{\"enabled\": false}", ADMIN).header("If-Match", "\"1\"")
                .build()), 409, "reload it");
        assertProblem(send("PUT", "/api/v1/compliance/rules/no-such-rule", change, ADMIN), 404, "no-such-rule");
    }

    @Test
    void sessionsNeedTheirCsrfTokenForChangesAndEndOnLogout() throws IOException {
        HttpResponse<String> login = send("POST", "/api/v1/auth/login",
                "{\"username\": \"" + TestServer.ADMIN + "\", \"password\": \"" + TestServer.ADMIN_PASSWORD + "\"}", null);
        assertThat(login.statusCode()).isEqualTo(200);
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
        String session = cookie.substring(0, cookie.indexOf(';'));
        String csrf = json.readTree(login.body()).path("csrfToken").asText();

        assertThat(server.send(request("GET", "/api/v1/auth/me", null, null).header("Cookie", session).build()).statusCode()).isEqualTo(200);
        assertProblem(server.send(request("POST", "/api/v1/groups", "{\"name\": \"Via session\"}", null).header("Cookie", session).build()),
                403, "X-CSRF-Token");
        assertThat(server.send(request("POST", "/api/v1/groups", "{\"name\": \"Via session\"}", null).header("Cookie", session)
                .header("X-CSRF-Token", csrf).build()).statusCode()).isEqualTo(201);

        assertThat(server.send(request("POST", "/api/v1/auth/logout", null, null).header("Cookie", session)
                .header("X-CSRF-Token", csrf).build()).statusCode()).isEqualTo(204);
        assertThat(server.send(request("GET", "/api/v1/auth/me", null, null).header("Cookie", session).build()).statusCode()).isEqualTo(401);
    }

    @Test
    void apiTokensAreShownOnceScopedAndRevocable() throws IOException {
        HttpResponse<String> created = send("POST", "/api/v1/api-tokens", "{\"name\": \"reader\", \"role\": \"AUDITOR\", \"validForDays\": 1}", ADMIN);
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode token = json.readTree(created.body());
        String bearer = "Bearer " + token.path("secret").asText();

        assertThat(send("GET", "/api/v1/audit", null, bearer).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/api/v1/groups", "{\"name\": \"Nope\"}", bearer).statusCode()).isEqualTo(403);
        assertThat(send("GET", "/api/v1/api-tokens", null, ADMIN).body()).doesNotContain(token.path("secret").asText());

        assertThat(send("DELETE", "/api/v1/api-tokens/" + token.path("token").path("id").asText(), null, ADMIN).statusCode()).isEqualTo(204);
        assertThat(send("GET", "/api/v1/audit", null, bearer).statusCode()).isEqualTo(401);
    }

    @Test
    void aTokenStopsWorkingWhileItsOwnerIsDisabledOrOnceTheOwnerIsDemotedBelowIt() throws Exception {
        server.server().adminUsers().create("scripter", "scripter-password-1".toCharArray(), AdminRole.OPERATOR);
        String owner = TestServer.basic("scripter", "scripter-password-1");
        HttpResponse<String> created = send("POST", "/api/v1/api-tokens", "{\"name\": \"nightly\", \"role\": \"OPERATOR\"}", owner);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String bearer = "Bearer " + json.readTree(created.body()).path("secret").asText();
        assertThat(send("GET", "/api/v1/groups", null, bearer).statusCode()).isEqualTo(200);

        assertThat(send("PATCH", "/api/v1/admins/scripter", "{\"disabled\": true}", ADMIN).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/groups", null, bearer).statusCode()).as("owner disabled").isEqualTo(401);
        assertThat(send("PATCH", "/api/v1/admins/scripter", "{\"disabled\": false}", ADMIN).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/groups", null, bearer).statusCode()).as("owner enabled again").isEqualTo(200);

        assertThat(send("PATCH", "/api/v1/admins/scripter", "{\"role\": \"HELPDESK\"}", ADMIN).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/groups", null, bearer).statusCode()).as("owner demoted below the token").isEqualTo(401);
        assertThat(send("PATCH", "/api/v1/admins/scripter", "{\"role\": \"ADMIN\"}", ADMIN).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/groups", null, bearer).statusCode()).as("an owner above the token").isEqualTo(200);
    }

    @Test
    void repeatedWrongPasswordsLockTheAccount() throws Exception {
        server.server().adminUsers().create("locked-out", "the-right-password".toCharArray(), AdminRole.AUDITOR);
        for (int attempt = 0; attempt < 5; attempt++) {
            assertThat(send("POST", "/api/v1/auth/login", "{\"username\": \"locked-out\", \"password\": \"wrong-password!\"}", null)
                    .statusCode()).isEqualTo(401);
        }
        HttpResponse<String> locked = send("POST", "/api/v1/auth/login", "{\"username\": \"locked-out\", \"password\": \"the-right-password\"}", null);
        assertProblem(locked, 429, "locked");
    }

    @Test
    void everyChangeIsAuditedWithItsActor() throws IOException {
        HttpResponse<String> created = send("POST", "/api/v1/groups", "{\"name\": \"Audited\"}", ADMIN);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(server.server().kernel().audit().read(new AuditFilter(Optional.of(TestServer.ADMIN), Optional.of("group"),
                Optional.empty(), Optional.of("group.create"), Optional.empty(), Optional.empty()), 0, 100)).isNotEmpty();
    }

    private JsonNode assertProblem(HttpResponse<String> response, int status, String detailContains) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = json.readTree(response.body());
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("detail").asText()).contains(detailContains).doesNotContain("Exception").doesNotContain("at dev.");
        return problem;
    }

    @Test
    void secretsInPolicySettingsAreNeverReturned() throws Exception {
        HttpResponse<String> created = send("POST", "/api/v1/policies", "{\"name\": \"Office Wi-Fi\", \"settings\": [{\"type\": \"wifi\","
                + " \"value\": {\"ssid\": \"Office\", \"security\": \"WPA2_PERSONAL\", \"password\": \"correct horse battery\"}}]}", ADMIN);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = json.readTree(created.body()).path("id").asText();
        for (String path : List.of("/api/v1/policies/" + id, "/api/v1/policies", "/api/v1/policies/" + id + "/versions")) {
            HttpResponse<String> read = send("GET", path, null, ADMIN);
            assertThat(read.body()).as(path).contains("Office").doesNotContain("correct horse battery").doesNotContain("\"password\"");
        }
        assertThat(created.body()).doesNotContain("correct horse battery");
        // The server is shared with the other tests here, which expect no policy.
        assertThat(send("DELETE", "/api/v1/policies/" + id, null, ADMIN).statusCode()).isEqualTo(204);
    }

    private static HttpResponse<String> send(String method, String path, String body, String authorization) {
        return server.send(request(method, path, body, authorization).build());
    }

    private static HttpRequest.Builder request(String method, String path, String body, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request;
    }

    private static long auditCount() {
        return server.server().kernel().audit().read(AuditFilter.ALL, 0, 10_000).size();
    }
}
