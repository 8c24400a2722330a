package dev.shepherd.plugins.appstore.apple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fake of Apple's Apps and Books service against the published contract: raw HTTP requests, as any client would
 * send them, get Apple's answers and Apple's refusals ({@code errorNumber}, {@code errorMessage}, the documented status).
 */
class LocalVppTest {

    private static final String PAGES = "361309726";
    private static final String KEYNOTE = "361285480";
    private static final String BOOK_LIKE = "284035177";

    private final LocalVpp vpp = LocalVpp.start();
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final String token = vpp.issueToken("Example Org", "Main office", Instant.now().plus(Duration.ofDays(300)));

    LocalVppTest() {
        vpp.addAsset(new LocalVpp.OwnedAsset(PAGES, "STDQ", 2, true, true, List.of("iOS", "macOS"), "Pages", "com.apple.Pages", "14.1"));
        vpp.addAsset(new LocalVpp.OwnedAsset(KEYNOTE, "STDQ", 5, true, true, List.of("iOS"), "Keynote", "com.apple.Keynote", "14.0"));
        vpp.addAsset(new LocalVpp.OwnedAsset(BOOK_LIKE, "STDQ", 3, false, false, List.of("iOS"), "Guide", "com.example.guide", "1.0"));
    }

    @AfterEach
    void stop() {
        vpp.close();
    }

    @Test
    void serviceConfigNeedsNoTokenAndPublishesTheLimitsAndUrls() throws Exception {
        Answer answer = send("GET", "service/config", Optional.empty(), Optional.empty(), null);

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.body().path("limits").path("maxAssets").asInt()).isEqualTo(25);
        assertThat(answer.body().path("limits").path("maxSerialNumbers").asInt()).isEqualTo(1000);
        assertThat(answer.body().path("urls").path("associateAssets").asText()).endsWith("/mdm/v2/assets/associate");
    }

    @Test
    void everyOtherEndpointWantsTheContentTokenAsBearer() throws Exception {
        assertRefused(send("GET", "client/config", Optional.empty(), Optional.empty(), null), 401, 9722);
        assertRefused(send("GET", "client/config", Optional.of("Basic " + token), Optional.empty(), null), 401, 9722);
        assertRefused(send("GET", "client/config", Optional.of("Bearer bm90LWEtdG9rZW4="), Optional.empty(), null), 401, 9601);

        Answer config = send("GET", "client/config", bearer(), Optional.empty(), null);
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.body().path("locationName").asText()).isEqualTo("Main office");
        assertThat(config.body().path("tokenExpirationDate").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+0000");
    }

    @Test
    void expiredAndRevokedTokensAreRefusedWithTheirOwnErrors() throws Exception {
        String expired = vpp.issueToken("Example Org", "Old office", Instant.now().minus(Duration.ofDays(1)));
        assertRefused(send("GET", "assets", Optional.of("Bearer " + expired), Optional.empty(), null), 401, 9621);

        vpp.revoke(token);
        assertRefused(send("GET", "assets", bearer(), Optional.empty(), null), 401, 9625);
    }

    @Test
    void wrongMethodsContentTypesAndBodiesAreRefused() throws Exception {
        assertRefused(send("POST", "assets", bearer(), Optional.of("application/json"), "{}"), 405, 9726);
        assertRefused(send("GET", "assets/associate", bearer(), Optional.empty(), null), 405, 9726);
        assertRefused(send("POST", "assets/associate", bearer(), Optional.of("text/plain"), "{}"), 415, 9727);
        assertRefused(send("POST", "assets/associate", bearer(), Optional.of("application/json"), "{not json"), 400, 9602);
        assertRefused(send("POST", "assets/associate", bearer(), Optional.of("application/json"), "{\"serialNumbers\":[\"C02XK1ABJG5H\"]}"), 400, 9718);
        assertRefused(send("POST", "assets/associate", bearer(), Optional.of("application/json"), "{\"assets\":[{\"adamId\":\"" + PAGES + "\"}]}"), 400, 9719);
        assertRefused(associate(PAGES, "\"C02XK1ABJG5H\",\"C02XK1ABJG5H\""), 400, 9705);
        assertRefused(associate(PAGES, "\"not a serial\""), 400, 9602);
        assertRefused(associate("not-digits", "\"C02XK1ABJG5H\""), 400, 9602);
        assertRefused(associate("999999999", "\"C02XK1ABJG5H\""), 400, 9602);
        assertRefused(associate(BOOK_LIKE, "\"C02XK1ABJG5H\""), 400, 9707);
        assertRefused(send("POST", "assets/associate", bearer(), Optional.of("application/json"),
                "{\"assets\":[{\"adamId\":\"" + PAGES + "\"},{\"adamId\":\"" + PAGES + "\"}],\"serialNumbers\":[\"C02XK1ABJG5H\"]}"), 400, 9703);
        assertRefused(send("GET", "nothing/here", bearer(), Optional.empty(), null), 404, 9602);
    }

    @Test
    void assetsArePagedFromPageIndexZeroAndRefuseIndexesOutsideThePages() throws Exception {
        vpp.pageSize(2);

        Answer first = send("GET", "assets", bearer(), Optional.empty(), null);
        assertThat(first.body().path("currentPageIndex").asInt()).isZero();
        assertThat(first.body().path("totalPages").asInt()).isEqualTo(2);
        assertThat(first.body().path("nextPageIndex").asInt()).isEqualTo(1);
        assertThat(first.body().path("size").asInt()).isEqualTo(2);
        Answer last = send("GET", "assets?pageIndex=1", bearer(), Optional.empty(), null);
        assertThat(last.body().has("nextPageIndex")).isFalse();
        assertThat(last.body().path("assets")).hasSize(1);

        assertRefused(send("GET", "assets?pageIndex=2", bearer(), Optional.empty(), null), 400, 9650);
        assertRefused(send("GET", "assets?pageIndex=-1", bearer(), Optional.empty(), null), 400, 9650);
        assertRefused(send("GET", "assets?pageIndex=two", bearer(), Optional.empty(), null), 400, 9650);
    }

    @Test
    void associatingIsAsynchronousAndFailsWholeWhenTooFewLicencesAreLeft() throws Exception {
        vpp.holdEvents();
        Answer accepted = associate(PAGES, "\"C02XK1ABJG5H\",\"DMPQ2LL0FK10\"");
        assertThat(accepted.status()).isEqualTo(200);
        String eventId = accepted.body().path("eventId").asText();
        assertThat(send("GET", "status?eventId=" + eventId, bearer(), Optional.empty(), null).body().path("eventStatus").asText()).isEqualTo("PENDING");

        vpp.releaseEvents();
        JsonNode done = send("GET", "status?eventId=" + eventId, bearer(), Optional.empty(), null).body();
        assertThat(done.path("eventStatus").asText()).isEqualTo("COMPLETE");
        assertThat(done.path("numCompleted").asInt()).isEqualTo(2);
        assertThat(vpp.assignedSerialNumbers(PAGES)).containsExactlyInAnyOrder("C02XK1ABJG5H", "DMPQ2LL0FK10");
        JsonNode counts = send("GET", "assets?adamId=" + PAGES, bearer(), Optional.empty(), null).body().path("assets").path(0);
        assertThat(counts.path("assignedCount").asInt()).isEqualTo(2);
        assertThat(counts.path("availableCount").asInt()).isZero();

        String refusedEvent = associate(PAGES, "\"F9FZ1234N72J\"").body().path("eventId").asText();
        JsonNode failed = send("GET", "status?eventId=" + refusedEvent, bearer(), Optional.empty(), null).body();
        assertThat(failed.path("eventStatus").asText()).isEqualTo("FAILED");
        assertThat(failed.path("failures").path(0).path("errorNumber").asInt()).isEqualTo(9709);
        assertThat(failed.path("failures").path(0).path("errorInfo").path("serialNumbers").path(0).asText()).isEqualTo("F9FZ1234N72J");

        assertRefused(send("GET", "status?eventId=unknown", bearer(), Optional.empty(), null), 400, 9708);
    }

    @Test
    void disassociatingFreesTheLicenceButOnlyForRevocableAssets() throws Exception {
        associate(KEYNOTE, "\"C02XK1ABJG5H\"");
        assertThat(vpp.assignedSerialNumbers(KEYNOTE)).containsExactly("C02XK1ABJG5H");

        Answer released = send("POST", "assets/disassociate", bearer(), Optional.of("application/json"),
                "{\"assets\":[{\"adamId\":\"" + KEYNOTE + "\",\"pricingParam\":\"STDQ\"}],\"serialNumbers\":[\"C02XK1ABJG5H\"]}");
        assertThat(released.status()).isEqualTo(200);
        assertThat(vpp.assignedSerialNumbers(KEYNOTE)).isEmpty();
        assertRefused(send("POST", "assets/disassociate", bearer(), Optional.of("application/json"),
                "{\"assets\":[{\"adamId\":\"" + BOOK_LIKE + "\"}],\"serialNumbers\":[\"C02XK1ABJG5H\"]}"), 400, 9706);
    }

    @Test
    void usersAreCreatedAsynchronouslyAndListedWithTheirInvitationUntilTheyAcceptIt() throws Exception {
        String eventId = manageUsers("create", "{\"clientUserId\":\"c-100\",\"email\":\"ann@example.org\"}").body().path("eventId").asText();
        assertThat(status(eventId).path("eventStatus").asText()).isEqualTo("COMPLETE");

        JsonNode registered = send("GET", "users?clientUserId=c-100", bearer(), Optional.empty(), null).body().path("users").path(0);
        assertThat(registered.path("status").asText()).isEqualTo("Registered");
        assertThat(registered.path("email").asText()).isEqualTo("ann@example.org");
        assertThat(registered.path("inviteCode").asText()).matches("[0-9a-f]{32}");
        assertThat(registered.has("idHash")).isFalse();

        vpp.acceptInvitation("c-100");
        JsonNode associated = send("GET", "users?clientUserId=c-100", bearer(), Optional.empty(), null).body().path("users").path(0);
        assertThat(associated.path("status").asText()).isEqualTo("Associated");
        assertThat(associated.has("inviteCode")).isFalse();
        assertThat(associated.path("idHash").asText()).isNotBlank();

        String again = manageUsers("create", "{\"clientUserId\":\"c-100\"}").body().path("eventId").asText();
        assertThat(status(again).path("eventStatus").asText()).as("creating an active user returns it").isEqualTo("COMPLETE");
        assertThat(vpp.userStatus("c-100")).hasValue("Associated");
    }

    @Test
    void aManagedAppleAccountOfTheOrganisationIsAssociatedAtOnceAndAForeignOneFails() throws Exception {
        manageUsers("create", "{\"clientUserId\":\"c-200\",\"email\":\"bo@example.org\",\"managedAppleId\":\"bo@" + LocalVpp.MANAGED_DOMAIN + "\"}");
        assertThat(vpp.userStatus("c-200")).hasValue("Associated");

        String foreign = manageUsers("create", "{\"clientUserId\":\"c-201\",\"managedAppleId\":\"cy@elsewhere.example\"}").body().path("eventId").asText();
        JsonNode failed = status(foreign);
        assertThat(failed.path("eventStatus").asText()).isEqualTo("FAILED");
        assertThat(failed.path("failures").path(0).path("errorNumber").asInt()).isEqualTo(9602);
        assertThat(vpp.userStatus("c-201")).isEmpty();
    }

    @Test
    void badUserRequestsAreRefusedAtOnce() throws Exception {
        assertRefused(send("POST", "users/create", bearer(), Optional.of("application/json"), "{}"), 400, 9602);
        assertRefused(send("POST", "users/create", bearer(), Optional.of("application/json"), "{\"users\":[]}"), 400, 9602);
        assertRefused(manageUsers("create", "{\"email\":\"no-id@example.org\"}"), 400, 9602);
        assertRefused(manageUsers("create", "{\"clientUserId\":\"\"}"), 400, 9602);
        assertRefused(manageUsers("create", "{\"clientUserId\":\"c-1\",\"email\":\"not an address\"}"), 400, 9602);
        assertRefused(manageUsers("create", "{\"clientUserId\":\"c-1\"},{\"clientUserId\":\"c-1\"}"), 400, 9704);
        assertRefused(send("GET", "users/create", bearer(), Optional.empty(), null), 405, 9726);
        assertRefused(send("POST", "users/create", bearer(), Optional.of("text/plain"), "{}"), 415, 9727);
        assertRefused(associateUsers(KEYNOTE, "\"c-1\",\"c-1\""), 400, 9704);
        assertRefused(associateUsers(KEYNOTE, "\"\""), 400, 9602);
    }

    @Test
    void userLicencesDrawOnTheSamePoolAndNeedAUserAppleHas() throws Exception {
        manageUsers("create", "{\"clientUserId\":\"c-300\"},{\"clientUserId\":\"c-301\"}");
        associate(PAGES, "\"C02XK1ABJG5H\"");

        JsonNode unknown = status(associateUsers(PAGES, "\"c-999\"").body().path("eventId").asText());
        assertThat(unknown.path("eventStatus").asText()).isEqualTo("FAILED");
        assertThat(unknown.path("failures").path(0).path("errorNumber").asInt()).isEqualTo(9609);
        assertThat(unknown.path("failures").path(0).path("errorInfo").path("clientUserIds").path(0).asText()).isEqualTo("c-999");

        assertThat(status(associateUsers(PAGES, "\"c-300\"").body().path("eventId").asText()).path("eventStatus").asText()).isEqualTo("COMPLETE");
        assertThat(vpp.assignedClientUserIds(PAGES)).containsExactly("c-300");
        JsonNode counts = send("GET", "assets?adamId=" + PAGES, bearer(), Optional.empty(), null).body().path("assets").path(0);
        assertThat(counts.path("assignedCount").asInt()).isEqualTo(2);
        JsonNode assignment = send("GET", "assignments?clientUserId=c-300", bearer(), Optional.empty(), null).body().path("assignments").path(0);
        assertThat(assignment.path("adamId").asText()).isEqualTo(PAGES);

        JsonNode exhausted = status(associateUsers(PAGES, "\"c-301\"").body().path("eventId").asText());
        assertThat(exhausted.path("failures").path(0).path("errorNumber").asInt()).isEqualTo(9709);
        assertThat(exhausted.path("failures").path(0).path("errorInfo").path("clientUserIds").path(0).asText()).isEqualTo("c-301");
    }

    @Test
    void retiringAUserReleasesTheirLicencesAndRetiringThemAgainFails() throws Exception {
        manageUsers("create", "{\"clientUserId\":\"c-400\"}");
        associateUsers(KEYNOTE, "\"c-400\"");
        assertThat(vpp.assignedClientUserIds(KEYNOTE)).containsExactly("c-400");

        assertThat(status(manageUsers("retire", "{\"clientUserId\":\"c-400\"}").body().path("eventId").asText()).path("eventStatus").asText())
                .isEqualTo("COMPLETE");
        assertThat(vpp.userStatus("c-400")).hasValue("Retired");
        assertThat(vpp.assignedClientUserIds(KEYNOTE)).isEmpty();
        assertThat(send("GET", "users?clientUserId=c-400", bearer(), Optional.empty(), null).body().path("users")).isEmpty();
        assertThat(send("GET", "users?clientUserId=c-400&includeRetired=true", bearer(), Optional.empty(), null).body().path("users")).hasSize(1);

        JsonNode again = status(manageUsers("retire", "{\"clientUserId\":\"c-400\"}").body().path("eventId").asText());
        assertThat(again.path("failures").path(0).path("errorNumber").asInt()).isEqualTo(9618);
        JsonNode update = status(manageUsers("update", "{\"clientUserId\":\"c-400\",\"email\":\"back@example.org\"}").body().path("eventId").asText());
        assertThat(update.path("failures").path(0).path("errorNumber").asInt()).as("a retired user is not updated").isEqualTo(9609);

        manageUsers("create", "{\"clientUserId\":\"c-400\"}");
        assertThat(vpp.userStatus("c-400")).as("a never-associated retired user is registered again").hasValue("Registered");
    }

    @Test
    void throttlingAnswers429WithRetryAfter() throws Exception {
        vpp.throttleNext(1, 7);

        HttpResponse<String> throttled = http.send(HttpRequest.newBuilder(vpp.serviceUrl().resolve("assets"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).contains("7");
        assertThat(json.readTree(throttled.body()).path("errorNumber").asInt()).isEqualTo(9646);
        assertThat(send("GET", "assets", bearer(), Optional.empty(), null).status()).isEqualTo(200);
    }

    @Test
    void clientConfigRecordsTheMdmAndRefusesIncompleteInformation() throws Exception {
        assertRefused(send("POST", "client/config", bearer(), Optional.of("application/json"), "{\"mdmInfo\":{\"id\":\"x\"}}"), 400, 9723);
        assertRefused(send("POST", "client/config", bearer(), Optional.of("application/json"), "{\"notificationUrl\":\"https://example.com/n\"}"), 400, 9710);

        Answer set = send("POST", "client/config", bearer(), Optional.of("application/json"),
                "{\"mdmInfo\":{\"id\":\"522d5c43\",\"name\":\"Shepherd\",\"metadata\":\"0.1.0\"}}");
        assertThat(set.status()).isEqualTo(200);
        assertThat(send("GET", "assets", bearer(), Optional.empty(), null).body().path("mdmInfo").path("name").asText()).isEqualTo("Shepherd");
    }

    @Test
    void theLookupAnswersOwnedAppsAndLeavesUnknownIdsOut() throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(vpp.lookupUrl() + "?version=2&id=" + PAGES
                + ",123&p=mdm-lockup&caller=MDM&platform=enterprisestore&cc=us&l=en")).header("Cookie", "itvt=" + token).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode results = json.readTree(answer.body()).path("results");
        assertThat(results.has("123")).isFalse();
        assertThat(results.path(PAGES).path("bundleId").asText()).isEqualTo("com.apple.Pages");
        assertThat(results.path(PAGES).path("offers").path(0).path("version").path("display").asText()).isEqualTo("14.1");

        HttpResponse<String> incomplete = http.send(HttpRequest.newBuilder(URI.create(vpp.lookupUrl() + "?id=" + PAGES)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(incomplete.statusCode()).isEqualTo(400);
    }

    private Answer associate(String adamId, String serials) throws Exception {
        return send("POST", "assets/associate", bearer(), Optional.of("application/json"),
                "{\"assets\":[{\"adamId\":\"" + adamId + "\",\"pricingParam\":\"STDQ\"}],\"serialNumbers\":[" + serials + "]}");
    }

    private Answer associateUsers(String adamId, String clientUserIds) throws Exception {
        return send("POST", "assets/associate", bearer(), Optional.of("application/json"),
                "{\"assets\":[{\"adamId\":\"" + adamId + "\",\"pricingParam\":\"STDQ\"}],\"clientUserIds\":[" + clientUserIds + "]}");
    }

    /** {@code users/<action>} with the given user objects. */
    private Answer manageUsers(String action, String users) throws Exception {
        return send("POST", "users/" + action, bearer(), Optional.of("application/json"), "{\"users\":[" + users + "]}");
    }

    private JsonNode status(String eventId) throws Exception {
        return send("GET", "status?eventId=" + eventId, bearer(), Optional.empty(), null).body();
    }

    private Optional<String> bearer() {
        return Optional.of("Bearer " + token);
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer send(String method, String path, Optional<String> authorization, Optional<String> contentType, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(vpp.serviceUrl().resolve(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        authorization.ifPresent(value -> request.header("Authorization", value));
        contentType.ifPresent(value -> request.header("Content-Type", value));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), json.readTree(response.body()));
    }

    private static void assertRefused(Answer answer, int status, int errorNumber) {
        assertThat(answer.status()).as("HTTP status").isEqualTo(status);
        assertThat(answer.body().path("errorNumber").asInt()).as("Apple's errorNumber").isEqualTo(errorNumber);
        assertThat(answer.body().path("errorMessage").asText()).isNotBlank();
    }
}
