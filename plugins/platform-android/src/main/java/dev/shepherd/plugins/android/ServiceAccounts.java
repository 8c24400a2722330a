package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * The Google Cloud service account Shepherd calls the Android Management API as: the JSON key an admin downloads
 * from the Cloud console ({@code client_email}, {@code private_key}, {@code token_uri}, {@code project_id}).
 * The key is stored sealed with the server's secrets key and never logged or shown again; admins see only which
 * account and project it is.
 */
@Singleton
public final class ServiceAccounts {

    private static final String KEY = "service-account";

    /**
     * A usable service account.
     *
     * @param clientEmail the account, which signs its token requests as issuer
     * @param projectId the Cloud project it belongs to
     * @param tokenUri where it asks for access tokens
     * @param privateKey its RSA key
     * @param revision changes with every upload, so cached access tokens of a replaced key are not reused
     */
    public record Credentials(String clientEmail, String projectId, URI tokenUri, PrivateKey privateKey, long revision) {
        public Credentials {
            requireNonNull(clientEmail, "clientEmail is null");
            requireNonNull(projectId, "projectId is null");
            requireNonNull(tokenUri, "tokenUri is null");
            requireNonNull(privateKey, "privateKey is null");
        }

        @Override
        public String toString() {
            return "Credentials[" + clientEmail + ", project " + projectId + "]";
        }
    }

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong revision = new AtomicLong();
    private volatile Optional<Credentials> cached = Optional.empty();

    @Inject
    public ServiceAccounts(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /**
     * Checks and stores a key, replacing the previous one.
     *
     * @param keyJson the JSON key as Google hands it out
     * @return the account it is
     * @throws IllegalArgumentException saying what is wrong with it, without repeating any of it
     */
    public synchronized Credentials upload(byte[] keyJson) {
        Credentials credentials = parse(keyJson, revision.incrementAndGet());
        storage.put(KEY, sealer.seal(keyJson));
        cached = Optional.of(credentials);
        return credentials;
    }

    /** @return the stored account, if any */
    public Optional<Credentials> current() {
        Optional<Credentials> known = cached;
        if (known.isPresent()) {
            return known;
        }
        synchronized (this) {
            cached = storage.get(KEY).map(sealed -> parse(sealer.open(sealed), revision.incrementAndGet()));
            return cached;
        }
    }

    /** @return whether there was one to remove */
    public synchronized boolean remove() {
        cached = Optional.empty();
        revision.incrementAndGet();
        return storage.delete(KEY);
    }

    private Credentials parse(byte[] keyJson, long revision) {
        JsonNode key;
        try {
            key = json.readTree(keyJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("The service-account key is not JSON; upload the key file Google's Cloud console downloads.");
        }
        if (key == null || !key.isObject()) {
            throw new IllegalArgumentException("The service-account key is not a JSON object.");
        }
        if (!"service_account".equals(key.path("type").asText())) {
            throw new IllegalArgumentException("The key's type is not service_account; create a key for a service account.");
        }
        String clientEmail = required(key, "client_email");
        String projectId = required(key, "project_id");
        URI tokenUri;
        try {
            tokenUri = URI.create(required(key, "token_uri"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("The key's token_uri is not a URL.");
        }
        return new Credentials(clientEmail, projectId, tokenUri, privateKey(required(key, "private_key")), revision);
    }

    private static String required(JsonNode key, String field) {
        String value = key.path(field).asText("");
        if (value.isBlank()) {
            throw new IllegalArgumentException("The service-account key has no " + field + ".");
        }
        return value;
    }

    /** Google's keys are PKCS#8 RSA keys in PEM form. */
    private static PrivateKey privateKey(String pem) {
        String base64 = pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("The key's private_key is not a PKCS#8 RSA private key in PEM form.");
        }
    }
}
