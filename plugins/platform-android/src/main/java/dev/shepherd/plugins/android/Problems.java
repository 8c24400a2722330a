package dev.shepherd.plugins.android;

import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.JsonResponses;

/** How the plugin's admin endpoints answer Google's refusals (other answers are {@link JsonResponses}). */
final class Problems {

    private Problems() {
    }

    /** Google's refusal as the admin sees it: 502 when Google failed or refused Shepherd, 409 when setup is missing. */
    static DeviceResponse google(GoogleException e) {
        if (e.status() == 0 && !e.retriable()) {
            return JsonResponses.problem(409, "Not set up", e.getMessage());
        }
        return JsonResponses.problem(502, e.retriable() ? "Google unavailable" : "Google refused", e.getMessage());
    }
}
