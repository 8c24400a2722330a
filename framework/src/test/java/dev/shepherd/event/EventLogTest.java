package dev.shepherd.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.event.Event;
import dev.shepherd.storage.Transactions;
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
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void eventsRecordedTogetherAreKeptInTheirOrderWithTheirTransactionOrNotAtAll() {
        EventLog events = server.server().kernel().events();
        Transactions transactions = server.server().kernel().transactions();
        assertThatThrownBy(() -> transactions.inTransaction("rolled back", tx -> {
            events.recordAll(tx, List.of(Event.of("test_together.lost", "test", Map.of("n", 1))));
            throw new IllegalStateException("the change failed");
        })).isInstanceOf(IllegalStateException.class);

        transactions.inTransaction("record together", tx -> {
            events.recordAll(tx, List.of(Event.of("test_together.kept", "test", Map.of("n", 1)),
                    Event.of("test_together.kept", "test", Map.of("n", 2)), Event.of("test_together.kept", "test", Map.of("n", 3))));
            return null;
        });

        assertThat(events.read(Optional.of("test_together."), 0, 100)).extracting(logged -> logged.event().type() + " " + logged.event().data().get("n"))
                .containsExactly("test_together.kept 1", "test_together.kept 2", "test_together.kept 3");
    }

    @Test
    void aTransactionsEventsAreWrittenJustBeforeItCommitsInOneBatchInTheOrderRecorded() {
        EventLog events = server.server().kernel().events();
        Transactions transactions = server.server().kernel().transactions();
        String thread = Thread.currentThread().getName();
        long insertsBefore = eventInserts(thread);

        transactions.inTransaction("several changes", tx -> {
            events.record(tx, Event.of("ordering.change", "test", Map.of("n", 1)));
            // Recorded by work that runs before the commit after the events gathered so far were written: in order still.
            tx.beforeCommit(() -> events.record(tx, Event.of("ordering.late", "test", Map.of("n", 4))));
            events.record(tx, Event.of("ordering.change", "test", Map.of("n", 2)));
            events.recordAll(tx, List.of(Event.of("ordering.change", "test", Map.of("n", 3))));
            assertThat(eventInserts(thread)).as("nothing written before the transaction's work is done").isEqualTo(insertsBefore);
            return null;
        });

        assertThat(events.read(Optional.of("ordering."), 0, 100)).extracting(logged -> logged.event().type() + " " + logged.event().data().get("n"))
                .containsExactly("ordering.change 1", "ordering.change 2", "ordering.change 3", "ordering.late 4");
        assertThat(eventInserts(thread)).as("one batch for the three, one insert for the late one").isEqualTo(insertsBefore + 2);
    }

    @Test
    void eventDataThatIsNotJsonIsRefusedToTheCallerWhenRecorded() {
        EventLog events = server.server().kernel().events();
        Transactions transactions = server.server().kernel().transactions();

        assertThatThrownBy(() -> transactions.inTransaction("record an odd event", tx -> {
            events.record(tx, Event.of("oddity.event", "test", Map.of("stream", new Object())));
            return null;
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event data must be JSON-like values");
        assertThat(events.read(Optional.of("oddity."), 0, 100)).isEmpty();
    }

    /** The event_log inserts a thread has executed (a batch counts once, as one round trip). */
    private static long eventInserts(String thread) {
        return server.storeUse().statementsBySql(thread::equals).entrySet().stream()
                .filter(entry -> entry.getKey().startsWith("INSERT INTO event_log")).mapToLong(Map.Entry::getValue).sum();
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
