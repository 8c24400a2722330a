package dev.shepherd.google;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * OAuth 2.0 access tokens for the uploaded service account, by the JWT-bearer grant (RFC 7523) as Google documents it
 * for service accounts: an assertion signed RS256 with the account's key, naming the account as issuer, the admin it
 * acts for as subject (domain-wide delegation, when there is one), the scopes, and the token endpoint as audience,
 * exchanged at the token endpoint. A token is kept until {@link #EXPIRY_MARGIN} before it expires, until Google
 * rejects it, or until another key is uploaded. Neither tokens nor assertions are ever logged.
 */
public final class AccessTokens {

    /** How long before its expiry a token is no longer used, so a call never carries one that lapses on the way. */
    public static final Duration EXPIRY_MARGIN = Duration.ofMinutes(1);
    static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    /** The longest lifetime Google accepts for an assertion. */
    private static final Duration ASSERTION_LIFETIME = Duration.ofHours(1);

    /**
     * What the tokens are asked for.
     *
     * @param scopes the OAuth scopes, separated by spaces
     * @param subject the user the account acts for by domain-wide delegation (the assertion's {@code sub}); empty when
     *        it acts as itself
     * @param tokenUrl where to ask, replacing the key's {@code token_uri} (for a stand-in or a relay); empty for the key's
     */
    public record Grant(String scopes, Optional<String> subject, Optional<URI> tokenUrl) {
        /** Validates every part. */
        public Grant {
            requireNonNull(scopes, "scopes is null");
            requireNonNull(subject, "subject is null");
            requireNonNull(tokenUrl, "tokenUrl is null");
            if (scopes.isBlank()) {
                throw new IllegalArgumentException("scopes is blank");
            }
        }
    }

    /** A token and the very key it was fetched for: every upload parses a new one, so a replaced key's token is not reused. */
    private record Token(String value, Instant expiresAt, ServiceAccount account) {
    }

    private final ServiceAccountKeys keys;
    private final Grant grant;
    private final HttpClient http;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong fetched = new AtomicLong();
    private final Object lock = new Object();
    private Token token;

    /**
     * @param keys the plugin's service-account keys, asked at every call, so an upload or removal takes effect at once
     * @param grant what the tokens are asked for
     * @param http the client to reach the token endpoint with
     * @param clock the time, for the assertion and the expiry
     */
    public AccessTokens(ServiceAccountKeys keys, Grant grant, HttpClient http, Clock clock) {
        this.keys = requireNonNull(keys, "keys is null");
        this.grant = requireNonNull(grant, "grant is null");
        this.http = requireNonNull(http, "http is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * @param timeout how long the token request may take, if one is needed
     * @return a valid access token, fetched when none is cached for the current key
     * @throws GoogleException when no key is uploaded, or Google refuses the assertion or cannot be reached
     * @throws InterruptedException when the thread is interrupted while waiting for Google
     */
    public String token(Duration timeout) throws GoogleException, InterruptedException {
        requireNonNull(timeout, "timeout is null");
        ServiceAccount account = keys.current()
                .orElseThrow(() -> new GoogleException(0, "No service-account key has been uploaded.", false));
        // One fetch at a time: callers arriving meanwhile wait for its token rather than asking for their own.
        synchronized (lock) {
            Token current = token;
            if (current != null && current.account() == account && clock.instant().isBefore(current.expiresAt().minus(EXPIRY_MARGIN))) {
                return current.value();
            }
            token = fetch(account, timeout);
            return token.value();
        }
    }

    /**
     * Forgets a token Google answered 401 to, so the next call fetches another; a token fetched meanwhile is kept.
     *
     * @param rejected the token Google rejected
     */
    public void rejected(String rejected) {
        requireNonNull(rejected, "rejected is null");
        synchronized (lock) {
            if (token != null && token.value().equals(rejected)) {
                token = null;
            }
        }
    }

    /** @return how many tokens were fetched so far */
    public long fetched() {
        return fetched.get();
    }

    private Token fetch(ServiceAccount account, Duration timeout) throws GoogleException, InterruptedException {
        URI endpoint = grant.tokenUrl().orElse(account.tokenUri());
        String form = "grant_type=" + URLEncoder.encode(GRANT_TYPE, StandardCharsets.UTF_8)
                + "&assertion=" + URLEncoder.encode(assertion(account, endpoint), StandardCharsets.UTF_8);
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(endpoint).timeout(timeout)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new GoogleException(0, "Google's token endpoint could not be reached: " + e.getMessage(), true);
        }
        int status = response.statusCode();
        if (status != 200) {
            // invalid_grant and unauthorized_client mean the key or the delegation is wrong: trying again will not help.
            throw new GoogleException(status, "Google refused the service account's token request (" + status + ")"
                    + GoogleErrors.detail(response.body()), status == 429 || status >= 500);
        }
        JsonNode answer = parse(response.body());
        String value = answer.path("access_token").asText("");
        if (value.isBlank()) {
            throw new GoogleException(status, "Google's token endpoint answered without an access token", true);
        }
        fetched.incrementAndGet();
        return new Token(value, clock.instant().plusSeconds(answer.path("expires_in").asLong(3600)), account);
    }

    private String assertion(ServiceAccount account, URI audience) throws GoogleException {
        ObjectNode header = json.createObjectNode().put("alg", "RS256").put("typ", "JWT");
        if (!account.keyId().isEmpty()) {
            header.put("kid", account.keyId()); // lets Google pick the public key without trying each of the account's
        }
        long now = clock.instant().getEpochSecond();
        ObjectNode claims = json.createObjectNode().put("iss", account.clientEmail());
        grant.subject().ifPresent(subject -> claims.put("sub", subject));
        claims.put("scope", grant.scopes()).put("aud", audience.toString()).put("iat", now)
                .put("exp", now + ASSERTION_LIFETIME.toSeconds());
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        try {
            String signingInput = base64.encodeToString(json.writeValueAsBytes(header)) + "." + base64.encodeToString(json.writeValueAsBytes(claims));
            Signature rs256 = Signature.getInstance("SHA256withRSA");
            rs256.initSign(account.privateKey());
            rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + base64.encodeToString(rs256.sign());
        } catch (IOException | GeneralSecurityException e) {
            throw new GoogleException(0, "The service-account key cannot sign: " + e.getMessage(), false);
        }
    }

    private JsonNode parse(byte[] body) {
        try {
            JsonNode node = body == null || body.length == 0 ? null : json.readTree(body);
            return node == null ? json.createObjectNode() : node;
        } catch (IOException e) {
            return json.createObjectNode();
        }
    }
}
