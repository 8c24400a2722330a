package dev.shepherd.apple;

import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/** A running server with HTTPS on loopback and Apple plugins loaded from their plugin files, as devices need. */
public final class AppleTestServers {

    private AppleTestServers() {
    }

    /**
     * @param topic the push topic each plugin puts into its profiles
     * @param environment extra SHEPHERD_* settings
     * @param pluginFiles plugin files by plugin id, such as {@code apple-ios}
     * @return the server once every plugin serves its check-in endpoint
     */
    public static TestServer start(Path home, String topic, Map<String, String> environment, Map<String, Path> pluginFiles)
            throws IOException {
        return start(home, topic, Map.of(), environment, pluginFiles);
    }

    /**
     * @param pluginSettings further settings given to every plugin, such as {@code apnsUrl}
     */
    public static TestServer start(Path home, String topic, Map<String, String> pluginSettings, Map<String, String> environment,
                                   Map<String, Path> pluginFiles) throws IOException {
        return start(home, topic, pluginSettings, environment, pluginFiles, Clock.systemUTC());
    }

    /**
     * @param clock the clock the server and its plugins go by, such as a {@code TestClock} the test moves
     */
    public static TestServer start(Path home, String topic, Map<String, String> pluginSettings, Map<String, String> environment,
                                   Map<String, Path> pluginFiles, Clock clock) throws IOException {
        StringBuilder yaml = new StringBuilder("plugins:\n  config:\n");
        for (String id : pluginFiles.keySet()) {
            yaml.append("    ").append(id).append(":\n      topic: ").append(topic).append('\n');
            pluginSettings.forEach((key, value) -> yaml.append("      ").append(key).append(": \"").append(value).append("\"\n"));
        }
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), yaml);
        Map<String, String> env = new HashMap<>(Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"));
        env.putAll(environment);
        TestServer server = TestServer.start(home, env, clock);
        for (Map.Entry<String, Path> plugin : pluginFiles.entrySet()) {
            Files.copy(plugin.getValue(), server.pluginsDir().resolve(plugin.getKey() + ".zip"));
        }
        for (String id : pluginFiles.keySet()) {
            // Loading a plugin takes a few seconds, and several times that on a machine busy with other builds.
            await().atMost(Duration.ofSeconds(60)).until(() -> server.get("/mdm/" + id + "/checkin").statusCode() == 405);
        }
        return server;
    }
}
