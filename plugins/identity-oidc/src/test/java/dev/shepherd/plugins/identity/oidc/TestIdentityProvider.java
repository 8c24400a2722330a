package dev.shepherd.plugins.identity.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import okhttp3.mockwebserver.RecordedRequest;

import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real OpenID Connect provider for the tests: NAV's mock-oauth2-server on a loopback port, issuer
 * {@code http://127.0.0.1:<port>/corp}, signing with an RSA key of the test's own; when the provider
 * {@linkplain #rotateKey() rotates} it, tokens are signed with a new key under a new key id and its JWKS publishes
 * that key instead, as a real provider's does.
 */
final class TestIdentityProvider implements AutoCloseable {

    static final String ISSUER_ID = "corp";

    private final RotatingKeys keys = new RotatingKeys(newKey());
    private final MockOAuth2Server server;

    private TestIdentityProvider(boolean interactiveLogin) {
        OAuth2TokenProvider tokens = new OAuth2TokenProvider(keys, Instant::now);
        server = new MockOAuth2Server(new OAuth2Config(interactiveLogin, null, null, false, tokens));
    }

    /**
     * @param interactiveLogin whether the authorization endpoint shows its sign-in form (for the browser) rather than
     *                         issuing a code at once for the next {@linkplain #signsInNext queued person}
     */
    static TestIdentityProvider start(boolean interactiveLogin) {
        TestIdentityProvider provider = new TestIdentityProvider(interactiveLogin);
        try {
            provider.server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return provider;
    }

    /**
     * Starts a server with the plugin loaded from its file and set up for this provider (provider id {@code corp},
     * button "Sign in with Corp", client {@code shepherd-console}), once its button is offered, with the group
     * {@code shepherd-admins} mapped to the Admin role and {@code auditors} to the Auditor role.
     *
     * @param home the server's installation directory
     * @param clock the server's clock
     */
    TestServer serverSignedInThrough(Path home, Clock clock) throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    identity-oidc:\n"
                + "      providerId: corp\n      displayName: Sign in with Corp\n"
                + "      issuer: \"" + issuer() + "\"\n      clientId: shepherd-console\n");
        TestServer server = TestServer.start(home, Map.of(), clock);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("identity-oidc.zip"));
        await().atMost(Duration.ofSeconds(60)).until(() -> server.get("/api/v1/auth/sign-in-providers").body().contains("\"corp\""));
        for (String mapping : List.of("{\"provider\":\"corp\",\"group\":\"shepherd-admins\",\"roleId\":\"ADMIN\"}",
                "{\"provider\":\"corp\",\"group\":\"auditors\",\"roleId\":\"AUDITOR\"}")) {
            assertThat(server.sendAsAdmin("POST", "/api/v1/role-mappings", mapping).statusCode()).isEqualTo(201);
        }
        return server;
    }

    /** @return the issuer identifier, for the plugin's {@code issuer} setting */
    String issuer() {
        return server.issuerUrl(ISSUER_ID).toString();
    }

    /** @return the id of the key ID tokens are signed with now */
    String keyId() {
        return keys.current.getKeyID();
    }

    /**
     * The next authorization code (non-interactive provider) is for this person.
     *
     * @param audience the ID token's audience; {@code null} for the client that asks
     */
    void signsInNext(String username, List<String> groups, List<String> audience) {
        Map<String, Object> claims = new HashMap<>(Map.of("preferred_username", username, "name", "Person " + username,
                "email", username + "@corp.example", "groups", groups));
        if (audience != null) {
            // The provider's ID tokens name the client that asks; claims of the callback override that.
            claims.put("aud", audience);
        }
        server.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "sub-" + username, "JWT", null, claims, 3600));
    }

    /**
     * @return the {@code Authorization} header of the last request to the token endpoint (the client's Basic
     *         credentials when it has a secret), from the requests the provider received
     */
    Optional<String> lastTokenRequestAuthorization() {
        Optional<String> last = Optional.empty();
        while (true) {
            RecordedRequest request;
            try {
                request = server.takeRequest(1, TimeUnit.MILLISECONDS);
            } catch (RuntimeException drained) {
                // The provider says so with an exception once every request received has been taken.
                return last;
            }
            if (request.getRequestUrl() != null && request.getRequestUrl().encodedPath().endsWith("/token")) {
                last = Optional.ofNullable(request.getHeader("Authorization"));
            }
        }
    }

    /** Publishes a new signing key under a new key id, as a provider rotating its keys does. */
    void rotateKey() {
        keys.current = newKey();
    }

    @Override
    public void close() {
        server.shutdown();
    }

    private static RSAKey newKey() {
        try {
            return new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The provider's keys: one signing key at a time, for every issuer id, which {@link #rotateKey} replaces. */
    private static final class RotatingKeys extends KeyProvider {
        private volatile RSAKey current;

        RotatingKeys(RSAKey first) {
            super(List.of(first), "RS256");
            current = first;
        }

        @Override
        public JWK signingKey(String issuerId) {
            return current;
        }
    }
}
