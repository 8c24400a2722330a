package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The Google service account the plugin acts as: its JSON key, as Google Cloud hands it out, uploaded by an admin and
 * kept sealed with the server's secrets key. The private key never leaves this class except as the signing key of
 * {@link GoogleApi}, and is never logged or shown; admins see the account's e-mail address and key id.
 */
@Singleton
public final class ServiceAccountKeys {

    static final String STORAGE_KEY = "service-account-key";

    /**
     * A usable service account.
     *
     * @param clientEmail the account's address, the JWT's {@code iss}
     * @param clientId the account's numeric client id, which the Google Admin console's domain-wide delegation asks
     *        for; empty when the key does not carry it
     * @param keyId the key's id, the JWT header's {@code kid}
     * @param projectId the Google Cloud project, for admins
     * @param tokenUri where the key says to exchange assertions for tokens
     * @param privateKey the signing key
     */
    public record ServiceAccount(String clientEmail, String clientId, String keyId, String projectId, String tokenUri, PrivateKey privateKey) {
        /** Validates every part. */
        public ServiceAccount {
            requireNonNull(clientEmail, "clientEmail is null");
            requireNonNull(clientId, "clientId is null");
            requireNonNull(keyId, "keyId is null");
            requireNonNull(projectId, "projectId is null");
            requireNonNull(tokenUri, "tokenUri is null");
            requireNonNull(privateKey, "privateKey is null");
        }

        @Override
        public String toString() {
            return "ServiceAccount[" + clientEmail + ", key " + keyId + "]";
        }
    }

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final ObjectMapper json = new ObjectMapper();
    private volatile Optional<ServiceAccount> cached;

    @Inject
    public ServiceAccountKeys(PluginStorage storage, SecretSealer sealer) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
    }

    /**
     * Checks and stores a service account key, replacing any previous one.
     *
     * @param keyJson the key file's content
     * @return the account it names
     * @throws IllegalArgumentException saying what is wrong with the key, without repeating it
     */
    public ServiceAccount upload(byte[] keyJson) {
        requireNonNull(keyJson, "keyJson is null");
        ServiceAccount account = parse(keyJson);
        storage.put(STORAGE_KEY, sealer.seal(keyJson));
        cached = Optional.of(account);
        return account;
    }

    /** @return the stored account, if one was uploaded */
    public Optional<ServiceAccount> current() {
        Optional<ServiceAccount> known = cached;
        if (known == null) {
            known = storage.get(STORAGE_KEY).map(sealed -> parse(sealer.open(sealed)));
            cached = known;
        }
        return known;
    }

    /** @return true when there was a key to remove */
    public boolean remove() {
        boolean removed = storage.delete(STORAGE_KEY);
        cached = Optional.empty();
        return removed;
    }

    private ServiceAccount parse(byte[] keyJson) {
        JsonNode key;
        try {
            key = json.readTree(keyJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("The service account key is not JSON.");
        }
        if (key == null || !key.isObject()) {
            throw new IllegalArgumentException("The service account key is not a JSON object.");
        }
        if (!"service_account".equals(key.path("type").asText())) {
            throw new IllegalArgumentException("The key's type is not service_account; download a JSON key of the service account in Google Cloud.");
        }
        String email = text(key, "client_email");
        String pem = text(key, "private_key");
        String body = pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
        PrivateKey privateKey;
        try {
            privateKey = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("The key's private_key is not a PKCS#8 RSA private key in PEM form.");
        }
        if (((RSAPrivateKey) privateKey).getModulus().bitLength() < 2048) {
            throw new IllegalArgumentException("The key's private_key is shorter than 2048 bits.");
        }
        String tokenUri = key.path("token_uri").asText(ChromeOsSettings.TOKEN_URL);
        try {
            ChromeOsSettings.checkedUrl("token_uri", tokenUri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("The key's token_uri must be an https URL: " + tokenUri);
        }
        return new ServiceAccount(email, key.path("client_id").asText(""), key.path("private_key_id").asText(""), key.path("project_id").asText(""), tokenUri, privateKey);
    }

    private static String text(JsonNode key, String field) {
        String value = key.path(field).asText("");
        if (value.isBlank()) {
            throw new IllegalArgumentException("The service account key has no " + field + ".");
        }
        return value;
    }
}
