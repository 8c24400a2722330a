package dev.shepherd.plugins.threat.lookout;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The server-sent events decoder reads the standard's framing, in any split, and bounds what it holds. */
class SseDecoderTest {

    @Test
    void eventsAreDispatchedOnBlankLinesWhateverTheLineEndsAndSplits() throws Exception {
        String stream = "event:heartbeat\ndata:{}\n\n: a comment\r\nid: 0190-1\r\nevent: events\r\ndata: {\"events\":\r\ndata: []}\r\n\r\n"
                + "id:0190-2\revent:end\rdata:\r\r";
        List<SseDecoder.SseEvent> events = new ArrayList<>();
        SseDecoder decoder = new SseDecoder();
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            events.addAll(decoder.feed(ByteBuffer.wrap(new byte[] {b})));
        }
        assertThat(events).containsExactly(
                new SseDecoder.SseEvent(Optional.empty(), "heartbeat", "{}"),
                new SseDecoder.SseEvent(Optional.of("0190-1"), "events", "{\"events\":\n[]}"),
                new SseDecoder.SseEvent(Optional.of("0190-2"), "end", ""));
    }

    @Test
    void anEventCutOffByTheEndOfTheBodyIsNeverDispatched() throws Exception {
        SseDecoder decoder = new SseDecoder();
        assertThat(decoder.feed(ByteBuffer.wrap("id:7\nevent:events\ndata:{\"events\":[".getBytes(StandardCharsets.UTF_8)))).isEmpty();
    }

    @Test
    void overlongLinesFailTheStream() {
        SseDecoder decoder = new SseDecoder();
        byte[] line = new byte[SseDecoder.MAX_LINE_BYTES + 1];
        Arrays.fill(line, (byte) 'a');
        assertThatThrownBy(() -> decoder.feed(ByteBuffer.wrap(line))).isInstanceOf(SseDecoder.SseException.class)
                .hasMessageContaining("longer than");
    }
}
