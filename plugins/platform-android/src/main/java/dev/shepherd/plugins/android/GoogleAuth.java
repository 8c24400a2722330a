package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * OAuth2 access tokens for the service account by the JWT-bearer grant (RFC 7523, as Google documents it for
 * service accounts): an assertion signed RS256 with the account's key, naming the account as issuer, the token
 * endpoint as audience and the Android Management scope, exchanged at the token endpoint. A token is kept until a
 * minute before it expires, or until Google calls it invalid.
 */
@Singleton
public final class GoogleAuth {

    /** The only scope the plugin asks for. */
    public static final String SCOPE = "https://www.googleapis.com/auth/androidmanagement";
    static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private static final Duration ASSERTION_LIFETIME = Duration.ofHours(1);
    private static final Duration EXPIRY_MARGIN = Duration.ofMinutes(1);

    private record Token(String value, Instant expiresAt, long credentialsRevision) {
    }

    private final ServiceAccounts accounts;
    private final AndroidSettings settings;
    private final HttpClient http;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private Token token;

    @Inject
    public GoogleAuth(ServiceAccounts accounts, AndroidPluginContext context) {
        this.accounts = requireNonNull(accounts, "accounts is null");
        this.settings = requireNonNull(context, "context is null").settings();
        this.http = context.http();
        this.clock = Clock.systemUTC();
    }

    /**
     * @return a valid access token, fetched if none is cached
     * @throws GoogleException when no service account is uploaded, or Google refuses it or cannot be reached
     */
    public synchronized String accessToken() throws GoogleException {
        ServiceAccounts.Credentials credentials = accounts.current()
                .orElseThrow(() -> new GoogleException(0, "No service-account key has been uploaded.", false));
        Instant now = clock.instant();
        if (token != null && token.credentialsRevision() == credentials.revision() && now.isBefore(token.expiresAt().minus(EXPIRY_MARGIN))) {
            return token.value();
        }
        token = fetch(credentials, now);
        return token.value();
    }

    /** Forgets the cached token, after Google answered 401 to it. */
    public synchronized void invalidate() {
        token = null;
    }

    private Token fetch(ServiceAccounts.Credentials credentials, Instant now) throws GoogleException {
        URI endpoint = settings.tokenUrl().orElse(credentials.tokenUri());
        String form = "grant_type=" + URLEncoder.encode(GRANT_TYPE, StandardCharsets.UTF_8)
                + "&assertion=" + URLEncoder.encode(assertion(credentials, endpoint, now), StandardCharsets.UTF_8);
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new GoogleException(0, "Google's token endpoint could not be reached: " + e.getMessage(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GoogleException(0, "interrupted while asking Google for an access token", true);
        }
        JsonNode body = parse(response.body());
        if (response.statusCode() != 200) {
            // Google answers {"error": "invalid_grant", "error_description": "..."}; the assertion itself is never echoed.
            String reason = body.path("error").asText("") + (body.hasNonNull("error_description") ? ": " + body.get("error_description").asText() : "");
            boolean retriable = response.statusCode() == 429 || response.statusCode() >= 500;
            throw new GoogleException(response.statusCode(), "Google refused an access token for " + credentials.clientEmail()
                    + " (" + response.statusCode() + (reason.isBlank() ? "" : " " + reason) + ")", retriable);
        }
        String value = body.path("access_token").asText("");
        if (value.isBlank()) {
            throw new GoogleException(response.statusCode(), "Google's token endpoint answered without an access_token", true);
        }
        return new Token(value, now.plusSeconds(body.path("expires_in").asLong(3600)), credentials.revision());
    }

    private String assertion(ServiceAccounts.Credentials credentials, URI audience, Instant now) throws GoogleException {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", credentials.clientEmail());
        claims.put("scope", SCOPE);
        claims.put("aud", audience.toString());
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plus(ASSERTION_LIFETIME).getEpochSecond());
        try {
            String signingInput = base64Url(json.writeValueAsBytes(Map.of("alg", "RS256", "typ", "JWT")))
                    + "." + base64Url(json.writeValueAsBytes(claims));
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(credentials.privateKey());
            rsa.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + base64Url(rsa.sign());
        } catch (IOException | GeneralSecurityException e) {
            throw new GoogleException(0, "the service-account key cannot sign: " + e.getMessage(), false);
        }
    }

    private JsonNode parse(byte[] body) {
        try {
            JsonNode node = json.readTree(body);
            return node == null ? json.createObjectNode() : node;
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** @return when the cached token expires, for the admin's status */
    synchronized Optional<Instant> tokenExpiry() {
        return Optional.ofNullable(token).map(Token::expiresAt);
    }
}
