package dev.shepherd.api.appstore;

import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreRecordsTest {

    @Test
    void aLicensedAppCarriesItsPool() {
        StoreApp app = new StoreApp("apple-vpp", "361309726", Platform.IOS, "com.example.notes", "Notes", "Example Inc.",
                Optional.of("2.1"), Optional.of(URI.create("https://is1.example.com/icon.png")), OptionalLong.of(1024),
                Optional.of("{\"type\":\"object\"}"), true, Optional.of(new LicenceCount(10, 4)));

        assertEquals(6, app.licences().orElseThrow().available());
    }

    @Test
    void anAppThatNeedsNoLicenceHasNoPool() {
        assertThrows(IllegalArgumentException.class, () -> new StoreApp("private", "a1", Platform.WINDOWS, "{AF92}", "Tool", "",
                Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(), false, Optional.of(new LicenceCount(1, 0))));
        assertFalse(StoreApp.free("private", "a1", Platform.WINDOWS, "{AF92}", "Tool", "").licensed());
    }

    @Test
    void anAppIsRefusedWhenAPartIsMalformed() {
        assertThrows(IllegalArgumentException.class, () -> StoreApp.free("Apple VPP", "1", Platform.IOS, "a", "A", ""));
        assertThrows(IllegalArgumentException.class, () -> StoreApp.free("apple-vpp", " ", Platform.IOS, "a", "A", ""));
        assertThrows(IllegalArgumentException.class, () -> StoreApp.free("apple-vpp", "1", Platform.IOS, "", "A", ""));
        assertThrows(IllegalArgumentException.class, () -> StoreApp.free("apple-vpp", "1", Platform.IOS, "a", "x".repeat(513), ""));
        assertThrows(IllegalArgumentException.class, () -> new StoreApp("apple-vpp", "1", Platform.IOS, "a", "A", "",
                Optional.empty(), Optional.of(URI.create("icon.png")), OptionalLong.empty(), Optional.empty(), false, Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new StoreApp("apple-vpp", "1", Platform.IOS, "a", "A", "",
                Optional.empty(), Optional.empty(), OptionalLong.of(-1), Optional.empty(), false, Optional.empty()));
    }

    @Test
    void noLicenceIsAvailableWhenTheStoreReportsMoreAssignedThanHeld() {
        assertEquals(0, new LicenceCount(3, 5).available());
        assertThrows(IllegalArgumentException.class, () -> new LicenceCount(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LicenceCount(1, -1));
    }

    @Test
    void aCatalogPageWithoutANextCursorIsTheLast() {
        CatalogPage last = CatalogPage.last(List.of(StoreApp.free("private", "a1", Platform.MACOS, "com.example.a", "A", "")));

        assertEquals(Optional.empty(), last.nextCursor());
        assertThrows(IllegalArgumentException.class, () -> new CatalogPage(List.of(), Optional.of("")));
    }

    @Test
    void aLicenceRequestForADeviceTakesItsSerialNumberAndUserWhenItHasThem() {
        Device device = device("C02XK1ABJG5H", Optional.of("ada@example.com"));
        LicenceRequest request = LicenceRequest.forDevice("361309726", device);

        assertEquals(new LicenceRequest("361309726", device.id(), Platform.IOS, Optional.of("C02XK1ABJG5H"),
                Optional.of("ada@example.com")), request);
        assertEquals(Optional.empty(), LicenceRequest.forDevice("361309726", device("", Optional.empty())).serialNumber());
    }

    @Test
    void onlyAnAssignedOrUnneededLicencePermitsTheInstall() {
        assertTrue(LicenceOutcome.assigned(Optional.of("ref-1")).permitsInstall());
        assertTrue(LicenceOutcome.notRequired().permitsInstall());
        assertFalse(LicenceOutcome.exhausted("No licences left for Notes (10 of 10 assigned)").permitsInstall());
        assertEquals(Optional.of("Serial number unknown to Apple"), LicenceOutcome.refused("Serial number unknown to Apple").failure());
        assertThrows(IllegalArgumentException.class, () -> LicenceOutcome.exhausted(" "));
    }

    @Test
    void storeHealthSaysWhatIsWrong() {
        assertEquals(Optional.empty(), StoreHealth.ready().problem());
        assertEquals(Optional.of("Upload a content token"), StoreHealth.notConfigured("Upload a content token").problem());
        assertEquals(Optional.of("401 from Apple"), StoreHealth.failing("401 from Apple", Instant.EPOCH).problem());
    }

    @Test
    void aStoreFailureSaysWhetherAndWhenToTryAgain() {
        AppStoreException limited = AppStoreException.retryable("Apple is rate-limiting", Optional.of(Duration.ofSeconds(30)));
        assertTrue(limited.retryable());
        assertEquals(Optional.of(Duration.ofSeconds(30)), limited.retryAfter());

        AppStoreException revoked = new AppStoreException("The content token was revoked");
        assertFalse(revoked.retryable());
        assertEquals(Optional.empty(), revoked.retryAfter());
        assertThrows(IllegalArgumentException.class,
                () -> new AppStoreException("x", false, Optional.of(Duration.ofSeconds(1)), null));
    }

    @Test
    void aConnectorWithoutSearchOrLicencesKeepsTheDefaults() throws AppStoreException {
        AppStoreConnector store = new AppStoreConnector() {
            @Override
            public String id() {
                return "private";
            }

            @Override
            public String displayName() {
                return "Private apps";
            }

            @Override
            public Set<Platform> platforms() {
                return Set.of(Platform.MACOS);
            }

            @Override
            public StoreHealth health() {
                return StoreHealth.ready();
            }

            @Override
            public CatalogPage catalog(Optional<String> cursor) {
                return CatalogPage.last(List.of());
            }

            @Override
            public Optional<StoreApp> lookup(String storeAppId) {
                return Optional.empty();
            }

            @Override
            public AppInstallation installation(StoreApp app, Device device) {
                return AppInstallation.fromStore(app.identifier(), app.storeAppId());
            }
        };

        assertEquals(List.of(), store.search("notes", 10));
        assertEquals(LicenceOutcome.notRequired(), store.assignLicence(LicenceRequest.forDevice("1", device("S", Optional.empty()))));
    }

    private static Device device(String serial, Optional<String> user) {
        return new Device(DeviceId.random(), Platform.IOS, DeviceStatus.values()[0], Ownership.values()[0], "iPhone", serial,
                "iPhone15,2", "17.5", Map.of(), user, Optional.empty(), ComplianceState.values()[0], Optional.empty(),
                Optional.empty(), Set.of(), Map.of());
    }
}
