package dev.shepherd.google;

import dev.shepherd.testing.TestSecrets;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.MemoryPluginStorage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class GoogleClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Three tries, backing off briefly so the tests stay fast, waiting out a Retry-After of up to ten seconds. */
    private static final RetryPolicy PATIENT = new RetryPolicy(3, Duration.ofMillis(20), Duration.ofSeconds(10), Duration.ofSeconds(5));

    private final TestClock clock = new TestClock(Instant.parse("2024-05-02T08:00:00Z"));
    private final ServiceAccountKeys keys = new ServiceAccountKeys(new MemoryPluginStorage(), TestSecrets.sealer(), "key", Set.of());
    private LoopbackGoogle google;
    private GoogleClient client;

    @BeforeEach
    void start() throws IOException {
        google = LoopbackGoogle.start(TestKeys.PAIR.getPublic());
        keys.upload(TestKeys.bytes(TestKeys.key(TestKeys.PAIR, google.url() + "/token")));
        HttpClient http = GoogleClient.newHttpClient();
        AccessTokens tokens = new AccessTokens(keys, new AccessTokens.Grant("https://www.googleapis.com/auth/test", Optional.empty(), Optional.empty()), http, clock);
        client = new GoogleClient(tokens, http, clock);
    }

    @AfterEach
    void stop() {
        google.close();
    }

    @Test
    void callsCarryTheTokenAndTheirJsonBodyAndAnswerGooglesJson() throws Exception {
        JsonNode answer = client.call("POST", google.uri("/v1/things"), Optional.of(JSON.readTree("{\"name\":\"a\"}")), PATIENT);
        JsonNode again = client.call("GET", google.uri("/v1/things/a"), Optional.empty(), PATIENT);

        assertThat(answer.path("path").asText()).isEqualTo("/v1/things");
        assertThat(again.path("path").asText()).isEqualTo("/v1/things/a");
        LoopbackGoogle.Request posted = google.requests("/v1/things").get(0);
        assertThat(posted.method()).isEqualTo("POST");
        assertThat(posted.headers()).containsEntry("authorization", "Bearer ya29.loopback-1").containsEntry("accept", "application/json")
                .containsEntry("content-type", "application/json; charset=utf-8");
        assertThat(JSON.readTree(posted.body())).isEqualTo(JSON.readTree("{\"name\":\"a\"}"));
        assertThat(google.requests("/v1/things/a").get(0).headers()).containsEntry("authorization", "Bearer ya29.loopback-1");
        assertThat(client.statistics()).isEqualTo(new GoogleClient.Statistics(2, 0, 1, 0, Optional.empty(), Optional.empty()));
    }

    @Test
    void anEmptyAnswerIsAnEmptyObject() throws Exception {
        google.answerNext("/v1/things/a", LoopbackGoogle.Answer.of(200, ""));

        assertThat(client.call("DELETE", google.uri("/v1/things/a"), Optional.empty(), PATIENT)).isEqualTo(JSON.createObjectNode());
    }

    @Test
    void a401RenewsTheTokenOnceAndRepeatsTheCall() throws Exception {
        google.answerNext("/v1/things", LoopbackGoogle.Answer.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));

        client.call("GET", google.uri("/v1/things"), Optional.empty(), RetryPolicy.once(Duration.ofSeconds(5)));

        List<LoopbackGoogle.Request> tries = google.requests("/v1/things");
        assertThat(tries).extracting(request -> request.headers().get("authorization"))
                .containsExactly("Bearer ya29.loopback-1", "Bearer ya29.loopback-2");
        assertThat(client.statistics().tokensFetched()).isEqualTo(2);
        assertThat(client.statistics().retried()).as("a renewal is not a retry").isZero();
    }

    @Test
    void a401ToTheRenewedTokenIsARefusal() {
        google.answerNext("/v1/things", LoopbackGoogle.Answer.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
        google.answerNext("/v1/things", LoopbackGoogle.Answer.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."));

        GoogleException refused = catchThrowableOfType(GoogleException.class,
                () -> client.call("GET", google.uri("/v1/things"), Optional.empty(), PATIENT));

        assertThat(refused).hasMessage("GET /v1/things: Google answered 401: UNAUTHENTICATED Request had invalid authentication credentials.");
        assertThat(refused.retriable()).isFalse();
        assertThat(google.requests("/v1/things")).hasSize(2);
    }

    @Test
    void aRefusalIsNotRetriedAndKeptAsTheLastErrorInGooglesWords() {
        google.answerNext("/v1/things", LoopbackGoogle.Answer.error(403, "PERMISSION_DENIED", "Caller does not have permission"));

        GoogleException refused = catchThrowableOfType(GoogleException.class,
                () -> client.call("POST", google.uri("/v1/things"), Optional.of(JSON.createObjectNode()), PATIENT));

        assertThat(refused).hasMessage("POST /v1/things: Google answered 403: PERMISSION_DENIED Caller does not have permission");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.retriable()).isFalse();
        assertThat(google.requests("/v1/things")).hasSize(1);
        assertThat(client.statistics()).isEqualTo(new GoogleClient.Statistics(1, 0, 1, 1, Optional.of(refused.getMessage()), Optional.of(clock.instant())));
    }

    @Test
    void theFieldsGoogleRefusedAreTold() {
        google.answerNext("/v1/things", LoopbackGoogle.Answer.of(400, """
                {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "Invalid JSON payload received.",
                  "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
                    {"field": "usbDataAccess", "description": "Cannot find field."}]}]}}"""));

        GoogleException refused = catchThrowableOfType(GoogleException.class,
                () -> client.call("PATCH", google.uri("/v1/things"), Optional.of(JSON.createObjectNode()), PATIENT));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.fieldViolations()).containsExactly(new GoogleException.FieldViolation("usbDataAccess", "Cannot find field."));
        assertThat(new GoogleException(403, "no", false).fieldViolations()).isEmpty();
    }

    @Test
    void throttlingWaitsOutRetryAfter() throws Exception {
        google.answerNext("/v1/things", new LoopbackGoogle.Answer(429, Map.of("Retry-After", "1"), "{\"error\":{\"code\":429,\"message\":\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}}"));

        client.call("GET", google.uri("/v1/things"), Optional.empty(), PATIENT);

        List<LoopbackGoogle.Request> tries = google.requests("/v1/things");
        assertThat(tries).hasSize(2);
        assertThat(Duration.between(tries.get(0).at(), tries.get(1).at())).isGreaterThanOrEqualTo(Duration.ofMillis(950));
        assertThat(client.statistics().retried()).isEqualTo(1);
    }

    @Test
    void aRetryAfterDateThatHasPassedIsNoWaitAtAll() throws Exception {
        String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().minusSeconds(30).atZone(ZoneOffset.UTC));
        google.answerNext("/v1/things", new LoopbackGoogle.Answer(429, Map.of("Retry-After", past), ""));

        client.call("GET", google.uri("/v1/things"), Optional.empty(), PATIENT);

        assertThat(google.requests("/v1/things")).hasSize(2);
    }

    @Test
    void aRetryAfterLongerThanTheLongestWaitEndsTheCallForALaterRound() {
        google.answerNext("/v1/things", new LoopbackGoogle.Answer(429, Map.of("Retry-After", "120"), "{\"error\":{\"code\":429,\"message\":\"Quota exceeded\",\"status\":\"RESOURCE_EXHAUSTED\"}}"));

        GoogleException throttled = catchThrowableOfType(GoogleException.class,
                () -> client.call("GET", google.uri("/v1/things"), Optional.empty(), PATIENT));

        assertThat(throttled).hasMessage("GET /v1/things: Google answered 429: RESOURCE_EXHAUSTED Quota exceeded"
                + " (Retry-After 120 s is longer than maxRetryAfter; tried again later)");
        assertThat(throttled.retriable()).isTrue();
        assertThat(throttled.retryAfter()).as("kept for whoever reschedules the work").contains(Duration.ofSeconds(120));
        assertThat(google.requests("/v1/things")).hasSize(1);
    }

    @Test
    void googlesTroubleIsRetriedWithBackoffUntilTheTriesRunOut() throws Exception {
        google.answerNext("/v1/things", LoopbackGoogle.Answer.error(503, "UNAVAILABLE", "The service is currently unavailable."));
        google.answerNext("/v1/things", LoopbackGoogle.Answer.error(500, "INTERNAL", "Internal error encountered."));

        client.call("GET", google.uri("/v1/things"), Optional.empty(), PATIENT);
        assertThat(google.requests("/v1/things")).hasSize(3);

        for (int i = 0; i < 3; i++) {
            google.answerNext("/v1/other", LoopbackGoogle.Answer.error(500, "INTERNAL", "Internal error encountered."));
        }
        GoogleException exhausted = catchThrowableOfType(GoogleException.class,
                () -> client.call("GET", google.uri("/v1/other"), Optional.empty(), PATIENT));
        assertThat(exhausted).hasMessage("GET /v1/other: Google answered 500: INTERNAL Internal error encountered.");
        assertThat(exhausted.retriable()).isTrue();
        assertThat(exhausted.retryAfter()).as("Google asked for no wait").isEmpty();
        assertThat(google.requests("/v1/other")).hasSize(3);
        assertThat(client.statistics().retried()).isEqualTo(4);
        assertThat(client.statistics().failed()).isEqualTo(1);
    }

    @Test
    void aCallSomeoneWaitsForIsTriedOnce() {
        google.answerNext("/v1/things", LoopbackGoogle.Answer.error(503, "UNAVAILABLE", "The service is currently unavailable."));

        GoogleException unavailable = catchThrowableOfType(GoogleException.class,
                () -> client.call("GET", google.uri("/v1/things"), Optional.empty(), RetryPolicy.once(Duration.ofSeconds(5))));

        assertThat(unavailable.retriable()).isTrue();
        assertThat(google.requests("/v1/things")).hasSize(1);
    }

    @Test
    void anAnswerThatIsNotJsonIsTriedAgain() throws Exception {
        google.answerNext("/v1/things", LoopbackGoogle.Answer.of(200, "<html>maintenance</html>"));

        assertThat(client.call("GET", google.uri("/v1/things"), Optional.empty(), PATIENT).path("path").asText()).isEqualTo("/v1/things");
        assertThat(google.requests("/v1/things")).hasSize(2);
    }

    @Test
    void anUnreachableGoogleIsRetriable() throws IOException {
        URI closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/v1/things");
        }
        URI target = closed;

        GoogleException unreachable = catchThrowableOfType(GoogleException.class, () -> client.call("GET", target, Optional.empty(), PATIENT));

        assertThat(unreachable.getMessage()).startsWith("GET /v1/things: Google could not be reached: ");
        assertThat(unreachable.retriable()).isTrue();
        assertThat(unreachable.status()).isZero();
        assertThat(client.statistics().retried()).isEqualTo(2);
    }

    @Test
    void withoutAKeyTheCallFailsAtOnce() {
        keys.remove();

        GoogleException refused = catchThrowableOfType(GoogleException.class,
                () -> client.call("GET", google.uri("/v1/things"), Optional.empty(), PATIENT));

        assertThat(refused).hasMessage("No service-account key has been uploaded.");
        assertThat(refused.retriable()).isFalse();
        assertThat(google.requests("/v1/things")).isEmpty();
        assertThat(client.statistics().failed()).isEqualTo(1);
    }
}
