package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.JsonResponses;

import java.util.Map;

/** The plugin's own RFC 9457 problems for its admin endpoints (other answers are {@link JsonResponses}). */
final class Responses {

    private Responses() {
    }

    /** Google refused or failed: a 502, since the fault is upstream, with Google's words and status. */
    static DeviceResponse google(GoogleException e) {
        return JsonResponses.problem(502, e.status() == 403 ? "Google refused the request" : "Google did not complete the request",
                e.getMessage(), Map.of("googleStatus", e.status()));
    }

    static DeviceResponse methodNotAllowed(String allowed) {
        return JsonResponses.problem(405, "Method not allowed", "Use " + allowed + ".").withHeader("Allow", allowed);
    }
}
