package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plugin's SCIM endpoint built from its real components over in-memory storage and {@link RecordingDirectory},
 * with a token issued, and a client that sends it requests as the kernel hands them over: path below the plugin's
 * mount, query decoded as the server decodes it (percent escapes, and {@code +} as a space).
 */
final class ScimHarness {

    static final String BASE = "/scim/v2";
    static final String PUBLIC_URL = "https://mdm.example.com";

    final MemoryPluginStorage storage;
    final RecordingDirectory directory;
    final TestClock clock = new TestClock(Instant.parse("2026-03-01T09:00:00Z"));
    final BearerTokens tokens;
    final ScimEndpoint endpoint;
    final String token;

    /** An answer: status, headers and the body's JSON (null when empty). */
    record Answer(int status, Map<String, String> headers, JsonNode json) {
        String header(String name) {
            return headers.entrySet().stream().filter(entry -> entry.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
        }
    }

    ScimHarness() {
        this(Map.of());
    }

    ScimHarness(Map<String, String> settings) {
        this(settings, new MemoryPluginStorage(), new RecordingDirectory(ScimService.DEFAULT_PROVIDER_ID));
    }

    /** A harness over another one's storage and directory: the plugin as it starts again, after a restart or upgrade. */
    ScimHarness(ScimHarness before) {
        this(Map.of(), before.storage, before.directory);
    }

    private ScimHarness(Map<String, String> settings, MemoryPluginStorage storage, RecordingDirectory directory) {
        this.storage = storage;
        this.directory = directory;
        this.tokens = new BearerTokens(storage, clock);
        PluginConfig config = () -> settings;
        ScimService service = new ScimService(new ScimStore(storage), directory, clock, config);
        endpoint = new ScimEndpoint(service, tokens, () -> PUBLIC_URL, new PluginIdentity("identity-scim", "0.1.0", "/mdm/identity-scim"));
        token = tokens.issue("tests", "admin").secret();
    }

    Answer send(String method, String pathAndQuery, String body, String... headerPairs) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Authorization", List.of("Bearer " + token));
        if (body != null) {
            headers.put("Content-Type", List.of("application/scim+json"));
        }
        for (int i = 0; i < headerPairs.length; i += 2) {
            headers.put(headerPairs[i], List.of(headerPairs[i + 1]));
        }
        return sendRaw(method, pathAndQuery, body, headers);
    }

    Answer sendRaw(String method, String pathAndQuery, String body, Map<String, List<String>> headers) {
        int question = pathAndQuery.indexOf('?');
        String path = question < 0 ? pathAndQuery : pathAndQuery.substring(0, question);
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (question >= 0) {
            for (String pair : pathAndQuery.substring(question + 1).split("&")) {
                int equals = pair.indexOf('=');
                query.computeIfAbsent(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8), name -> new ArrayList<>())
                        .add(URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
        }
        DeviceRequest request = new DeviceRequest(method, BASE + path, query, headers,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), List.of(), "127.0.0.1");
        DeviceResponse response = endpoint.handle(request);
        try {
            JsonNode json = response.body().length == 0 ? null : ScimJson.MAPPER.readTree(response.body());
            if (json != null && !response.headers().get("Content-Type").equals("application/scim+json")) {
                throw new AssertionError("a SCIM answer is application/scim+json, not " + response.headers().get("Content-Type"));
            }
            return new Answer(response.status(), response.headers(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
