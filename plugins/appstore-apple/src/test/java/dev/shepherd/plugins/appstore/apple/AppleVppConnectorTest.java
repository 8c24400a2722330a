package dev.shepherd.plugins.appstore.apple;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.LicenceCount;
import dev.shepherd.api.appstore.LicenceKind;
import dev.shepherd.api.appstore.LicenceOutcome;
import dev.shepherd.api.appstore.LicenceRequest;
import dev.shepherd.api.appstore.LicenceUser;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The {@code apple-vpp} store against the fake of Apple's service: the catalog synced from the location's assets with
 * App Store metadata and licence counts, device and user licences assigned until they run out and revoked again, the
 * installation devices get, and the store's health.
 */
class AppleVppConnectorTest {

    private static final String PAGES = "361309726";
    private static final String KEYNOTE = "361285480";
    private static final String NUMBERS = "361304891";

    private final LocalVpp vpp = LocalVpp.start();
    private final TestClock clock = new TestClock(Instant.now());
    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final ContentTokens tokens = new ContentTokens(VppTestSettings.against(vpp), storage, TestSecrets.sealer(), clock, "0.1.0");
    private final AppleVppConnector store = new AppleVppConnector(tokens, clock);

    AppleVppConnectorTest() {
        vpp.addAsset(new LocalVpp.OwnedAsset(PAGES, "STDQ", 2, true, true, List.of("iOS", "macOS"), "Pages", "com.apple.Pages", "14.1"));
        vpp.addAsset(new LocalVpp.OwnedAsset(KEYNOTE, "STDQ", 10, true, true, List.of("iOS"), "Keynote", "com.apple.Keynote", "14.0"));
        vpp.addAsset(new LocalVpp.OwnedAsset(NUMBERS, "STDQ", 5, false, false, List.of("iOS"), "Numbers", "com.apple.Numbers", "14.2"));
    }

    @AfterEach
    void stop() {
        vpp.close();
    }

    @Test
    void withoutAContentTokenTheStoreIsNotConfiguredAndSaysWhatToDo() {
        assertThat(store.health()).isInstanceOfSatisfying(StoreHealth.NotConfigured.class,
                health -> assertThat(health.reason()).contains("upload the location's .vpptoken"));
        assertThatThrownBy(() -> store.catalog(Optional.empty())).isInstanceOf(AppStoreException.class).hasMessageContaining("No content token");
    }

    @Test
    void theCatalogIsTheLocationsAppsPagedWithMetadataAndLicenceCounts() throws Exception {
        upload();
        vpp.pageSize(2);

        List<StoreApp> apps = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        int pages = 0;
        do {
            CatalogPage page = store.catalog(cursor);
            apps.addAll(page.apps());
            cursor = page.nextCursor();
            pages++;
        } while (cursor.isPresent());

        assertThat(pages).isEqualTo(2);
        assertThat(apps).extracting(StoreApp::storeAppId, StoreApp::platform, StoreApp::identifier).containsExactlyInAnyOrder(
                tuple(PAGES, Platform.IOS, "com.apple.Pages"),
                tuple(PAGES, Platform.MACOS, "com.apple.Pages"),
                tuple(KEYNOTE, Platform.IOS, "com.apple.Keynote"),
                tuple(NUMBERS, Platform.IOS, "com.apple.Numbers"));
        StoreApp keynote = apps.stream().filter(app -> app.storeAppId().equals(KEYNOTE)).findFirst().orElseThrow();
        assertThat(keynote.storeId()).isEqualTo("apple-vpp");
        assertThat(keynote.name()).isEqualTo("Keynote");
        assertThat(keynote.version()).contains("14.0");
        assertThat(keynote.icon()).isPresent();
        assertThat(keynote.licensed()).isTrue();
        assertThat(keynote.licences()).contains(new LicenceCount(10, 0));
        assertThat(store.health()).isEqualTo(StoreHealth.ready());
    }

    @Test
    void looksUpAndSearchesOnlyWhatTheLocationOwns() throws Exception {
        upload();

        assertThat(store.lookup(PAGES)).hasValueSatisfying(app -> assertThat(app.platform()).isEqualTo(Platform.IOS));
        assertThat(store.lookup("123456")).isEmpty();
        assertThat(store.lookup("not-an-adam-id")).isEmpty();
        assertThat(store.search("key", 10)).extracting(StoreApp::storeAppId).containsExactly(KEYNOTE);
    }

    @Test
    void assignsDeviceLicencesBySerialNumberUntilTheyRunOut() throws Exception {
        upload();

        assertThat(store.assignLicence(request(PAGES, "C02XK1ABJG5H"))).isInstanceOf(LicenceOutcome.Assigned.class);
        assertThat(store.assignLicence(request(PAGES, "DMPQ2LL0FK10"))).isInstanceOf(LicenceOutcome.Assigned.class);
        assertThat(store.assignLicence(request(PAGES, "C02XK1ABJG5H"))).as("a device holding the licence already").isInstanceOf(LicenceOutcome.Assigned.class);
        LicenceOutcome third = store.assignLicence(request(PAGES, "F9FZ1234N72J"));

        assertThat(third).isInstanceOfSatisfying(LicenceOutcome.Exhausted.class,
                exhausted -> assertThat(exhausted.reason()).contains("No licences of app " + PAGES, "9709"));
        assertThat(vpp.assignedSerialNumbers(PAGES)).containsExactlyInAnyOrder("C02XK1ABJG5H", "DMPQ2LL0FK10");
        assertThat(store.lookup(PAGES).orElseThrow().licences()).contains(new LicenceCount(2, 2));
    }

    @Test
    void revokingFreesTheLicenceForAnotherDevice() throws Exception {
        upload();
        store.assignLicence(request(PAGES, "C02XK1ABJG5H"));
        store.assignLicence(request(PAGES, "DMPQ2LL0FK10"));

        store.revokeLicence(request(PAGES, "C02XK1ABJG5H"));

        assertThat(vpp.assignedSerialNumbers(PAGES)).containsExactly("DMPQ2LL0FK10");
        assertThat(store.assignLicence(request(PAGES, "F9FZ1234N72J"))).isInstanceOf(LicenceOutcome.Assigned.class);
    }

    @Test
    void refusesLicencesAppleWouldNotAssignSayingWhy() throws Exception {
        upload();

        assertThat(store.assignLicence(new LicenceRequest(PAGES, new DeviceId(UUID.randomUUID()), Platform.IOS, Optional.empty(), Optional.empty())))
                .isInstanceOfSatisfying(LicenceOutcome.Refused.class, refused -> assertThat(refused.reason()).contains("serial number"));
        assertThat(store.assignLicence(request(NUMBERS, "C02XK1ABJG5H")))
                .isInstanceOfSatisfying(LicenceOutcome.Refused.class, refused -> assertThat(refused.reason()).contains("assigned to devices"));
        assertThat(store.assignLicence(request("123456", "C02XK1ABJG5H")))
                .isInstanceOfSatisfying(LicenceOutcome.Refused.class, refused -> assertThat(refused.reason()).contains("holds no licences"));
        assertThat(store.assignLicence(request(PAGES, "not a serial")))
                .isInstanceOfSatisfying(LicenceOutcome.Refused.class, refused -> assertThat(refused.reason()).contains("9602"));
    }

    @Test
    void anAssignmentAppleHasNotFinishedIsRetriedLater() throws Exception {
        upload();
        vpp.holdEvents();
        ContentTokens waitingBriefly = new ContentTokens(new VppSettings(vpp.serviceUrl(), vpp.lookupUrl(), "us", 3, Duration.ofSeconds(2),
                Duration.ofSeconds(5), Duration.ofMillis(300), 1024 * 1024), storage, TestSecrets.sealer(), clock, "0.1.0");
        // The same storage holds the token sealed under the first sealer's key, so upload afresh for this one.
        waitingBriefly.upload(vpp.issueToken("Example Org", "Main office", clock.instant().plus(Duration.ofDays(200))), false);

        assertThatThrownBy(() -> new AppleVppConnector(waitingBriefly, clock).assignLicence(request(PAGES, "C02XK1ABJG5H")))
                .isInstanceOfSatisfying(AppStoreException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.getMessage()).contains("still assigning");
                });
    }

    @Test
    void offersDeviceAndUserLicences() {
        assertThat(store.licenceKinds()).containsExactlyInAnyOrder(LicenceKind.DEVICE, LicenceKind.USER);
    }

    @Test
    void aUserWithoutALinkedAppleAccountIsRegisteredAndRefusedWithApplesInvitation() throws Exception {
        upload();
        LicenceUser ann = new LicenceUser(UUID.randomUUID().toString(), Optional.of("ann@example.org"), "Ann Example");

        LicenceOutcome first = store.assignLicence(userRequest(KEYNOTE, ann));

        assertThat(vpp.userStatus(ann.id())).as("Apple registered the user").hasValue("Registered");
        assertThat(first).isInstanceOfSatisfying(LicenceOutcome.Refused.class, refused -> assertThat(refused.reason())
                .contains("Ann Example has no Apple Account linked", "invitation (code ", "managedAppleAccounts", "device licences"));
        assertThat(vpp.assignedClientUserIds(KEYNOTE)).isEmpty();

        vpp.acceptInvitation(ann.id());
        assertThat(store.assignLicence(userRequest(KEYNOTE, ann))).isInstanceOf(LicenceOutcome.Assigned.class);
        assertThat(vpp.assignedClientUserIds(KEYNOTE)).containsExactly(ann.id());
        assertThat(vpp.requests().stream().filter(request -> request.startsWith("POST /mdm/v2/users/create"))).as("created once").hasSize(1);
    }

    @Test
    void managedAppleAccountsAreLinkedAtOnceAndUserLicencesShareThePoolWithDevices() throws Exception {
        ContentTokens managed = new ContentTokens(new VppSettings(vpp.serviceUrl(), vpp.lookupUrl(), "us", 3, Duration.ofSeconds(2),
                Duration.ofSeconds(5), Duration.ofSeconds(5), 1024 * 1024, true), storage, TestSecrets.sealer(), clock, "0.1.0");
        managed.upload(vpp.issueToken("Example Org", "Main office", clock.instant().plus(Duration.ofDays(200))), false);
        AppleVppConnector federated = new AppleVppConnector(managed, clock);
        LicenceUser bo = new LicenceUser(UUID.randomUUID().toString(), Optional.of("bo@" + LocalVpp.MANAGED_DOMAIN), "Bo");
        LicenceUser cy = new LicenceUser(UUID.randomUUID().toString(), Optional.of("cy@" + LocalVpp.MANAGED_DOMAIN), "Cy");

        assertThat(federated.assignLicence(request(PAGES, "C02XK1ABJG5H"))).isInstanceOf(LicenceOutcome.Assigned.class);
        assertThat(federated.assignLicence(userRequest(PAGES, bo))).isInstanceOf(LicenceOutcome.Assigned.class);
        assertThat(federated.assignLicence(userRequest(PAGES, bo))).as("a user holding it already").isInstanceOf(LicenceOutcome.Assigned.class);
        assertThat(vpp.userStatus(bo.id())).hasValue("Associated");
        assertThat(federated.assignLicence(userRequest(PAGES, cy))).isInstanceOfSatisfying(LicenceOutcome.Exhausted.class,
                exhausted -> assertThat(exhausted.reason()).contains("No licences of app " + PAGES, "9709"));

        federated.revokeLicence(userRequest(PAGES, bo));
        assertThat(vpp.assignedClientUserIds(PAGES)).isEmpty();
        assertThat(federated.assignLicence(userRequest(PAGES, cy))).isInstanceOf(LicenceOutcome.Assigned.class);
        assertThat(vpp.assignedSerialNumbers(PAGES)).as("device licences are unchanged").containsExactly("C02XK1ABJG5H");
    }

    @Test
    void revokingTheLicenceOfAUserAppleDoesNotKnowSucceeds() throws Exception {
        upload();

        store.revokeLicence(userRequest(KEYNOTE, new LicenceUser(UUID.randomUUID().toString(), Optional.empty(), "Gone")));

        assertThat(vpp.assignedClientUserIds(KEYNOTE)).isEmpty();
    }

    @Test
    void devicesInstallFromTheAppStoreWithTheVolumePurchasedLicence() throws Exception {
        upload();
        StoreApp keynote = store.lookup(KEYNOTE).orElseThrow();

        AppInstallation installation = store.installation(keynote, device("C02XK1ABJG5H"));

        assertThat(installation.toParameters()).containsEntry(AppInstallation.SOURCE, "store")
                .containsEntry(AppInstallation.STORE_APP_ID, KEYNOTE)
                .containsEntry(AppInstallation.IDENTIFIER, "com.apple.Keynote")
                .containsEntry(AppInstallation.VERSION, "14.0")
                .containsEntry(AppInstallation.OPTIONS, Map.of("purchaseMethod", 1));
    }

    @Test
    void aRejectedTokenShowsAsFailingUntilAppleAnswersAgain() throws Exception {
        String token = upload();
        vpp.revoke(token);

        assertThatThrownBy(() -> store.catalog(Optional.empty())).isInstanceOfSatisfying(AppStoreException.class, e -> {
            assertThat(e.retryable()).isFalse();
            assertThat(e.getMessage()).contains("upload a new one", "9625");
        });
        assertThat(store.health()).isInstanceOfSatisfying(StoreHealth.Failing.class, failing -> assertThat(failing.reason()).contains("9625"));

        upload();
        store.catalog(Optional.empty());
        assertThat(store.health()).isEqualTo(StoreHealth.ready());
    }

    @Test
    void throttlingIsARetryableFailureCarryingApplesDelay() throws Exception {
        upload();
        vpp.throttleNext(1, 120);

        assertThatThrownBy(() -> store.catalog(Optional.empty())).isInstanceOfSatisfying(AppStoreException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.retryAfter()).contains(Duration.ofMinutes(2));
        });
    }

    @Test
    void anExpiredTokenMakesTheStoreFailingWithTheExpiry() throws Exception {
        upload();
        clock.advance(Duration.ofDays(201));

        assertThat(store.health()).isInstanceOfSatisfying(StoreHealth.Failing.class,
                failing -> assertThat(failing.reason()).contains("expired"));
    }

    private String upload() throws Exception {
        String token = vpp.issueToken("Example Org", "Main office", clock.instant().plus(Duration.ofDays(200)));
        tokens.upload(token, false);
        assertThat(new String(storage.get(ContentTokens.TOKEN_KEY).orElseThrow(), StandardCharsets.ISO_8859_1)).doesNotContain(token);
        return token;
    }

    private static LicenceRequest userRequest(String adamId, LicenceUser user) {
        Device device = device("C02USER" + Math.abs(user.id().hashCode() % 10000));
        return LicenceRequest.forUser(adamId, new Device(device.id(), device.platform(), device.status(), device.ownership(), device.name(),
                device.serialNumber(), device.model(), device.osVersion(), Map.of(), Optional.of(user.id()), Optional.empty(),
                ComplianceState.UNKNOWN, Optional.empty(), Optional.empty(), Set.of(), Map.of()), user);
    }

    private static LicenceRequest request(String adamId, String serial) {
        return LicenceRequest.forDevice(adamId, device(serial));
    }

    private static Device device(String serial) {
        return new Device(new DeviceId(UUID.nameUUIDFromBytes(serial.getBytes(StandardCharsets.UTF_8))), Platform.IOS, DeviceStatus.ENROLLED, Ownership.CORPORATE, "iPad", serial,
                "iPad13,1", "17.2", Map.of(), Optional.empty(), Optional.empty(), ComplianceState.UNKNOWN, Optional.empty(),
                Optional.empty(), Set.of(), Map.of());
    }
}
