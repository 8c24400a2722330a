package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's link to Defender: the credentials admins set, kept in the plugin's storage with the client secret
 * sealed by the server's key, and the client for them (replaced when they change, so a new secret takes effect at
 * the next call). One per plugin, shared by the connector and the settings endpoint; the rate-limit budget is shared
 * by every client it makes, since Defender counts calls per app.
 */
@Singleton
public final class DefenderConnection {

    static final String SETTINGS_KEY = "credentials/settings";
    static final String SECRET_KEY = "credentials/secret";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DefenderSettings settings;
    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Clock clock;
    private final HttpClient http;
    private final CallBudget budget;
    private DefenderClient client;
    private DefenderCredentials clientCredentials;

    /**
     * @param config the plugin's settings ({@link DefenderSettings})
     * @param storage the plugin's storage, where the credentials are kept
     * @param sealer the server's sealing of secrets
     * @param clock the server's clock
     */
    @Inject
    public DefenderConnection(PluginConfig config, PluginStorage storage, SecretSealer sealer, Clock clock) {
        this(DefenderSettings.from(requireNonNull(config, "config is null")), storage, sealer, clock);
    }

    /**
     * @param settings how to reach Microsoft
     * @param storage the plugin's storage
     * @param sealer the server's sealing of secrets
     * @param clock the server's clock
     */
    public DefenderConnection(DefenderSettings settings, PluginStorage storage, SecretSealer sealer, Clock clock) {
        this.settings = requireNonNull(settings, "settings is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.http = DefenderClient.newHttpClient(settings);
        this.budget = new CallBudget(settings.callsPerMinute(), settings.callsPerHour(), clock);
    }

    /** @return the plugin's settings */
    public DefenderSettings settings() {
        return settings;
    }

    /** @return the stored credentials, empty until an admin sets them */
    public Optional<DefenderCredentials> credentials() {
        Optional<byte[]> stored = storage.get(SETTINGS_KEY);
        Optional<byte[]> secret = storage.get(SECRET_KEY);
        if (stored.isEmpty() || secret.isEmpty()) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(stored.get());
            return Optional.of(new DefenderCredentials(node.path("tenantId").asText(), node.path("clientId").asText(),
                    new String(sealer.open(secret.get()), StandardCharsets.UTF_8), URI.create(node.path("apiBaseUrl").asText()),
                    Optional.ofNullable(node.get("machineTag")).map(JsonNode::asText)));
        } catch (IOException e) {
            throw new UncheckedIOException("the stored Defender settings are not JSON", e);
        }
    }

    /**
     * A client for some credentials that are not stored (yet): for checking them before they are.
     *
     * @param credentials the credentials
     * @return a client sharing the plugin's rate-limit budget
     */
    public DefenderClient clientFor(DefenderCredentials credentials) {
        return new DefenderClient(credentials, settings, http, clock, budget);
    }

    /** @return the client for the stored credentials, empty until an admin sets them */
    public synchronized Optional<DefenderClient> client() {
        Optional<DefenderCredentials> current = credentials();
        if (current.isEmpty()) {
            client = null;
            clientCredentials = null;
            return Optional.empty();
        }
        if (client == null || !current.get().equals(clientCredentials)) {
            client = clientFor(current.get());
            clientCredentials = current.get();
        }
        return Optional.of(client);
    }

    /**
     * Stores credentials, replacing any, with the secret sealed.
     *
     * @param credentials the credentials
     */
    public synchronized void save(DefenderCredentials credentials) {
        requireNonNull(credentials, "credentials is null");
        ObjectNode node = JSON.createObjectNode().put("tenantId", credentials.tenantId()).put("clientId", credentials.clientId())
                .put("apiBaseUrl", credentials.apiBaseUrl().toString());
        credentials.machineTag().ifPresent(tag -> node.put("machineTag", tag));
        storage.put(SECRET_KEY, sealer.seal(credentials.clientSecret().getBytes(StandardCharsets.UTF_8)));
        storage.put(SETTINGS_KEY, node.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** @return whether there were credentials to remove */
    public synchronized boolean remove() {
        boolean removed = storage.delete(SETTINGS_KEY);
        return storage.delete(SECRET_KEY) || removed;
    }
}
