package dev.shepherd.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * A Google Cloud service account, read from the JSON key an admin downloads for it ({@code type},
 * {@code client_email}, {@code private_key}, and usually {@code client_id}, {@code private_key_id},
 * {@code project_id}, {@code token_uri}). The private key is never part of {@link #toString()}.
 *
 * @param clientEmail the account's address, the assertion's issuer
 * @param clientId the account's numeric client id (which domain-wide delegation asks for); empty when the key lacks it
 * @param keyId the key's id, the assertion header's {@code kid}; empty when the key lacks it
 * @param projectId the Google Cloud project the account belongs to; empty when the key lacks it
 * @param tokenUri where the key says to exchange assertions for access tokens
 * @param privateKey the RSA key assertions are signed with
 */
public record ServiceAccount(String clientEmail, String clientId, String keyId, String projectId, URI tokenUri, PrivateKey privateKey) {

    /** Google's OAuth 2.0 token endpoint, for keys that do not name one. */
    public static final URI GOOGLE_TOKEN_URI = URI.create("https://oauth2.googleapis.com/token");
    /** The shortest RSA key accepted; Google issues 2048-bit keys. */
    public static final int MIN_KEY_BITS = 2048;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Validates every part. */
    public ServiceAccount {
        requireNonNull(clientEmail, "clientEmail is null");
        requireNonNull(clientId, "clientId is null");
        requireNonNull(keyId, "keyId is null");
        requireNonNull(projectId, "projectId is null");
        requireNonNull(tokenUri, "tokenUri is null");
        requireNonNull(privateKey, "privateKey is null");
    }

    /**
     * Reads and checks a JSON key: a {@code service_account} key with a client e-mail and a PKCS#8 RSA private key of
     * at least {@value #MIN_KEY_BITS} bits, whose {@code token_uri}, if it has one, may be sent credentials
     * ({@link GoogleUrls#mayCarryCredentials}).
     *
     * @param keyJson the key file's content
     * @param requiredFields further fields the caller cannot work without, such as {@code project_id}; without them
     *        the key is refused rather than a later call failing
     * @return the account
     * @throws IllegalArgumentException saying what is wrong with the key, without repeating any of it
     */
    public static ServiceAccount parse(byte[] keyJson, Set<String> requiredFields) {
        requireNonNull(keyJson, "keyJson is null");
        requireNonNull(requiredFields, "requiredFields is null");
        JsonNode key;
        try {
            key = JSON.readTree(keyJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("The service-account key is not JSON; upload the key file Google's Cloud console downloads.");
        }
        if (key == null || !key.isObject()) {
            throw new IllegalArgumentException("The service-account key is not a JSON object.");
        }
        if (!"service_account".equals(key.path("type").asText())) {
            throw new IllegalArgumentException("The key's type is not service_account; download a JSON key of the service account in Google Cloud.");
        }
        String clientEmail = required(key, "client_email");
        PrivateKey privateKey = privateKey(required(key, "private_key"));
        for (String field : new TreeSet<>(requiredFields)) {
            required(key, field);
        }
        String tokenUri = key.path("token_uri").asText("");
        return new ServiceAccount(clientEmail, key.path("client_id").asText(""), key.path("private_key_id").asText(""),
                key.path("project_id").asText(""), tokenUri.isBlank() ? GOOGLE_TOKEN_URI : tokenUri(tokenUri), privateKey);
    }

    @Override
    public String toString() {
        return "ServiceAccount[" + clientEmail + ", project " + projectId + ", key " + keyId + "]";
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
        PrivateKey privateKey;
        try {
            privateKey = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException("The key's private_key is not a PKCS#8 RSA private key in PEM form.");
        }
        if (((RSAPrivateKey) privateKey).getModulus().bitLength() < MIN_KEY_BITS) {
            throw new IllegalArgumentException("The key's private_key is shorter than " + MIN_KEY_BITS + " bits.");
        }
        return privateKey;
    }

    /** The signed assertion goes to this URL, so it is held to the rule for Google URLs. */
    private static URI tokenUri(String value) {
        try {
            URI uri = URI.create(value.trim());
            if (GoogleUrls.mayCarryCredentials(uri)) {
                return uri;
            }
        } catch (IllegalArgumentException notAUrl) {
            // refused below, with the same words
        }
        throw new IllegalArgumentException("The key's token_uri must be an https URL: " + value);
    }
}
