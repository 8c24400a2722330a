package dev.shepherd.apple;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The device assignment service client against the local stand-in of Apple's service: an OAuth-signed session,
 * a full fetch paged by 1,000 then syncs from its cursor, session renewal, Apple's cursor, terms and throttling
 * errors, and profiles defined and assigned.
 */
class DeviceAssignmentClientTest {

    private final Clock clock = Clock.systemUTC();
    private final AdeTokenFiles.Credentials credentials = AdeTokenFiles.Credentials.expiring("dep1", Instant.now().plus(Duration.ofDays(300)));
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalDeviceAssignment apple;
    private DeviceAssignmentClient client;

    @BeforeEach
    void start() throws Exception {
        apple = LocalDeviceAssignment.start(credentials, clock);
        client = new DeviceAssignmentClient(http, apple.uri(), token(credentials), clock);
    }

    @AfterEach
    void stop() {
        apple.close();
    }

    private static AdeServerTokens.Token token(AdeTokenFiles.Credentials credentials) {
        return new AdeServerTokens.Token("default", credentials.consumerKey(), credentials.consumerSecret(),
                credentials.accessToken(), credentials.accessSecret(), credentials.expiry(), Instant.now());
    }

    @Test
    void aSignedSessionOpensTheAccount() {
        DeviceAssignmentClient.Account account = client.account();

        assertThat(account.serverName()).isEqualTo("Shepherd");
        assertThat(account.orgName()).isEqualTo("Example Org");
        assertThat(apple.sessionsOpened()).isEqualTo(1);
        client.account();
        assertThat(apple.sessionsOpened()).as("the session is reused").isEqualTo(1);
    }

    @Test
    void aTokenWithAWrongSecretIsRefused() {
        AdeServerTokens.Token forged = new AdeServerTokens.Token("default", credentials.consumerKey(), "CS_guessed",
                credentials.accessToken(), credentials.accessSecret(), credentials.expiry(), Instant.now());
        DeviceAssignmentClient wrong = new DeviceAssignmentClient(http, apple.uri(), forged, clock);

        assertThatThrownBy(wrong::account).isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class,
                error -> assertThat(error.code()).isEqualTo("UNAUTHORIZED"));
        assertThat(apple.sessionsOpened()).isZero();
    }

    @Test
    void twoThousandFiveHundredDevicesArriveInPagesOfAThousandThenChangesBySync() {
        for (int i = 0; i < 2500; i++) {
            apple.assign("C02X%05d".formatted(i), "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");
        }

        List<DeviceAssignmentClient.Device> fetched = new ArrayList<>();
        List<Integer> pages = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        DeviceAssignmentClient.DevicePage page;
        do {
            page = client.fetchDevices(cursor, 1000);
            fetched.addAll(page.devices());
            pages.add(page.devices().size());
            cursor = Optional.of(page.cursor());
        } while (page.moreToFollow());

        assertThat(pages).containsExactly(1000, 1000, 500);
        assertThat(fetched).extracting(DeviceAssignmentClient.Device::serialNumber).doesNotHaveDuplicates().hasSize(2500);
        assertThat(fetched.get(0)).satisfies(device -> {
            assertThat(device.model()).isEqualTo("iPhone 15");
            assertThat(device.color()).isEqualTo("BLACK");
            assertThat(device.os()).isEqualTo("iOS");
            assertThat(device.opType()).isEmpty();
        });
        assertThat(page.fetchedUntil()).isPresent();

        apple.assign("C02NEW00001", "MacBook Air", "MacBook Air M3", "MIDNIGHT", "OSX");
        apple.describe("C02X00007", "Reception iPhone");
        apple.unassign("C02X00008");
        DeviceAssignmentClient.DevicePage changes = client.syncDevices(page.cursor(), 1000);

        assertThat(changes.devices()).extracting(DeviceAssignmentClient.Device::serialNumber,
                        device -> device.opType().orElseThrow())
                .containsExactly(Tuple.tuple("C02NEW00001", "added"),
                        Tuple.tuple("C02X00007", "modified"),
                        Tuple.tuple("C02X00008", "deleted"));
        assertThat(changes.moreToFollow()).isFalse();
        assertThat(client.syncDevices(changes.cursor(), 1000).devices()).isEmpty();
    }

    @Test
    void anExpiredSessionIsRenewedAndTheCallRepeated() {
        client.account();
        apple.expireSessions();

        assertThat(client.account().serverName()).isEqualTo("Shepherd");
        assertThat(apple.sessionsOpened()).isEqualTo(2);
    }

    @Test
    void cursorErrorsComeBackWithApplesCodes() {
        apple.assign("C02A", "iPad", "iPad Air", "BLUE", "iOS");
        DeviceAssignmentClient.DevicePage page = client.fetchDevices(Optional.empty(), 100);

        assertThatThrownBy(() -> client.syncDevices("not-a-cursor", 100))
                .isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class, error -> {
                    assertThat(error.status()).isEqualTo(400);
                    assertThat(error.code()).isEqualTo("INVALID_CURSOR");
                });
        apple.expireCursors();
        assertThatThrownBy(() -> client.syncDevices(page.cursor(), 100))
                .isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class,
                        error -> assertThat(error.code()).isEqualTo("EXPIRED_CURSOR"));
        assertThatThrownBy(() -> client.fetchDevices(Optional.empty(), 1001)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unsignedTermsAndThrottlingAreReportedWithWhenToRetry() {
        apple.requireNewTerms(true);
        assertThatThrownBy(client::account).isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class, error -> {
            assertThat(error.status()).isEqualTo(403);
            assertThat(error.code()).isEqualTo("T_C_NOT_SIGNED");
            assertThat(error.retryAfter()).isEmpty();
        });
        apple.requireNewTerms(false);

        apple.throttleNext(429, 42);
        assertThatThrownBy(client::account).isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class, error -> {
            assertThat(error.status()).isEqualTo(429);
            assertThat(error.retryAfter()).hasValue(Duration.ofSeconds(42));
        });
        apple.throttleNext(503, 7);
        assertThatThrownBy(client::account).isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class,
                error -> assertThat(error.retryAfter()).hasValue(Duration.ofSeconds(7)));
        assertThat(client.account().serverName()).isEqualTo("Shepherd");
    }

    @Test
    void aProfileIsDefinedAssignedAndReadBack() {
        apple.assign("C02A", "iPad", "iPad Air", "BLUE", "iOS");
        ObjectNode profile = new ObjectMapper().createObjectNode().put("profile_name", "Supervised")
                .put("url", "https://mdm.example.com/mdm/apple-ios/ade/enroll").put("is_supervised", true)
                .put("is_mandatory", true).put("is_mdm_removable", false).put("await_device_configured", true)
                .put("department", "IT").put("support_phone_number", "+1 555 0100");
        profile.putArray("skip_setup_items").add("Location").add("Privacy");

        String uuid = client.defineProfile(profile);
        Map<String, String> outcome = client.assignProfile(uuid, List.of("C02A", "C02UNKNOWN"));

        assertThat(outcome).containsExactly(Map.entry("C02A", "SUCCESS"), Map.entry("C02UNKNOWN", "NOT_ACCESSIBLE"));
        assertThat(client.profile(uuid).path("is_supervised").asBoolean()).isTrue();
        assertThat(client.profile(uuid).path("skip_setup_items")).hasSize(2);
        assertThat(apple.device("C02A").path("profile_uuid").asText()).isEqualTo(uuid);

        assertThat(client.removeProfile(List.of("C02A", "C02UNKNOWN"))).containsExactly(Map.entry("C02A", "SUCCESS"),
                Map.entry("C02UNKNOWN", "NOT_ACCESSIBLE"));
        assertThat(apple.device("C02A").has("profile_uuid")).isFalse();
        assertThat(apple.device("C02A").path("profile_status").asText()).isEqualTo("empty");
        assertThat(apple.profileChanges()).extracting(change -> change.path("method").asText()).containsExactly("PUT", "DELETE");
    }

    @Test
    void theStandInRefusesProfilesAndAssignmentsAsAppleDoes() {
        apple.assign("C02B", "iPad", "iPad Air", "BLUE", "iOS");
        ObjectNode unsupervisedLock = new ObjectMapper().createObjectNode().put("profile_name", "Locked")
                .put("url", "https://mdm.example.com/mdm/apple-ios/ade/enroll").put("is_mdm_removable", false);
        assertThatThrownBy(() -> client.defineProfile(unsupervisedLock)).isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class,
                error -> assertThat(error.code()).isEqualTo("FLAGS_INVALID"));
        ObjectNode longDepartment = new ObjectMapper().createObjectNode().put("profile_name", "Long")
                .put("url", "https://mdm.example.com/mdm/apple-ios/ade/enroll").put("department", "d".repeat(126));
        assertThatThrownBy(() -> client.defineProfile(longDepartment)).isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class,
                error -> assertThat(error.code()).isEqualTo("DEPARTMENT_INVALID"));
        assertThatThrownBy(() -> client.assignProfile("NO-SUCH-PROFILE", List.of("C02B")))
                .isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class, error -> assertThat(error.status()).isEqualTo(404));
        assertThatThrownBy(() -> client.removeProfile(List.of()))
                .isInstanceOfSatisfying(DeviceAssignmentClient.DeviceAssignmentException.class, error -> assertThat(error.code()).isEqualTo("DEVICE_ID_REQUIRED"));
        String uuid = client.defineProfile(new ObjectMapper().createObjectNode().put("profile_name", "Fine")
                .put("url", "https://mdm.example.com/mdm/apple-ios/ade/enroll"));
        apple.makeInaccessible("C02B");
        assertThat(client.assignProfile(uuid, List.of("C02B"))).containsExactly(Map.entry("C02B", "NOT_ACCESSIBLE"));
    }

    @Test
    void theStandInRefusesCallsWithoutTheProtocolVersionOrSession() throws Exception {
        HttpResponse<String> noSession = http.send(HttpRequest.newBuilder(apple.uri().resolve("/account"))
                .header("X-Server-Protocol-Version", "3").GET().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> noVersion = http.send(HttpRequest.newBuilder(apple.uri().resolve("/account")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(noSession.statusCode()).isEqualTo(401);
        assertThat(noSession.body()).isEqualTo("UNAUTHORIZED");
        assertThat(noVersion.statusCode()).isEqualTo(400);
    }
}
