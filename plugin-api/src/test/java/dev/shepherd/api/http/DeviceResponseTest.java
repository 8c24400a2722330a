package dev.shepherd.api.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DeviceResponseTest {

    @Test
    void aProblemIsProblemJsonWithItsTextEscaped() {
        DeviceResponse problem = DeviceResponse.problem(400, "Malformed message", "a \"quoted\" \\ value\non two lines\u0001");

        assertEquals(400, problem.status());
        assertEquals("application/problem+json", problem.headers().get("Content-Type"));
        assertEquals("{\"type\":\"about:blank\",\"title\":\"Malformed message\",\"status\":400,"
                + "\"detail\":\"a \\\"quoted\\\" \\\\ value\\u000aon two lines\\u0001\"}", new String(problem.body(), StandardCharsets.UTF_8));
    }
}
