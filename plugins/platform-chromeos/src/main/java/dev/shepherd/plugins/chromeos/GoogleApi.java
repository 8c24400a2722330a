package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.google.AccessTokens;
import dev.shepherd.google.GoogleClient;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.RetryPolicy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Calls Google's APIs as the uploaded service account, acting for the configured admin (domain-wide delegation).
 *
 * <p>The calls go through the shared {@link GoogleClient}: access tokens from the JWT-bearer grant whose {@code sub}
 * is the admin and whose scopes are {@value #SCOPES}, renewed once on a 401; throttling (429, waiting out
 * {@code Retry-After}), Google trouble (5xx) and network errors retried with exponential backoff as the settings
 * allow; what is left fails with a {@link GoogleException} carrying Google's message.
 */
@Singleton
public final class GoogleApi {

    /** The scopes the service account's client id must be granted in the Admin console's domain-wide delegation. */
    public static final String SCOPES = "https://www.googleapis.com/auth/admin.directory.device.chromeos"
            + " https://www.googleapis.com/auth/admin.directory.orgunit.readonly"
            + " https://www.googleapis.com/auth/chrome.management.policy"
            + " https://www.googleapis.com/auth/chrome.management.appdetails.readonly";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final ChromeOsServiceAccountKeys keys;
    private final ChromeOsSettings settings;
    private final GoogleClient client;
    private final RetryPolicy retries;

    @Inject
    public GoogleApi(ChromeOsServiceAccountKeys keys, PluginConfig config) {
        this(keys, ChromeOsSettings.from(config));
    }

    GoogleApi(ChromeOsServiceAccountKeys keys, ChromeOsSettings settings) {
        this.keys = requireNonNull(keys, "keys is null");
        this.settings = requireNonNull(settings, "settings is null");
        HttpClient http = GoogleClient.newHttpClient();
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, settings.adminUser(), settings.tokenUrl()), http, Clock.systemUTC());
        this.client = new GoogleClient(tokens, http, Clock.systemUTC());
        this.retries = new RetryPolicy(settings.maxAttempts(), settings.retryDelay(), settings.maxRetryAfter(), REQUEST_TIMEOUT);
    }

    /** @return the settings calls are made with */
    public ChromeOsSettings settings() {
        return settings;
    }

    /** @return whether a key and an admin user are there to call Google with */
    public boolean connected() {
        return settings.adminUser().isPresent() && keys.current().isPresent();
    }

    /** @return the calls so far */
    public GoogleClient.Statistics statistics() {
        return client.statistics();
    }

    /**
     * Calls Google.
     *
     * @param method HTTP method
     * @param uri the full URL
     * @param body the JSON body, or null for none
     * @return Google's JSON answer, an empty object when it had no body
     * @throws GoogleException when Google refused, or kept failing through every retry
     * @throws InterruptedException when the plugin is stopping
     */
    public JsonNode call(String method, URI uri, JsonNode body) throws GoogleException, InterruptedException {
        requireNonNull(method, "method is null");
        requireNonNull(uri, "uri is null");
        if (settings.adminUser().isEmpty()) {
            // Without the admin, Google would take the token as the service account's own, which the Admin SDK refuses.
            throw new GoogleException(0, "Plugin setting 'adminUser' (the Google admin the service account acts for) is not set.", false);
        }
        return client.call(method, uri, Optional.ofNullable(body), retries);
    }
}
