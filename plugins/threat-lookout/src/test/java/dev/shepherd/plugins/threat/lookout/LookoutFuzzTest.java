package dev.shepherd.plugins.threat.lookout;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Fuzzes what Lookout's bytes go through: the event stream's framing ({@link SseDecoder}, fed in two parts, so any
 * split of the body is tried) and Lookout's resources and events (bounded JSON, then the mapping to threats and
 * assessments). Whatever the bytes, the outcome is events or an {@link SseDecoder.SseException}, and a resource or a
 * {@link JsonProcessingException}; nothing else escapes.
 *
 * <p>{@code mvn verify} replays the corpus in {@code LookoutFuzzTestInputs/} (Lookout's documented stream and
 * resources, cut-off events, odd line ends, deep nesting); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing" in
 * docs/plugin-guide.md).
 */
class LookoutFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void streamBodies(byte[] bytes) {
        SseDecoder decoder = new SseDecoder();
        int half = bytes.length / 2;
        try {
            decoder.feed(ByteBuffer.wrap(bytes, 0, half));
            decoder.feed(ByteBuffer.wrap(bytes, half, bytes.length - half));
        } catch (SseDecoder.SseException refused) {
            // The stream broke the bounds: the documented refusal.
        }
    }

    @FuzzTest(maxDuration = "5m")
    void lookoutResources(byte[] bytes) {
        JsonNode node;
        try {
            node = LookoutJson.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException refused) {
            return;
        }
        Instant now = Instant.parse("2026-12-05T00:00:00Z");
        JsonNode threat = node.path("threat").isObject() ? node.path("threat") : node;
        LookoutMapping.threat(threat, now);
        LookoutMapping.threatDeviceGuid(threat);
        ObjectNode state = LookoutJson.MAPPER.createObjectNode();
        state.set("device", node.path("device").isObject() ? node.path("device") : node);
        state.putObject("threats").set("t", threat);
        DeviceStates.assess("d-1", state, now);
    }
}
