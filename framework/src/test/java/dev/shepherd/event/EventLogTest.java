package dev.shepherd.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.event.Event;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The durable event log read through GET /api/v1/events: oldest or newest first, by type prefixes, page by page. */
class EventLogTest {

    @TempDir
    static Path home;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() {
        server = TestServer.start(home);
        EventLog events = server.server().kernel().events();
        for (int index = 1; index <= 5; index++) {
            events.publish(Event.of("test.enrolled", "test", Map.of("n", index)));
            events.publish(Event.of("test.checked_in", "test", Map.of("n", index)));
            events.publish(Event.of("test_other.thing", "test", Map.of("n", index)));
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theNewestComeFirstAndPagesGoBackInTime() throws Exception {
        List<String> read = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = get("/api/v1/events?order=newest&limit=2&type=test.enrolled" + (cursor == null ? "" : "&cursor=" + cursor));
            page.path("items").forEach(item -> read.add(item.path("event").path("data").path("n").asText()));
            cursor = page.path("nextCursor").isTextual() ? page.path("nextCursor").asText() : null;
        } while (cursor != null);

        assertThat(read).containsExactly("5", "4", "3", "2", "1");
    }

    @Test
    void severalTypePrefixesAreReadTogetherAndAnUnderscoreIsNotAWildcard() throws Exception {
        JsonNode page = get("/api/v1/events?order=newest&limit=100&type=test.enrolled,test.checked");
        List<String> types = new ArrayList<>();
        page.path("items").forEach(item -> types.add(item.path("event").path("type").asText()));

        assertThat(types).hasSize(10).containsOnly("test.enrolled", "test.checked_in");
        assertThat(types.get(0)).isEqualTo("test.checked_in");
        assertThat(get("/api/v1/events?type=test_").path("items").size()).as("'_' matched literally").isEqualTo(5);
        assertThat(get("/api/v1/events?type=test.").path("items").get(0).path("event").path("data").path("n").asInt())
                .as("oldest first by default").isEqualTo(1);
    }

    @Test
    void anUnknownOrderIsRefusedInPlainWords() {
        HttpResponse<String> response = server.getAsAdmin("/api/v1/events?order=sideways");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.body()).contains("order is oldest or newest, not 'sideways'");
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> response = server.getAsAdmin(path);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }
}
