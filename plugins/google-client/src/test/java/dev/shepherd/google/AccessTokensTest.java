package dev.shepherd.google;

import dev.shepherd.testing.TestSecrets;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class AccessTokensTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String SCOPES = "https://www.googleapis.com/auth/one https://www.googleapis.com/auth/two";

    private final TestClock clock = new TestClock(Instant.parse("2024-05-02T08:00:00Z"));
    private final HttpClient http = GoogleClient.newHttpClient();
    private final ServiceAccountKeys keys = new ServiceAccountKeys(new MemoryPluginStorage(), TestSecrets.sealer(), "key", Set.of());
    private LoopbackGoogle google;

    @BeforeEach
    void start() throws IOException {
        google = LoopbackGoogle.start(TestKeys.PAIR.getPublic());
        keys.upload(TestKeys.bytes(TestKeys.key(TestKeys.PAIR, google.url() + "/token")));
    }

    @AfterEach
    void stop() {
        google.close();
    }

    @Test
    void aTokenComesFromASignedAssertionAndIsKeptUntilAMinuteBeforeItExpires() throws Exception {
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.of("it-admin@example.com"), Optional.empty()), http, clock);

        String token = tokens.token(TIMEOUT);

        assertThat(token).isEqualTo("ya29.loopback-1");
        assertThat(google.lastAssertionHeader().path("alg").asText()).isEqualTo("RS256");
        assertThat(google.lastAssertionHeader().path("kid").asText()).isEqualTo(TestKeys.KEY_ID);
        assertThat(google.lastAssertionClaims().path("iss").asText()).isEqualTo(TestKeys.CLIENT_EMAIL);
        assertThat(google.lastAssertionClaims().path("sub").asText()).isEqualTo("it-admin@example.com");
        assertThat(google.lastAssertionClaims().path("scope").asText()).isEqualTo(SCOPES);
        assertThat(google.lastAssertionClaims().path("aud").asText()).isEqualTo(google.url() + "/token");
        assertThat(google.lastAssertionClaims().path("iat").asLong()).isEqualTo(clock.instant().getEpochSecond());
        assertThat(google.lastAssertionClaims().path("exp").asLong()).isEqualTo(clock.instant().getEpochSecond() + 3600);

        // Google said 3599 s; the token serves until a minute before that.
        clock.advance(Duration.ofSeconds(3599).minus(AccessTokens.EXPIRY_MARGIN).minusSeconds(1));
        assertThat(tokens.token(TIMEOUT)).isEqualTo(token);
        clock.advance(Duration.ofSeconds(1));
        assertThat(tokens.token(TIMEOUT)).isEqualTo("ya29.loopback-2");
        assertThat(tokens.fetched()).isEqualTo(2);
    }

    @Test
    void anAccountActingForItselfSendsNoSubject() throws Exception {
        new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.empty(), Optional.empty()), http, clock).token(TIMEOUT);

        assertThat(google.lastAssertionClaims().has("sub")).isFalse();
    }

    @Test
    void aRejectedTokenOrANewKeyMeansANewToken() throws Exception {
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.empty(), Optional.empty()), http, clock);
        String first = tokens.token(TIMEOUT);

        tokens.rejected("ya29.some-older-token");
        assertThat(tokens.token(TIMEOUT)).as("another token's rejection changes nothing").isEqualTo(first);

        tokens.rejected(first);
        String second = tokens.token(TIMEOUT);
        assertThat(second).isNotEqualTo(first);

        keys.upload(TestKeys.bytes(TestKeys.key(TestKeys.PAIR, google.url() + "/token")));
        assertThat(tokens.token(TIMEOUT)).isNotEqualTo(second);
        assertThat(google.tokensIssued()).isEqualTo(3);
    }

    @Test
    void theTokenUrlOfTheGrantReplacesTheKeys() throws Exception {
        keys.upload(TestKeys.bytes(TestKeys.key(TestKeys.PAIR, "https://oauth2.googleapis.com/token")));
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.empty(), Optional.of(google.uri("/token"))), http, clock);

        assertThat(tokens.token(TIMEOUT)).isEqualTo("ya29.loopback-1");
        assertThat(google.lastAssertionClaims().path("aud").asText()).isEqualTo(google.url() + "/token");
    }

    @Test
    void withoutAKeyNothingIsAskedAndTheRefusalStands() {
        keys.remove();
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.empty(), Optional.empty()), http, clock);

        GoogleException refused = catchThrowableOfType(GoogleException.class, () -> tokens.token(TIMEOUT));

        assertThat(refused).hasMessage("No service-account key has been uploaded.");
        assertThat(refused.status()).isZero();
        assertThat(refused.retriable()).isFalse();
        assertThat(google.requests("/token")).isEmpty();
    }

    @Test
    void googleRefusingTheAssertionStandsAndItsTroubleIsRetriable() {
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.empty(), Optional.empty()), http, clock);
        google.answerNext("/token", LoopbackGoogle.Answer.of(400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}"));
        google.answerNext("/token", LoopbackGoogle.Answer.of(503, ""));

        GoogleException refused = catchThrowableOfType(GoogleException.class, () -> tokens.token(TIMEOUT));
        assertThat(refused).hasMessage("Google refused the service account's token request (400): invalid_grant Invalid JWT Signature.");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.retriable()).isFalse();

        GoogleException unavailable = catchThrowableOfType(GoogleException.class, () -> tokens.token(TIMEOUT));
        assertThat(unavailable).hasMessage("Google refused the service account's token request (503)");
        assertThat(unavailable.retriable()).isTrue();
        assertThat(tokens.fetched()).isZero();
    }

    @Test
    void anAnswerWithoutATokenIsRetriable() {
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.empty(), Optional.empty()), http, clock);
        google.answerNext("/token", LoopbackGoogle.Answer.of(200, "{\"token_type\":\"Bearer\"}"));

        assertThatThrownBy(() -> tokens.token(TIMEOUT)).isInstanceOf(GoogleException.class)
                .hasMessage("Google's token endpoint answered without an access token")
                .satisfies(e -> assertThat(((GoogleException) e).retriable()).isTrue());
    }

    @Test
    void anUnreachableTokenEndpointIsRetriable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/token");
        }
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant(SCOPES, Optional.empty(), Optional.of(closed)), http, clock);

        GoogleException unreachable = catchThrowableOfType(GoogleException.class, () -> tokens.token(TIMEOUT));

        assertThat(unreachable.getMessage()).startsWith("Google's token endpoint could not be reached: ");
        assertThat(unreachable.retriable()).isTrue();
    }
}
