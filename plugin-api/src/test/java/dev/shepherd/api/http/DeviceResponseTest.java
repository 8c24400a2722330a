package dev.shepherd.api.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DeviceResponseTest {

    @Test
    void aProblemIsProblemJsonWithItsTextEscaped() {
        DeviceResponse problem = DeviceResponse.problem(400, "Malformed message", "a \"quoted\" \\ value\non two lines\u0001");

        assertEquals(400, problem.status());
        assertEquals("application/problem+json", problem.headers().get("Content-Type"));
        assertEquals("{\"type\":\"about:blank\",\"title\":\"Malformed message\",\"status\":400,"
                + "\"detail\":\"a \\\"quoted\\\" \\\\ value\\u000aon two lines\\u0001\"}", new String(problem.body(), StandardCharsets.UTF_8));
    }

    @Test
    void aFileResponseNamesItsRegionKeepsItThroughAddedHeadersAndHoldsNoBytes() {
        Path file = Path.of("packages", "agent.msi");

        DeviceResponse response = DeviceResponse.ofFile(206, "application/octet-stream", file, 1000, 24)
                .withHeader("Content-Range", "bytes 1000-1023/1024");

        assertEquals(Optional.of(new DeviceResponse.FileBody(file, 1000, 24)), response.fileBody());
        assertEquals("bytes 1000-1023/1024", response.headers().get("Content-Range"));
        assertEquals("application/octet-stream", response.headers().get("Content-Type"));
        assertArrayEquals(new byte[0], response.body());
        assertEquals(Optional.empty(), DeviceResponse.text(200, "in memory").fileBody());
    }

    @Test
    void aFileRegionIsNeverNegativeAndNeverComesWithABodyInMemory() {
        Path file = Path.of("agent.msi");
        assertThrows(IllegalArgumentException.class, () -> DeviceResponse.ofFile(200, "application/octet-stream", file, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> DeviceResponse.ofFile(200, "application/octet-stream", file, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> new DeviceResponse(200, Map.of(), new byte[]{1},
                Optional.of(new DeviceResponse.FileBody(file, 0, 1))));
    }
}
