package dev.shepherd.plugins.threat.defender;

import dev.shepherd.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The fake refuses what Microsoft refuses, so the plugin's tests against it mean something. */
class LocalDefenderTest {

    private final TestClock clock = new TestClock(Instant.parse("2026-12-04T10:00:00Z"));
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalDefender defender;
    private String token;

    @BeforeEach
    void start() throws Exception {
        defender = LocalDefender.start(clock);
        defender.machine("m1", "alice-iphone", "High", Optional.empty());
        HttpResponse<String> issued = tokenRequest("grant_type=client_credentials&client_id=" + LocalDefender.CLIENT_ID
                + "&client_secret=" + LocalDefender.CLIENT_SECRET.replace("~", "%7E") + "&scope=https%3A%2F%2Fapi.securitycenter.microsoft.com%2F.default");
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(200);
        token = issued.body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
    }

    @AfterEach
    void stop() {
        defender.close();
    }

    private HttpResponse<String> tokenRequest(String form) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(defender.url() + "/" + LocalDefender.TENANT + "/oauth2/v2.0/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String pathAndQuery, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(defender.url() + pathAndQuery.replace(" ", "%20").replace("'", "%27")));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void tokensAreIssuedOnlyForTheDocumentedClientCredentialsRequest() throws Exception {
        assertThat(tokenRequest("grant_type=password&client_id=" + LocalDefender.CLIENT_ID).body()).contains("unsupported_grant_type");
        HttpResponse<String> wrongScope = tokenRequest("grant_type=client_credentials&client_id=" + LocalDefender.CLIENT_ID
                + "&client_secret=" + LocalDefender.CLIENT_SECRET.replace("~", "%7E") + "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default");
        assertThat(wrongScope.statusCode()).isEqualTo(400);
        assertThat(wrongScope.body()).contains("invalid_scope").contains("AADSTS70011");
    }

    @Test
    void theApiWantsAFreshBearerToken() throws Exception {
        assertThat(get("/api/machines", null).statusCode()).isEqualTo(401);
        assertThat(get("/api/machines", "forged").body()).contains("\"code\":\"Unauthorized\"");
        assertThat(get("/api/machines", token).statusCode()).isEqualTo(200);
        clock.advance(Duration.ofHours(1));
        assertThat(get("/api/machines", token).statusCode()).isEqualTo(401);
    }

    @Test
    void unsupportedODataAndOutOfBoundsPagesAreBadRequests() throws Exception {
        assertThat(get("/api/machines?$orderby=id", token).statusCode()).isEqualTo(400);
        assertThat(get("/api/machines?$top=10001", token).body()).contains("maximum page size is 10000");
        assertThat(get("/api/machines?$top=0", token).statusCode()).isEqualTo(400);
        assertThat(get("/api/machines?$filter=firstSeen gt 2026-01-01Z", token).body()).contains("Invalid filter");
        assertThat(get("/api/machines?$filter=riskScore eq 'High'", token).body()).contains("\"id\":\"m1\"");
        assertThat(get("/api/machines?$filter=lastSeen gt 2026-12-05Z", token).statusCode()).isEqualTo(404);
        assertThat(get("/api/machines/m1/alerts?$top=1", token).statusCode()).isEqualTo(400);
        assertThat(get("/api/machines/unknown/alerts", token).statusCode()).isEqualTo(404);
    }

    @Test
    void pastTheRateLimitDefenderAnswers429WithRetryAfter() throws Exception {
        defender.callsPerMinute(2);
        get("/api/machines", token);
        get("/api/machines", token);
        HttpResponse<String> throttled = get("/api/machines", token);
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).isPresent();
        clock.advance(Duration.ofMinutes(1));
        assertThat(get("/api/machines", token).statusCode()).isEqualTo(200);
    }
}
