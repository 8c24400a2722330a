package dev.shepherd.plugins.threat.lookout;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatPoll;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestSecrets;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The connector's parts wired as the kernel wires them, over a {@link LocalLookout} and in-memory storage, with short
 * stream reads so tests never wait out production timings.
 */
final class LookoutTestbed implements AutoCloseable {

    final LocalLookout lookout = new LocalLookout();
    final MemoryPluginStorage storage = new MemoryPluginStorage();
    final LookoutSettings settings;
    final LookoutClient client;
    final LookoutConnector connector;
    final String applicationKey;
    private Optional<String> cursor = Optional.empty();

    LookoutTestbed(Map<String, String> config) {
        PluginConfig pluginConfig = () -> config;
        settings = new LookoutSettings(storage, TestSecrets.sealer(), pluginConfig);
        client = new LookoutClient(settings, Clock.systemUTC());
        connector = new LookoutConnector(settings, client, new DeviceStates(storage), Clock.systemUTC());
        applicationKey = lookout.issueApplicationKey();
        settings.setBaseUrl(lookout.baseUrl().toString());
        settings.setApplicationKey(applicationKey);
        lookout.heartbeatEvery(Duration.ofMillis(50));
    }

    LookoutTestbed() {
        this(Map.of("pageSize", "2", "streamReadTime", "PT3S", "streamIdleTime", "PT0.3S"));
    }

    /** Polls as the kernel does: with the cursor the previous successful poll returned. */
    ThreatPoll poll() throws ThreatDefenseException {
        ThreatPoll poll = connector.poll(cursor);
        cursor = poll.nextCursor();
        return poll;
    }

    /** Polls until the full read is done and the cursor points into the stream. */
    void pollThroughFullRead() throws ThreatDefenseException {
        for (int i = 0; i < 100; i++) {
            ThreatPoll poll = poll();
            if (cursor.orElseThrow().startsWith("STREAM")) {
                return;
            }
            if (!poll.more()) {
                throw new AssertionError("the full read ended without reaching the stream");
            }
        }
        throw new AssertionError("the full read did not end");
    }

    Optional<String> cursor() {
        return cursor;
    }

    @Override
    public void close() {
        lookout.close();
    }
}
