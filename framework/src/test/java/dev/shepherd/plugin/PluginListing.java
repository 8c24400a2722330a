package dev.shepherd.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** What operators see of the plugins, read the way they read it: the admin API's plugin list and {@code /health}. */
final class PluginListing {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PluginListing() {
    }

    /** The plugin list's first entry for a plugin id (a running one comes first), or an empty object. */
    static JsonNode entry(TestServer server, String id) {
        return find(server, id, null);
    }

    /** The plugin list's entry for one file of a plugin, or an empty object. */
    static JsonNode entry(TestServer server, String id, String file) {
        return find(server, id, file);
    }

    /** {@code GET /health}, which must answer 200. */
    static JsonNode health(TestServer server) {
        HttpResponse<String> response = server.get("/health");
        assertThat(response.statusCode()).isEqualTo(200);
        return read(response.body());
    }

    private static JsonNode find(TestServer server, String id, String file) {
        HttpResponse<String> response = server.getAsAdmin("/api/v1/plugins");
        assertThat(response.statusCode()).isEqualTo(200);
        for (JsonNode item : read(response.body()).path("items")) {
            if (item.path("id").asText().equals(id) && (file == null || item.path("file").asText().equals(file))) {
                return item;
            }
        }
        return JSON.createObjectNode();
    }

    private static JsonNode read(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
