package dev.shepherd.plugins.windows.entra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.shepherd.api.config.PluginConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * Validates the access token Microsoft Entra ID issues to a Windows device for the MDM application registered in the
 * tenant: the token an Entra-joined PC enrolls with (MS-MDE2 federated enrollment, security token type
 * {@value #JWT_TOKEN_TYPE}) and the one it opens the MDM's terms-of-use page with.
 *
 * <p>The token is a JWS signed with RS256 by one of the tenant's keys. The tenant id in it is checked against the
 * allow-list before anything is fetched, so only allowed tenants' OpenID configuration
 * ({@code {authority}/{tenant}/v2.0/.well-known/openid-configuration}) and keys ({@code jwks_uri}) are ever read;
 * they are cached for a day, and read again at most every five minutes when a token names a key the cache does not
 * have (Entra rolls its keys over). Then: the signature with that key, the issuer (v2 {@code {authority}/{tid}/v2.0} as
 * the configuration says, or v1 {@code https://sts.windows.net/{tid}/}), the audience (the MDM application's
 * Application ID URI, or its client id for v2 tokens), {@code exp} and {@code nbf} with two minutes' leeway.
 *
 * @see <a href="https://learn.microsoft.com/en-us/windows/client-management/azure-active-directory-integration-with-mdm">Microsoft
 *      Entra integration with MDM: the access token and its claims</a>
 * @see <a href="https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens">Microsoft identity platform access
 *      tokens: issuers, validation, key rollover</a>
 * @see <a href="https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc">OpenID Connect on the Microsoft
 *      identity platform: the configuration document and {@code jwks_uri}</a>
 */
@Singleton
public final class EntraTokens {

    /** The WS-Security value type of the Entra access token an Entra-joined device enrolls with. */
    public static final String JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";

    private static final Duration LEEWAY = Duration.ofMinutes(2);
    private static final Duration KEYS_LIFETIME = Duration.ofHours(24);
    private static final Duration REFETCH_INTERVAL = Duration.ofMinutes(5);
    private static final int MAX_TOKEN_CHARS = 16 * 1024;
    private static final int MAX_DOCUMENT_BYTES = 256 * 1024;
    private static final String V1_ISSUER = "https://sts.windows.net/%s/";

    private final PluginConfig config;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, TenantKeys> keysByTenant = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    /** A tenant's issuer and signing keys, as last read. */
    private record TenantKeys(String issuer, JWKSet keys, Instant readAt) {
    }

    @Inject
    public EntraTokens(PluginConfig config, Clock clock) {
        this.config = requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The settings as configured now; malformed settings are refused with {@link IllegalArgumentException}. */
    public EntraSettings settings() {
        return EntraSettings.from(config, config.get("organization", "Shepherd"));
    }

    /**
     * @param token the compact JWS, as Entra issued it
     * @throws EntraTokenException when the token is not accepted, or Entra cannot be reached to check it
     */
    public EntraToken validate(String token) {
        EntraSettings settings = settings();
        if (!settings.enabled()) {
            throw new EntraTokenException(EntraTokenException.Reason.INVALID, "Entra enrollment is not enabled on this server");
        }
        SignedJWT jwt = parse(token);
        JWTClaimsSet claims = claims(jwt);
        String tenant = stringClaim(claims, "tid").map(value -> value.toLowerCase(Locale.ROOT))
                .orElseThrow(() -> invalid("the token names no tenant (tid)"));
        if (!settings.tenants().contains(tenant)) {
            throw new EntraTokenException(EntraTokenException.Reason.TENANT_NOT_ALLOWED, "tenant " + tenant + " may not enroll devices here");
        }
        if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
            throw invalid("the token is not signed with RS256");
        }
        String keyId = Optional.ofNullable(jwt.getHeader().getKeyID()).orElseThrow(() -> invalid("the token names no signing key (kid)"));
        TenantKeys tenantKeys = keys(settings, tenant, keyId);
        JWK key = Optional.ofNullable(tenantKeys.keys().getKeyByKeyId(keyId))
                .orElseThrow(() -> invalid("the token is signed with key " + keyId + ", which is not one of the tenant's keys"));
        verify(jwt, key);

        String issuer = Optional.ofNullable(claims.getIssuer()).orElse("");
        if (!issuer.equals(tenantKeys.issuer()) && !issuer.equals(V1_ISSUER.formatted(tenant))) {
            throw invalid("the token's issuer '" + issuer + "' is not tenant " + tenant);
        }
        List<String> audiences = Optional.ofNullable(claims.getAudience()).orElse(List.of());
        if (audiences.stream().noneMatch(settings.audiences()::contains)) {
            throw invalid("the token is for " + audiences + ", not this MDM application");
        }
        Instant now = clock.instant();
        Date expiry = claims.getExpirationTime();
        if (expiry == null || expiry.toInstant().plus(LEEWAY).isBefore(now)) {
            throw invalid("the token has expired");
        }
        Date notBefore = claims.getNotBeforeTime();
        if (notBefore != null && notBefore.toInstant().minus(LEEWAY).isAfter(now)) {
            throw invalid("the token is not valid yet");
        }
        String objectId = stringClaim(claims, "oid").orElseThrow(() -> invalid("the token names no user (oid)"));
        String userPrincipalName = stringClaim(claims, "upn").or(() -> stringClaim(claims, "preferred_username"))
                .or(() -> stringClaim(claims, "unique_name")).orElseThrow(() -> invalid("the token names no user principal name"));
        return new EntraToken(tenant, objectId, userPrincipalName, stringClaim(claims, "name").orElse(userPrincipalName),
                stringClaim(claims, "deviceid"));
    }

    private static SignedJWT parse(String token) {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw invalid("the token is longer than " + MAX_TOKEN_CHARS + " characters");
        }
        try {
            return SignedJWT.parse(token.trim());
        } catch (ParseException e) {
            throw invalid("the token is not a signed JWT");
        }
    }

    private static JWTClaimsSet claims(SignedJWT jwt) {
        try {
            return jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw invalid("the token's claims are not a JSON object");
        }
    }

    private static Optional<String> stringClaim(JWTClaimsSet claims, String name) {
        return claims.getClaim(name) instanceof String value && !value.isBlank() ? Optional.of(value) : Optional.empty();
    }

    private static void verify(SignedJWT jwt, JWK key) {
        try {
            if (!(key instanceof RSAKey rsa) || !jwt.verify(new RSASSAVerifier(rsa))) {
                throw invalid("the token's signature does not verify");
            }
        } catch (JOSEException e) {
            throw invalid("the token's signature does not verify");
        }
    }

    /** The tenant's keys, read again when they are old or lack the key asked for (no more often than every five minutes). */
    private TenantKeys keys(EntraSettings settings, String tenant, String keyId) {
        Instant now = clock.instant();
        TenantKeys cached = keysByTenant.get(tenant);
        boolean stale = cached == null || cached.readAt().plus(KEYS_LIFETIME).isBefore(now);
        boolean unknownKey = cached != null && cached.keys().getKeyByKeyId(keyId) == null && cached.readAt().plus(REFETCH_INTERVAL).isBefore(now);
        if (!stale && !unknownKey) {
            return cached;
        }
        synchronized (this) {
            TenantKeys again = keysByTenant.get(tenant);
            if (again != cached) {
                return again;
            }
            TenantKeys read = read(settings.authority(), tenant, now);
            keysByTenant.put(tenant, read);
            return read;
        }
    }

    private TenantKeys read(URI authority, String tenant, Instant now) {
        JsonNode configuration;
        try {
            configuration = json.readTree(fetch(URI.create(authority + "/" + tenant + "/v2.0/.well-known/openid-configuration")));
        } catch (IOException e) {
            throw unavailable("Entra's OpenID configuration for tenant " + tenant + " could not be read: " + e.getMessage());
        }
        String issuer = configuration.path("issuer").asText("");
        String jwksUri = configuration.path("jwks_uri").asText("");
        if (issuer.isEmpty() || jwksUri.isEmpty()) {
            throw unavailable("Entra's OpenID configuration for tenant " + tenant + " has no issuer or jwks_uri");
        }
        try {
            JWKSet keys = JWKSet.parse(new String(fetch(URI.create(jwksUri)), StandardCharsets.UTF_8));
            return new TenantKeys(issuer.replace("{tenantid}", tenant), keys, now);
        } catch (IOException | ParseException | IllegalArgumentException e) {
            throw unavailable("Entra's signing keys for tenant " + tenant + " could not be read: " + e.getMessage());
        }
    }

    private byte[] fetch(URI uri) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15)).header("Accept", "application/json").GET().build();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException(uri.getHost() + " answered HTTP " + response.statusCode());
            }
            byte[] bytes = body.readNBytes(MAX_DOCUMENT_BYTES + 1);
            if (bytes.length > MAX_DOCUMENT_BYTES) {
                throw new IOException("the document is larger than " + MAX_DOCUMENT_BYTES + " bytes");
            }
            return bytes;
        }
    }

    private static EntraTokenException invalid(String message) {
        return new EntraTokenException(EntraTokenException.Reason.INVALID, message);
    }

    private static EntraTokenException unavailable(String message) {
        return new EntraTokenException(EntraTokenException.Reason.UNAVAILABLE, message);
    }
}
