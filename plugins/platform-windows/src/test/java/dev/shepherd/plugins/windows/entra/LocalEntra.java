package dev.shepherd.plugins.windows.entra;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for Microsoft Entra ID's sign-in authority on loopback: each tenant it hosts has its OpenID configuration
 * at {@code /{tenant}/v2.0/.well-known/openid-configuration} and its signing keys at
 * {@code /{tenant}/discovery/v2.0/keys}, in the shapes Entra publishes; and it issues the access tokens Entra gives a
 * Windows device for the MDM application, v1 (audience the Application ID URI, issuer {@code https://sts.windows.net/{tid}/},
 * {@code upn}) and v2 (audience the client id, {@code preferred_username}), signed RS256 with the tenant's current key,
 * the header carrying {@code kid} and {@code x5t} as Entra's do. Keys are generated here and can be rolled over.
 *
 * <p>As Entra does, it answers only GET, and a tenant it does not host with 400 {@code invalid_tenant} (AADSTS90002).
 *
 * @see <a href="https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc">OpenID Connect on the Microsoft
 *      identity platform: the configuration document</a>
 * @see <a href="https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens">Access tokens: header, claims, v1 and
 *      v2 issuers, key rollover</a>
 * @see <a href="https://learn.microsoft.com/en-us/windows/client-management/azure-active-directory-integration-with-mdm">Entra
 *      integration with MDM: the claims of the token a device presents</a>
 */
public final class LocalEntra implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CONFIGURATION = Pattern.compile("/([^/]+)/v2\\.0/\\.well-known/openid-configuration");
    private static final Pattern KEYS = Pattern.compile("/([^/]+)/discovery/v2\\.0/keys");

    /** A tenant: its published keys, the newest first, which signs. */
    private static final class Tenant {
        final List<RSAKey> published = new CopyOnWriteArrayList<>();
    }

    private final Undertow server;
    private final Clock clock;
    private final Map<String, Tenant> tenants = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private LocalEntra(Clock clock) {
        this.clock = clock;
        this.server = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(this::handle).build();
    }

    /** Starts the authority; tokens are dated by {@code clock}, the server's. */
    public static LocalEntra start(Clock clock, String... tenantIds) throws Exception {
        LocalEntra entra = new LocalEntra(clock);
        for (String tenantId : tenantIds) {
            Tenant tenant = new Tenant();
            tenant.published.add(newKey());
            entra.tenants.put(tenantId, tenant);
        }
        entra.server.start();
        return entra;
    }

    /** The authority's base URL, the {@code entraAuthority} setting. */
    public URI authority() {
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        return URI.create("http://127.0.0.1:" + address.getPort());
    }

    /** Every request path received, in order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** Rolls the tenant's keys over: a new key signs from now on; the old ones stay published unless {@code dropOld}. */
    public void rollKeys(String tenantId, boolean dropOld) throws Exception {
        Tenant tenant = tenants.get(tenantId);
        RSAKey key = newKey();
        if (dropOld) {
            tenant.published.clear();
        }
        tenant.published.add(0, key);
    }

    /** The claims Entra puts into a v1 access token for the MDM application, for a user on an Entra-joined device. */
    public Map<String, Object> v1Claims(String tenantId, String audience, String userPrincipalName, String objectId, String deviceId) {
        Instant now = clock.instant();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("aud", audience);
        claims.put("iss", "https://sts.windows.net/" + tenantId + "/");
        claims.put("iat", now.getEpochSecond());
        claims.put("nbf", now.getEpochSecond());
        claims.put("exp", now.plus(Duration.ofMinutes(75)).getEpochSecond());
        claims.put("acr", "1");
        claims.put("aio", "E2ZgYJj" + UUID.randomUUID().toString().replace("-", ""));
        claims.put("amr", List.of("pwd"));
        claims.put("appid", "29d9ed98-a469-4536-ade2-f981bc1d605e");
        claims.put("appidacr", "0");
        if (deviceId != null) {
            claims.put("deviceid", deviceId);
        }
        claims.put("family_name", "Example");
        claims.put("given_name", userPrincipalName.substring(0, userPrincipalName.indexOf('@')));
        claims.put("ipaddr", "203.0.113.7");
        claims.put("name", userPrincipalName.substring(0, userPrincipalName.indexOf('@')) + " Example");
        claims.put("oid", objectId);
        claims.put("puid", "10032001C0FFEE00");
        claims.put("scp", "mdm_delegation");
        claims.put("sub", "q4nW1bX" + objectId.replace("-", "").substring(0, 12));
        claims.put("tid", tenantId);
        claims.put("unique_name", userPrincipalName);
        claims.put("upn", userPrincipalName);
        claims.put("uti", "x3Vd0" + UUID.randomUUID().toString().substring(0, 8));
        claims.put("ver", "1.0");
        return claims;
    }

    /** The claims of a v2 access token: audience the client id, issuer the v2 one, {@code preferred_username}. */
    public Map<String, Object> v2Claims(String tenantId, String clientId, String userPrincipalName, String objectId, String deviceId) {
        Map<String, Object> claims = v1Claims(tenantId, clientId, userPrincipalName, objectId, deviceId);
        claims.put("iss", authority() + "/" + tenantId + "/v2.0");
        claims.remove("upn");
        claims.remove("unique_name");
        claims.remove("appid");
        claims.remove("appidacr");
        claims.put("azp", "29d9ed98-a469-4536-ade2-f981bc1d605e");
        claims.put("azpacr", "0");
        claims.put("preferred_username", userPrincipalName);
        claims.put("ver", "2.0");
        return claims;
    }

    /** Signs the claims with the tenant's current key, as Entra issues a token. */
    public String issue(String tenantId, Map<String, Object> claims) throws Exception {
        return sign(tenants.get(tenantId).published.get(0), claims);
    }

    /** Signs the claims with a key no tenant publishes: a forgery. */
    public static String forge(Map<String, Object> claims) throws Exception {
        return sign(newKey(), claims);
    }

    private static String sign(RSAKey key, Map<String, Object> claims) throws Exception {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID(key.getKeyID())
                .x509CertThumbprint(new Base64URL(key.getKeyID())).build();
        JWTClaimsSet.Builder set = new JWTClaimsSet.Builder();
        claims.forEach((name, value) -> set.claim(name, switch (name) {
            case "iat", "nbf", "exp" -> new Date(((Number) value).longValue() * 1000);
            default -> value;
        }));
        SignedJWT jwt = new SignedJWT(header, set.build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static RSAKey newKey() throws Exception {
        // Entra's key ids are base64url thumbprints, 27 characters.
        byte[] id = new byte[20];
        new SecureRandom().nextBytes(id);
        return new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID(Base64.getUrlEncoder().withoutPadding().encodeToString(id))
                .generate();
    }

    private void handle(HttpServerExchange exchange) throws Exception {
        String path = exchange.getRequestPath();
        requests.add(path);
        if (!exchange.getRequestMethod().toString().equals("GET")) {
            exchange.setStatusCode(405);
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET");
            exchange.endExchange();
            return;
        }
        Matcher configuration = CONFIGURATION.matcher(path);
        Matcher keys = KEYS.matcher(path);
        String tenantId = configuration.matches() ? configuration.group(1) : keys.matches() ? keys.group(1) : null;
        if (tenantId == null) {
            json(exchange, 404, Map.of("error", "not_found"));
            return;
        }
        Tenant tenant = tenants.get(tenantId);
        if (tenant == null) {
            json(exchange, 400, Map.of("error", "invalid_tenant", "error_description", "AADSTS90002: Tenant '" + tenantId
                    + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
                    "error_codes", List.of(90002), "timestamp", clock.instant().toString(), "trace_id", UUID.randomUUID().toString(),
                    "correlation_id", UUID.randomUUID().toString()));
            return;
        }
        if (configuration.matches()) {
            String base = authority() + "/" + tenantId;
            Map<String, Object> document = new LinkedHashMap<>();
            document.put("token_endpoint", base + "/oauth2/v2.0/token");
            document.put("token_endpoint_auth_methods_supported", List.of("client_secret_post", "private_key_jwt", "client_secret_basic"));
            document.put("jwks_uri", base + "/discovery/v2.0/keys");
            document.put("response_modes_supported", List.of("query", "fragment", "form_post"));
            document.put("subject_types_supported", List.of("pairwise"));
            document.put("id_token_signing_alg_values_supported", List.of("RS256"));
            document.put("response_types_supported", List.of("code", "id_token", "code id_token", "id_token token"));
            document.put("scopes_supported", List.of("openid", "profile", "email", "offline_access"));
            document.put("issuer", base + "/v2.0");
            document.put("request_uri_parameter_supported", false);
            document.put("userinfo_endpoint", "https://graph.microsoft.com/oidc/userinfo");
            document.put("authorization_endpoint", base + "/oauth2/v2.0/authorize");
            document.put("device_authorization_endpoint", base + "/oauth2/v2.0/devicecode");
            document.put("http_logout_supported", true);
            document.put("frontchannel_logout_supported", true);
            document.put("end_session_endpoint", base + "/oauth2/v2.0/logout");
            document.put("claims_supported", List.of("sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                    "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
                    "c_hash", "email"));
            document.put("kerberos_endpoint", base + "/kerberos");
            document.put("tenant_region_scope", "EU");
            document.put("cloud_instance_name", "microsoftonline.com");
            document.put("cloud_graph_host_name", "graph.windows.net");
            document.put("msgraph_host", "graph.microsoft.com");
            document.put("rbac_url", "https://pas.windows.net");
            json(exchange, 200, document);
            return;
        }
        List<Map<String, Object>> published = new ArrayList<>();
        for (RSAKey key : tenant.published) {
            Map<String, Object> jwk = new LinkedHashMap<>(key.toPublicJWK().toJSONObject());
            jwk.put("x5t", key.getKeyID());
            jwk.put("issuer", authority() + "/" + tenantId + "/v2.0");
            published.add(jwk);
        }
        json(exchange, 200, Map.of("keys", published));
    }

    private static void json(HttpServerExchange exchange, int status, Map<String, Object> body) throws Exception {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json; charset=utf-8");
        exchange.getResponseSender().send(new String(JSON.writeValueAsBytes(body), StandardCharsets.UTF_8));
    }

    /** The tenants this authority hosts. */
    public Set<String> tenants() {
        return Set.copyOf(tenants.keySet());
    }

    @Override
    public void close() {
        server.stop();
    }
}
