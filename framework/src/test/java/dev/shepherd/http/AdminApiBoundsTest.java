package dev.shepherd.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.json.Json;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JSON bodies past the parser's bounds, through real HTTP: each is a 400 problem+json that says which bound, nothing
 * is written, and the next ordinary request is served as if nothing happened.
 */
class AdminApiBoundsTest {

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
    void aDeeplyNestedBodyIsA400AndTheNextRequestIsServed() throws IOException {
        String nested = "{\"name\": \"Deep\", \"settings\": [{\"type\": \"wifi\", \"value\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}]}";

        assertProblem(send("POST", "/api/v1/policies", nested), 400, "nesting depth");
        assertProblem(send("POST", "/api/v1/policies", "{\"name\": \"Deep\", \"settings\": [{\"type\": \"wifi\", \"value\": "
                + "{\"a\": ".repeat(Json.MAX_NESTING_DEPTH) + "1" + "}".repeat(Json.MAX_NESTING_DEPTH) + "}]}"), 400, "nesting depth");

        assertThat(server.server().kernel().policies().list()).isEmpty();
        HttpResponse<String> next = send("POST", "/api/v1/groups", "{\"name\": \"Front desk\"}");
        assertThat(next.statusCode()).as(next.body()).isEqualTo(201);
    }

    @Test
    void overlongNumbersAndNamesAreRefusedBeforeTheyAreConverted() throws IOException {
        assertProblem(send("PUT", "/api/v1/policies/x/assignments/y", "{\"priority\": " + "9".repeat(10_000) + "}"), 400, "Number value length");
        assertProblem(send("POST", "/api/v1/groups", "{\"" + "n".repeat(Json.MAX_NAME_LENGTH + 1) + "\": 1}"), 400, "Name length");
    }

    private JsonNode assertProblem(HttpResponse<String> response, int status, String detailContains) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = json.readTree(response.body());
        assertThat(problem.path("detail").asText()).contains(detailContains).doesNotContain("Exception").doesNotContain("StreamReadConstraints");
        return problem;
    }

    private static HttpResponse<String> send(String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("Authorization", ADMIN).build());
    }
}
