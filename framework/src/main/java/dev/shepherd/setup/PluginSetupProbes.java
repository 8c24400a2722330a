package dev.shepherd.setup;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * How the checklist learns whether a platform plugin is set up, read from what the plugin already publishes: the
 * status its admin endpoint answers to GET (the same answer its console page shows). The plugin API has no "are you
 * set up" question for platforms yet; until it has one, this one table is the only place the kernel knows these
 * plugins' status answers. A plugin that is not running makes its step "not used"; one whose answer has changed
 * shape shows its step as needing attention, never as done.
 */
final class PluginSetupProbes {

    /**
     * One plugin-backed step.
     *
     * @param stepId the step's id
     * @param title the step in words
     * @param pluginIds the plugins that carry it, any of which counts (the iOS and macOS plugins share the push certificate)
     * @param platforms the platforms that cannot enroll until it is done
     * @param adminPath the plugin's admin endpoint that answers its status to GET
     * @param pageId the plugin's console page that completes it
     * @param found reads the status answer: the detail when done, empty when not
     * @param todo what to do while it is not done
     */
    record Probe(String stepId, String title, List<String> pluginIds, List<String> platforms, String adminPath, String pageId,
                 Function<JsonNode, Optional<String>> found, String todo) {
        Probe {
            requireNonNull(stepId, "stepId is null");
            requireNonNull(title, "title is null");
            pluginIds = List.copyOf(pluginIds);
            platforms = List.copyOf(platforms);
            requireNonNull(adminPath, "adminPath is null");
            requireNonNull(pageId, "pageId is null");
            requireNonNull(found, "found is null");
            requireNonNull(todo, "todo is null");
        }
    }

    /** The bundled platform plugins' setup, in the order the checklist shows them. */
    static final List<Probe> BUNDLED = List.of(
            new Probe("apple-push", "Apple push certificate", List.of("apple-ios", "apple-macos"), List.of("ios", "macos"),
                    "/push-certificate", "push-certificate",
                    status -> text(status, "topic").map(topic -> "Topic " + topic + ", valid until " + text(status, "notAfter").orElse("?")
                            + text(status, "warning").map(warning -> ". " + warning).orElse("")),
                    "Upload the APNs push certificate you got from Apple's Push Certificates Portal (identity.apple.com)."
                            + " iPhones, iPads and Macs cannot enroll without it."),
            new Probe("android-enterprise", "Android Enterprise binding", List.of("android"), List.of("android"),
                    "/enterprise", "enterprise",
                    status -> text(status, "enterprise").map(enterprise -> "Bound to " + enterprise),
                    "Upload the Google Cloud service-account key, then sign up for an enterprise or bind an existing one."
                            + " Android devices cannot enroll until an enterprise is bound."),
            new Probe("google-admin", "Google Admin connection (ChromeOS)", List.of("chromeos"), List.of("chromeos"),
                    "/sync", "google",
                    status -> status.path("connected").asBoolean(false)
                            ? Optional.of("Connected to Google Admin" + (status.has("lastError") ? "; the last sync failed: "
                            + status.path("lastError").asText() : "")) : Optional.empty(),
                    "Upload the service-account key and grant its domain-wide delegation in the Google Admin console,"
                            + " so Chromebooks enrolled there are found."));

    private PluginSetupProbes() {
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() && !value.asText().isBlank() ? Optional.of(value.asText()) : Optional.empty();
    }
}
