package dev.shepherd.storage;

import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Plugin key/value entries in a real store (Derby or PostgreSQL), surviving a restart of the store. */
class JdbcPluginKeyValueStoreTest {

    @TempDir
    Path home;
    private Database database;
    private PluginKeyValueStore store;

    @BeforeEach
    void open() {
        database = Database.open(TestStore.config(home));
        store = new JdbcPluginKeyValueStore(database.dataSource());
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void entriesArePartitionedByPlugin() {
        store.put("alpha", "key", bytes("a"));
        store.put("beta", "key", bytes("b"));

        assertThat(store.get("alpha", "key")).hasValueSatisfying(value -> assertThat(value).isEqualTo(bytes("a")));
        assertThat(store.get("beta", "key")).hasValueSatisfying(value -> assertThat(value).isEqualTo(bytes("b")));
        assertThat(store.get("gamma", "key")).isEmpty();
    }

    @Test
    void putReplacesAndDeleteRemoves() {
        store.put("alpha", "key", bytes("1"));
        store.put("alpha", "key", bytes("2"));
        assertThat(store.get("alpha", "key")).hasValueSatisfying(value -> assertThat(value).isEqualTo(bytes("2")));

        assertThat(store.delete("alpha", "key")).isTrue();
        assertThat(store.delete("alpha", "key")).isFalse();
        assertThat(store.get("alpha", "key")).isEmpty();
    }

    @Test
    void putIfAbsentWritesOnceAndOfRacingWritersExactlyOneWins() throws Exception {
        assertThat(store.putIfAbsent("alpha", "once", bytes("first"))).isTrue();
        assertThat(store.putIfAbsent("alpha", "once", bytes("second"))).isFalse();
        assertThat(store.get("alpha", "once")).hasValueSatisfying(value -> assertThat(value).isEqualTo(bytes("first")));

        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Boolean>> outcomes = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String value = "writer-" + i;
                outcomes.add(pool.submit(() -> {
                    start.await();
                    return store.putIfAbsent("alpha", "raced", bytes(value));
                }));
            }
            start.countDown();
            int won = 0;
            for (Future<Boolean> outcome : outcomes) {
                won += outcome.get(30, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(won).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(new String(store.get("alpha", "raced").orElseThrow(), StandardCharsets.UTF_8)).startsWith("writer-");
    }

    @Test
    void keysAreListedByPrefixWithLikeWildcardsTakenLiterally() {
        store.put("alpha", "device/1", bytes("x"));
        store.put("alpha", "device/2", bytes("x"));
        store.put("alpha", "devices_total", bytes("x"));
        store.put("alpha", "other", bytes("x"));

        assertThat(store.keys("alpha", "device/")).containsExactly("device/1", "device/2");
        assertThat(store.keys("alpha", "device_")).isEmpty();
        assertThat(store.keys("alpha", "")).hasSize(4);
    }

    @Test
    void presentTellsWhichOfSeveralKeysHaveAValueInOneLookUp() {
        store.put("alpha", "marker/1", bytes("x"));
        store.put("alpha", "marker/3", new byte[0]);
        store.put("beta", "marker/2", bytes("x"));

        assertThat(store.present("alpha", List.of("marker/1", "marker/2", "marker/3", "marker/1"))).containsExactlyInAnyOrder("marker/1", "marker/3");
        assertThat(store.present("alpha", List.of("marker/2"))).isEmpty();
        assertThat(store.present("alpha", List.of())).isEmpty();
    }

    @Test
    void entriesSurviveReopeningTheStore() {
        store.put("alpha", "durable", bytes("kept"));
        database.close();

        database = Database.open(TestStore.config(home));
        store = new JdbcPluginKeyValueStore(database.dataSource());

        assertThat(store.get("alpha", "durable")).hasValueSatisfying(value -> assertThat(value).isEqualTo(bytes("kept")));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
