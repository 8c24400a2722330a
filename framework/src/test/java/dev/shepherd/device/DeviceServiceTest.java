package dev.shepherd.device;

import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.event.Event;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.enrollment.IssuedEnrollmentToken;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.event.EventLog;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.StoreUse;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The device registry through a real Derby store. */
class DeviceServiceTest {

    private static final Actor PLUGIN = Actor.plugin("apple-ios");

    @TempDir
    Path home;
    private TestKernel test;
    private Kernel kernel;
    private DeviceService devices;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        kernel = test.kernel();
        devices = kernel.devices();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void enrollingWithATokenCreatesADeviceCarryingTheTokensBindings() {
        String userId = kernel.directory().create(ADMIN, "local", "ana", "Ana Lima", "ana@example.com").id();
        IssuedEnrollmentToken token = token(Ownership.PERSONAL, OptionalInt.empty(), Optional.of(userId));

        DeviceRecord enrolled = devices.enroll(PLUGIN, TestKernel.claim(token.secret(), Platform.IOS, "UDID-1"));

        assertThat(enrolled.device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(enrolled.device().ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(enrolled.device().userId()).hasValue(userId);
        assertThat(enrolled.device().enrollmentMethod()).hasValue(EnrollmentMethod.LINK);
        assertThat(enrolled.device().hardwareIds()).containsEntry("udid", "UDID-1");
        assertThat(enrolled.device().compliance()).isEqualTo(ComplianceState.UNKNOWN);
        assertThat(enrolled.enrollmentTokenId()).hasValue(token.token().id());
        assertThat(enrolled.enrolledBy()).hasValue("plugin:apple-ios");
        assertThat(devices.idByHardwareId(Platform.IOS, "udid", "UDID-1")).hasValue(enrolled.device().id());
        assertThat(kernel.enrollmentTokens().find(token.token().id()).orElseThrow().uses()).isEqualTo(1);
    }

    @Test
    void theTokenSecretIsStoredOnlyAsAHash() throws Exception {
        IssuedEnrollmentToken token = token(Ownership.CORPORATE, OptionalInt.empty(), Optional.empty());
        try (var connection = test.database().dataSource().getConnection();
             var select = connection.prepareStatement("SELECT token_hash FROM enrollment_token");
             var rows = select.executeQuery()) {
            rows.next();
            assertThat(rows.getString(1)).doesNotContain(token.secret()).hasSize(64);
        }
        assertThat(token.toString()).doesNotContain(token.secret());
    }

    @Test
    void aSingleUseTokenEnrollsExactlyOneDeviceHoweverManyTryAtOnce() throws Exception {
        IssuedEnrollmentToken token = token(Ownership.CORPORATE, OptionalInt.of(1), Optional.empty());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> attempts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String udid = "RACE-" + i;
            attempts.add(pool.submit(() -> {
                start.await();
                try {
                    devices.enroll(PLUGIN, TestKernel.claim(token.secret(), Platform.IOS, udid));
                    return true;
                } catch (EnrollmentRefusedException refused) {
                    return false;
                }
            }));
        }
        start.countDown();
        int enrolled = 0;
        for (Future<Boolean> attempt : attempts) {
            enrolled += attempt.get(30, TimeUnit.SECONDS) ? 1 : 0;
        }
        pool.shutdown();

        assertThat(enrolled).isEqualTo(1);
        assertThat(devices.count(DeviceFilter.ALL)).isEqualTo(1);
    }

    @Test
    void unknownExpiredRevokedAndWrongPlatformTokensAreRefused() {
        assertThatThrownBy(() -> devices.enroll(PLUGIN, TestKernel.claim("no-such-token", Platform.IOS, "A")))
                .isInstanceOf(EnrollmentRefusedException.class);

        IssuedEnrollmentToken revoked = token(Ownership.CORPORATE, OptionalInt.empty(), Optional.empty());
        assertThat(kernel.enrollmentTokens().revoke(ADMIN, revoked.token().id())).isTrue();
        assertThat(kernel.enrollmentTokens().check(revoked.secret())).isEmpty();
        assertThatThrownBy(() -> devices.enroll(PLUGIN, TestKernel.claim(revoked.secret(), Platform.IOS, "B")))
                .isInstanceOf(EnrollmentRefusedException.class);

        IssuedEnrollmentToken windowsOnly = kernel.enrollmentTokens().create(ADMIN, new NewEnrollmentToken("windows",
                Ownership.CORPORATE, Optional.of(Platform.WINDOWS), Optional.empty(), Optional.empty(), OptionalInt.empty(),
                Instant.now().plus(Duration.ofHours(1))));
        assertThatThrownBy(() -> devices.enroll(PLUGIN, TestKernel.claim(windowsOnly.secret(), Platform.IOS, "C")))
                .isInstanceOf(EnrollmentRefusedException.class).hasMessageContaining("windows");
        // A refused enrollment uses nothing up.
        assertThat(kernel.enrollmentTokens().find(windowsOnly.token().id()).orElseThrow().uses()).isZero();
        assertThatThrownBy(() -> kernel.enrollmentTokens().create(ADMIN, new NewEnrollmentToken("past", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), Instant.now().minusSeconds(1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRetiredDeviceEnrollingAgainIsANewDeviceWhileTheOldRecordKeepsItsHistory() {
        DeviceRecord first = test.enroll(Platform.IOS, "SAME-UDID", Ownership.CORPORATE);
        devices.update(ADMIN, first.device().id(), new DeviceChanges(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Set.of("sales")), Optional.empty()), OptionalLong.empty());
        devices.changeStatus(ADMIN, first.device().id(), DeviceStatus.RETIRED, "returned");

        DeviceRecord again = test.enroll(Platform.IOS, "SAME-UDID", Ownership.PERSONAL);

        assertThat(again.device().id()).isNotEqualTo(first.device().id());
        assertThat(again.device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(again.device().ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(again.device().tags()).isEmpty();
        // The identifier moved to the device that holds it now; a retired device is no conflict.
        assertThat(again.device().hardwareIds()).containsEntry("udid", "SAME-UDID");
        assertThat(devices.idByHardwareId(Platform.IOS, "udid", "SAME-UDID")).hasValue(again.device().id());
        assertThat(devices.inventory(again.device().id())).doesNotContainKey(DeviceService.IDENTITY_CONFLICT_KEY);
        DeviceRecord old = devices.get(first.device().id()).orElseThrow();
        assertThat(old.device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(old.device().tags()).containsExactly("sales");
        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", first.device().id().toString()), 0, 10))
                .extracting(AuditEntry::action).containsExactly("device.enroll", "device.update", "device.status.retired");
    }

    @Test
    void identifiersAssertedWithoutProofNeverTakeOverAnEnrolledDevice() {
        String userId = kernel.directory().create(ADMIN, "local", "ana", "Ana Lima", "ana@example.com").id();
        IssuedEnrollmentToken corporate = token(Ownership.CORPORATE, OptionalInt.empty(), Optional.of(userId));
        DeviceRecord victim = devices.enroll(PLUGIN, TestKernel.claim(corporate.secret(), Platform.IOS, "VICTIM-UDID"));
        victim = devices.update(ADMIN, victim.device().id(), new DeviceChanges(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Set.of("finance")), Optional.empty()), OptionalLong.empty()).orElseThrow();

        // Another token, even a corporate one, and the victim's UDID: a newcomer, not the victim.
        DeviceRecord newcomer = devices.enroll(PLUGIN, new EnrollmentClaim(Optional.of(token(Ownership.PERSONAL, OptionalInt.empty(),
                Optional.empty()).secret()), Platform.IOS, EnrollmentMethod.LINK, Map.of("udid", "VICTIM-UDID"), "SER-ATTACKER",
                "iPhone15,2", "17.4.1", "Attacker"));

        assertThat(newcomer.device().id()).isNotEqualTo(victim.device().id());
        assertThat(newcomer.device().hardwareIds()).isEmpty();
        assertThat(newcomer.device().ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(newcomer.device().userId()).isEmpty();
        DeviceRecord after = devices.get(victim.device().id()).orElseThrow();
        assertThat(after.device()).isEqualTo(victim.device());
        assertThat(after.version()).isEqualTo(victim.version());
        assertThat(devices.idByHardwareId(Platform.IOS, "udid", "VICTIM-UDID")).hasValue(victim.device().id());

        List<EventLog.Logged> conflicts = kernel.events().read(Optional.of("device.identity_conflict"), 0, 10);
        assertThat(conflicts).hasSize(1);
        assertThat(conflicts.get(0).event().data()).containsEntry("deviceId", newcomer.device().id().toString())
                .containsEntry("heldBy", victim.device().id().toString()).containsEntry("kind", "udid");
        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", newcomer.device().id().toString()), 0, 10))
                .extracting(AuditEntry::action).containsExactly("device.enroll", "device.identity-conflict");
        assertThat(devices.inventory(newcomer.device().id()).get(DeviceService.IDENTITY_CONFLICT_KEY)).contains(victim.device().id().toString());
        assertThat(devices.inventory(victim.device().id()).get(DeviceService.IDENTITY_CONFLICT_KEY)).contains(newcomer.device().id().toString());
    }

    @Test
    void aProvenReEnrollmentKeepsOwnershipUserTagsAndQuarantineAndNeedsNoToken() {
        String userId = kernel.directory().create(ADMIN, "local", "bo", "Bo Berg", "bo@example.com").id();
        DeviceRecord device = devices.enroll(PLUGIN, TestKernel.claim(token(Ownership.CORPORATE, OptionalInt.of(1), Optional.of(userId))
                .secret(), Platform.IOS, "PROVEN-UDID"));
        devices.changeStatus(ADMIN, device.device().id(), DeviceStatus.QUARANTINED, "jailbroken");

        DeviceRecord again = devices.enroll(PLUGIN, new EnrollmentClaim(Optional.empty(), Platform.IOS, EnrollmentMethod.LINK,
                Map.of("udid", "PROVEN-UDID"), "SER-PROVEN", "iPhone16,2", "18.0", "").provenBy(device.device().id()));

        assertThat(again.device().id()).isEqualTo(device.device().id());
        assertThat(again.device().ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(again.device().userId()).hasValue(userId);
        assertThat(again.device().status()).isEqualTo(DeviceStatus.QUARANTINED);
        assertThat(again.device().osVersion()).isEqualTo("18.0");
        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", device.device().id().toString()), 0, 10))
                .extracting(AuditEntry::action).contains("device.re-enroll");

        devices.changeStatus(ADMIN, device.device().id(), DeviceStatus.RETIRED, "returned");
        assertThatThrownBy(() -> devices.enroll(PLUGIN, new EnrollmentClaim(Optional.empty(), Platform.IOS, EnrollmentMethod.LINK,
                Map.of("udid", "PROVEN-UDID"), "", "", "", "").provenBy(device.device().id())))
                .isInstanceOf(EnrollmentRefusedException.class);
    }

    @Test
    void aPreRegisteredDeviceIsClaimedOnlyWithACorporateTokenAndKeepsItsOwnership() {
        DeviceId imported = devices.importDevices(ADMIN, List.of(new DeviceImport(Platform.IOS, "SER-IMPORTED", "iPad", "Lobby iPad",
                Ownership.CORPORATE, Map.of("udid", "IMPORTED-UDID"), Set.of("lobby")))).get(0);

        DeviceRecord personal = devices.enroll(PLUGIN, TestKernel.claim(token(Ownership.PERSONAL, OptionalInt.empty(), Optional.empty())
                .secret(), Platform.IOS, "IMPORTED-UDID"));
        assertThat(personal.device().id()).isNotEqualTo(imported);
        assertThat(devices.get(imported).orElseThrow().device().status()).isEqualTo(DeviceStatus.PENDING);

        DeviceRecord claimed = devices.enroll(PLUGIN, TestKernel.claim(token(Ownership.CORPORATE, OptionalInt.empty(), Optional.empty())
                .secret(), Platform.IOS, "IMPORTED-UDID"));
        assertThat(claimed.device().id()).isEqualTo(imported);
        assertThat(claimed.device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(claimed.device().tags()).containsExactly("lobby");

        // Claimed once: from now on it is an enrolled device, and asserting its UDID proves nothing.
        DeviceRecord later = devices.enroll(PLUGIN, TestKernel.claim(token(Ownership.CORPORATE, OptionalInt.empty(), Optional.empty())
                .secret(), Platform.IOS, "IMPORTED-UDID"));
        assertThat(later.device().id()).isNotEqualTo(imported);
    }

    @Test
    void anAdminMayAllowOneReEnrollmentByAssertedIdentifiers() {
        DeviceRecord device = test.enroll(Platform.IOS, "RESET-UDID", Ownership.CORPORATE);
        assertThat(devices.allowReEnrollment(ADMIN, DeviceId.random())).isEmpty();
        assertThat(devices.allowReEnrollment(ADMIN, device.device().id())).isPresent();

        DeviceRecord again = test.enroll(Platform.IOS, "RESET-UDID", Ownership.PERSONAL);

        assertThat(again.device().id()).isEqualTo(device.device().id());
        assertThat(again.device().ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", device.device().id().toString()), 0, 10))
                .extracting(AuditEntry::action).contains("device.allow-re-enrollment", "device.re-enroll");
        assertThat(test.enroll(Platform.IOS, "RESET-UDID", Ownership.CORPORATE).device().id()).isNotEqualTo(device.device().id());
    }

    @Test
    void theLifecycleAllowsOnlyItsTransitions() {
        DeviceId id = test.enrollId(Platform.IOS, "LIFE");

        assertThat(devices.changeStatus(ADMIN, id, DeviceStatus.QUARANTINED, "non-compliant").orElseThrow().device().status())
                .isEqualTo(DeviceStatus.QUARANTINED);
        assertThat(devices.changeStatus(ADMIN, id, DeviceStatus.ENROLLED, "fixed").orElseThrow().device().status())
                .isEqualTo(DeviceStatus.ENROLLED);
        devices.changeStatus(ADMIN, id, DeviceStatus.WIPED, "lost");
        assertThatThrownBy(() -> devices.changeStatus(ADMIN, id, DeviceStatus.ENROLLED, "back"))
                .isInstanceOf(DeviceConflictException.class).hasMessage("a wiped device cannot become enrolled");
        assertThat(devices.changeStatus(ADMIN, DeviceId.random(), DeviceStatus.RETIRED, "x")).isEmpty();
    }

    @Test
    void anUpdateBasedOnAnOldVersionIsAConflict() {
        DeviceRecord device = test.enroll(Platform.IOS, "VERSIONED", Ownership.CORPORATE);
        DeviceChanges rename = new DeviceChanges(Optional.of("Front desk iPad"), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(Map.of("floor", "2")));

        DeviceRecord updated = devices.update(ADMIN, device.device().id(), rename, OptionalLong.of(device.version())).orElseThrow();

        assertThat(updated.device().name()).isEqualTo("Front desk iPad");
        assertThat(updated.device().attributes()).containsEntry("floor", "2");
        assertThat(updated.version()).isGreaterThan(device.version());
        assertThatThrownBy(() -> devices.update(ADMIN, device.device().id(), rename, OptionalLong.of(device.version())))
                .isInstanceOf(DeviceConflictException.class);
    }

    @Test
    void searchFiltersAndPagesThroughEveryMatchExactlyOnce() {
        for (int i = 0; i < 23; i++) {
            DeviceRecord device = test.enroll(i % 2 == 0 ? Platform.IOS : Platform.ANDROID, "PAGE-" + i,
                    i % 3 == 0 ? Ownership.PERSONAL : Ownership.CORPORATE);
            devices.update(ADMIN, device.device().id(), new DeviceChanges(Optional.of(String.format("Device %02d", i)),
                    Optional.empty(), Optional.empty(), Optional.of(i < 5 ? Set.of("lab") : Set.of()), Optional.empty()),
                    OptionalLong.empty());
        }

        for (DeviceSort sort : DeviceSort.values()) {
            Set<DeviceId> seen = new HashSet<>();
            Optional<String> cursor = Optional.empty();
            List<String> names = new ArrayList<>();
            do {
                DevicePage page = devices.search(DeviceFilter.builder().platform(Platform.IOS).build(), sort, cursor, 5);
                page.items().forEach(record -> {
                    assertThat(seen.add(record.device().id())).isTrue();
                    names.add(record.device().name());
                });
                cursor = page.nextCursor();
            } while (cursor.isPresent());
            assertThat(seen).hasSize(12);
            if (sort == DeviceSort.NAME) {
                assertThat(names).isSorted();
            }
        }
        assertThat(devices.count(DeviceFilter.builder().ownership(Ownership.PERSONAL).build())).isEqualTo(8);
        assertThat(devices.count(DeviceFilter.builder().tag("lab").build())).isEqualTo(5);
        assertThat(devices.count(DeviceFilter.builder().namePrefix("device 1").build())).isEqualTo(10);
        assertThat(devices.count(DeviceFilter.builder().platform(Platform.ANDROID).tag("lab").build())).isEqualTo(2);
        assertThatThrownBy(() -> devices.search(DeviceFilter.ALL, DeviceSort.ID, Optional.of("garbage!"), 5))
                .isInstanceOf(IllegalArgumentException.class);
        String nameCursor = devices.search(DeviceFilter.ALL, DeviceSort.NAME, Optional.empty(), 5).nextCursor().orElseThrow();
        assertThatThrownBy(() -> devices.search(DeviceFilter.ALL, DeviceSort.ID, Optional.of(nameCursor), 5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void inventoryUpdatesTheDeviceAndVersionsCompareNumerically() {
        DeviceId old = test.enrollId(Platform.IOS, "OLD");
        DeviceId current = test.enrollId(Platform.IOS, "NEW");
        devices.recordInventory(PLUGIN, old, Map.of("os.version", "9.3.5", "battery.level", "0.8"));
        devices.recordInventory(PLUGIN, current, Map.of("os.version", "17.10", "model", "iPhone16,1"));

        assertThat(devices.get(old).orElseThrow().device().osVersion()).isEqualTo("9.3.5");
        assertThat(devices.inventory(old)).containsEntry("battery.level", "0.8");
        assertThat(devices.ids(DeviceFilter.builder().osVersionAtLeast("17.4").build())).containsExactly(current);
        assertThat(devices.ids(DeviceFilter.builder().osVersionBelow("10").build())).containsExactly(old);
        assertThat(devices.get(current).orElseThrow().device().model()).isEqualTo("iPhone16,1");
    }

    @Test
    void aCompleteReportRemovesWhatDisappearedUnderItsPrefixOnly() {
        DeviceId id = test.enrollId(Platform.IOS, "APPS");
        devices.recordInventory(PLUGIN, id, Map.of("apple.app.com.slack", "24.05", "apple.app.com.outlook", "4.2",
                "apple.apps.count", "2", "apple.IsSupervised", "true"));

        devices.replaceInventory(PLUGIN, id, "apple.app.", Map.of("apple.app.com.slack", "24.06", "apple.apps.count", "1"));

        assertThat(devices.inventory(id)).containsOnly(Map.entry("apple.app.com.slack", "24.06"),
                Map.entry("apple.apps.count", "1"), Map.entry("apple.IsSupervised", "true"));
        List<EventLog.Logged> updates = kernel.events().read(Optional.of("device.inventory_updated"), 0, 10);
        assertThat(updates.get(updates.size() - 1).event().data()).containsEntry("removed", 1);
    }

    @Test
    void anEmptyCompleteReportRemovesEverythingUnderItsPrefixAndABlankPrefixIsRefused() {
        DeviceId id = test.enrollId(Platform.IOS, "NO-APPS");
        devices.recordInventory(PLUGIN, id, Map.of("apple.app.com.slack", "24.05", "os.version", "17.5"));

        devices.replaceInventory(PLUGIN, id, "apple.app.", Map.of());

        assertThat(devices.inventory(id)).containsOnly(Map.entry("os.version", "17.5"));
        assertThatThrownBy(() -> devices.replaceInventory(PLUGIN, id, " ", Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(devices.inventory(id)).containsOnlyKeys("os.version");
    }

    @Test
    void anOversizedInventoryReportIsCutToTheLimitsWithAWarningAndAMarker() {
        devices.setInventoryLimits(new InventoryLimits(5, 8, 20, 10, 60));
        DeviceId id = test.enrollId(Platform.IOS, "FLOOD");
        Map<String, String> flood = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            flood.put("flood." + i, "x".repeat(i));
        }
        flood.put("k".repeat(500), "a key longer than any stored");
        flood.put("os.version", "17.5");

        devices.recordInventory(PLUGIN, id, flood);

        Map<String, String> stored = new LinkedHashMap<>(devices.inventory(id));
        // Five of the report's keys, the device's own fields first, and the marker saying what was left out.
        assertThat(stored).hasSize(6).containsEntry("os.version", "17.5").containsKey(InventoryLimits.LIMITED_MARKER);
        assertThat(stored.get(InventoryLimits.LIMITED_MARKER)).contains("47 of 52 keys dropped");
        stored.remove(InventoryLimits.LIMITED_MARKER);
        assertThat(stored).allSatisfy((key, value) -> {
            assertThat(key.length()).isLessThanOrEqualTo(20);
            assertThat(value.length()).isLessThanOrEqualTo(10);
        });
        assertThat(devices.get(id).orElseThrow().device().osVersion()).isEqualTo("17.5");
        assertThat(kernel.events().read(Optional.of("device.inventory_limited"), 0, 10)).singleElement()
                .satisfies(logged -> assertThat(logged.event().data()).containsEntry("droppedKeys", 47));

        // The device's total (the marker included) stays bounded however many reports it makes; long values are truncated.
        for (int report = 0; report < 5; report++) {
            devices.recordInventory(PLUGIN, id, Map.of("more." + report + ".a", "y".repeat(100), "more." + report + ".b", "z"));
        }
        Map<String, String> after = devices.inventory(id);
        assertThat(after).hasSize(8).containsEntry("more.0.a", "y".repeat(10)).containsEntry("more.0.b", "z")
                .doesNotContainKey("more.4.a");
    }

    @Test
    void aDeviceReportingFasterThanAllowedHasItsReportsRefused() {
        devices.setInventoryLimits(new InventoryLimits(100, 100, 200, 4000, 3));
        DeviceId id = test.enrollId(Platform.IOS, "CHATTY");

        for (int report = 0; report < 6; report++) {
            devices.recordInventory(PLUGIN, id, Map.of("battery.level", Integer.toString(report)));
        }

        assertThat(devices.inventory(id)).containsEntry("battery.level", "2");
        assertThat(kernel.events().read(Optional.of("device.inventory_limited"), 0, 10)).singleElement()
                .satisfies(logged -> assertThat(logged.event().data()).containsKey("refused"));
    }

    @Test
    void anInventoryReportThatChangesNothingWritesNothingAndTellsNoOne() {
        DeviceId id = test.enrollId(Platform.IOS, "SAME");
        devices.recordInventory(PLUGIN, id, Map.of("os.version", "17.5", "battery.level", "0.8", "apple.IsSupervised", "true"));
        assertThat(kernel.events().read(Optional.of("device.inventory_updated"), 0, 10)).hasSize(1);

        // Devices answer DeviceInformation with mostly the same facts, time after time.
        devices.recordInventory(PLUGIN, id, Map.of("os.version", "17.5", "battery.level", "0.8", "apple.IsSupervised", "true"));
        assertThat(kernel.events().read(Optional.of("device.inventory_updated"), 0, 10)).hasSize(1);

        devices.recordInventory(PLUGIN, id, Map.of("os.version", "17.5", "battery.level", "0.7", "apple.IsSupervised", "true"));
        List<EventLog.Logged> updates = kernel.events().read(Optional.of("device.inventory_updated"), 0, 10);
        assertThat(updates).hasSize(2);
        assertThat(updates.get(1).event().data()).containsEntry("items", 3).containsEntry("changed", 1).containsEntry("removed", 0);
        assertThat(devices.inventory(id)).containsEntry("battery.level", "0.7").containsEntry("os.version", "17.5");
        assertThat(devices.get(id).orElseThrow().device().osVersion()).isEqualTo("17.5");
    }

    @Test
    void manyDevicesInventoryIsWrittenInOneTransactionEachReportAsRecordInventoryWouldAndUnknownDevicesLeftOut() {
        DeviceId first = test.enrollId(Platform.IOS, "BATCH1");
        DeviceId second = test.enrollId(Platform.IOS, "BATCH2");
        devices.recordInventory(PLUGIN, second, Map.of("apple.ade.color", "BLACK"));
        String thisThread = Thread.currentThread().getName();
        StoreUse.Counts before = test.storeUse().of(thisThread::equals);

        int found = devices.recordInventories(PLUGIN, Map.of(
                first, Map.of("apple.ade.description", "iPhone 15 128GB Black", "device.name", "Reception"),
                second, Map.of("apple.ade.color", "BLUE"),
                DeviceId.random(), Map.of("apple.ade.color", "GREEN")));

        assertThat(found).isEqualTo(2);
        assertThat(test.storeUse().of(thisThread::equals).since(before).commits()).isEqualTo(1);
        assertThat(devices.inventory(first)).containsEntry("apple.ade.description", "iPhone 15 128GB Black");
        assertThat(devices.get(first).orElseThrow().device().name()).as("a well-known key updates the device").isEqualTo("Reception");
        assertThat(devices.inventory(second)).containsEntry("apple.ade.color", "BLUE");
        assertThat(kernel.events().read(Optional.of("device.inventory_updated"), 0, 10)).hasSize(3);
    }

    @Test
    void aRepeatedInventoryReportIsAnsweredByOneReadWithoutATransaction() {
        DeviceId id = test.enrollId(Platform.IOS, "REPEAT");
        Map<String, String> report = Map.of("os.version", "17.5", "device.name", "Ana's iPhone", "battery.level", "0.8");
        devices.recordInventory(PLUGIN, id, report);
        String thisThread = Thread.currentThread().getName();
        StoreUse.Counts before = test.storeUse().of(thisThread::equals);

        devices.recordInventory(PLUGIN, id, report);

        StoreUse.Counts repeat = test.storeUse().of(thisThread::equals).since(before);
        assertThat(repeat.commits()).isZero();
        assertThat(repeat.statements()).isEqualTo(1);
        assertThat(devices.inventory(id)).containsAllEntriesOf(report);
    }

    @Test
    void aRepeatedReportStillPutsBackTheDevicesReportedNameOverAnAdminsRenameAsBefore() {
        DeviceRecord device = test.enroll(Platform.IOS, "RENAMED", Ownership.CORPORATE);
        DeviceId id = device.device().id();
        devices.recordInventory(PLUGIN, id, Map.of("device.name", "Ana's iPhone"));
        DeviceRecord named = devices.get(id).orElseThrow();
        devices.update(ADMIN, id, new DeviceChanges(Optional.of("Front desk"), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty()), OptionalLong.of(named.version())).orElseThrow();

        // The inventory item is unchanged, the device's name is not what the device reports: that is a change.
        devices.recordInventory(PLUGIN, id, Map.of("device.name", "Ana's iPhone"));

        assertThat(devices.get(id).orElseThrow().device().name()).isEqualTo("Ana's iPhone");
    }

    @Test
    void aRepeatedCompleteListStillRemovesWhatItNoLongerCarries() {
        DeviceId id = test.enrollId(Platform.IOS, "APPS");
        devices.replaceInventory(PLUGIN, id, "app.", Map.of("app.com.slack", "24.05", "app.com.outlook", "4.2"));

        devices.replaceInventory(PLUGIN, id, "app.", Map.of("app.com.slack", "24.05"));

        assertThat(devices.inventory(id)).containsEntry("app.com.slack", "24.05").doesNotContainKey("app.com.outlook");
    }

    @Test
    void checkInsAreRecordedAndNeverMoveBackwards() {
        DeviceId id = test.enrollId(Platform.IOS, "CHECKIN");
        Instant later = Instant.parse("2030-01-01T00:00:00Z");
        devices.recordCheckIn(id, later);
        devices.recordCheckIn(id, later.minusSeconds(60));

        assertThat(devices.get(id).orElseThrow().device().lastCheckIn()).hasValue(later);
        assertThat(devices.count(DeviceFilter.builder().checkedInAfter(later).build())).isEqualTo(1);
    }

    @Test
    void aBusyDeviceCostsOneCheckInWritePerResolution() {
        DeviceId id = test.enrollId(Platform.IOS, "BUSY");
        Instant first = Instant.parse("2030-01-01T00:00:00Z");
        devices.recordCheckIn(id, first);
        devices.recordCheckIn(id, first.plusSeconds(5));
        assertThat(devices.get(id).orElseThrow().device().lastCheckIn()).hasValue(first);

        Instant later = first.plus(DeviceService.CHECK_IN_RESOLUTION).plusSeconds(1);
        devices.recordCheckIn(id, later);
        assertThat(devices.get(id).orElseThrow().device().lastCheckIn()).hasValue(later);
    }

    @Test
    void changesRaiseDurableEventsAfterCommitAndNothingForRolledBackWork() {
        List<Event> heard = new CopyOnWriteArrayList<>();
        kernel.bus().subscribe(heard::add);

        DeviceRecord device = test.enroll(Platform.MACOS, "EVENTS", Ownership.CORPORATE);
        assertThatThrownBy(() -> devices.enroll(PLUGIN, TestKernel.claim("bad", Platform.MACOS, "NOPE")))
                .isInstanceOf(EnrollmentRefusedException.class);

        assertThat(heard).extracting(Event::type).containsExactly("device.enrolled");
        List<EventLog.Logged> logged = kernel.events().read(Optional.of("device."), 0, 10);
        assertThat(logged).hasSize(1);
        assertThat(logged.get(0).event().data()).containsEntry("deviceId", device.device().id().toString());
    }

    @Test
    void aDevicesStatusIsReadFromTheStoreOnceThenServedFromMemory() throws Exception {
        DeviceId id = test.enrollId(Platform.IOS, "STATUS-READ-ONCE");
        assertThat(devices.status(id)).hasValue(DeviceStatus.ENROLLED);

        // A write that bypasses the kernel is not seen: the status is no longer read from the store. (Every write the
        // kernel makes is seen: see below.)
        try (var connection = test.database().dataSource().getConnection();
             var update = connection.prepareStatement("UPDATE device SET status = 'WIPED' WHERE id = ?")) {
            update.setString(1, id.toString());
            assertThat(update.executeUpdate()).isEqualTo(1);
        }
        assertThat(devices.status(id)).hasValue(DeviceStatus.ENROLLED);
        // Inside a transaction that decides by it, the status is always the store's.
        Optional<DeviceStatus> inTransaction = kernel.transactions().inTransaction("read the status", tx -> devices.status(tx, id));
        assertThat(inTransaction).hasValue(DeviceStatus.WIPED);
        assertThat(devices.status(DeviceId.random())).isEmpty();
    }

    @Test
    void everyStatusChangeIsSeenAtOnceByTheStatusReadOnEveryDeviceMessage() {
        DeviceId id = test.enrollId(Platform.IOS, "STATUS-CHANGES");
        assertThat(devices.status(id)).hasValue(DeviceStatus.ENROLLED);

        devices.changeStatus(ADMIN, id, DeviceStatus.QUARANTINED, "jailbroken");
        assertThat(devices.status(id)).hasValue(DeviceStatus.QUARANTINED);
        devices.changeStatus(ADMIN, id, DeviceStatus.ENROLLED, "released");
        assertThat(devices.status(id)).hasValue(DeviceStatus.ENROLLED);
        // A change rolled back is not seen, and leaves the status as it was.
        assertThatThrownBy(() -> kernel.transactions().inTransaction("quarantine, then fail", tx -> {
            devices.changeStatus(tx, ADMIN, id, DeviceStatus.QUARANTINED, "rolled back");
            throw new IllegalStateException("something failed after the change");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(devices.status(id)).hasValue(DeviceStatus.ENROLLED);
        devices.changeStatus(ADMIN, id, DeviceStatus.RETIRED, "returned");
        assertThat(devices.status(id)).hasValue(DeviceStatus.RETIRED);

        // Imported ahead, then claimed by its enrollment: pending, then enrolled.
        DeviceId imported = devices.importDevices(ADMIN, List.of(new DeviceImport(Platform.IOS, "SER-STATUS", "iPad", "Lobby iPad",
                Ownership.CORPORATE, Map.of("udid", "STATUS-IMPORTED"), Set.of()))).get(0);
        assertThat(devices.status(imported)).hasValue(DeviceStatus.PENDING);
        devices.enroll(PLUGIN, TestKernel.claim(token(Ownership.CORPORATE, OptionalInt.empty(), Optional.empty()).secret(), Platform.IOS,
                "STATUS-IMPORTED"));
        assertThat(devices.status(imported)).hasValue(DeviceStatus.ENROLLED);

        // Wiped through the one path by which management ends, inside its transaction.
        kernel.commands().endManagement(ADMIN, imported, true, "stolen");
        assertThat(devices.status(imported)).hasValue(DeviceStatus.WIPED);
    }

    @Test
    void programEnrollmentNeedsNoTokenButLinksDo() {
        EnrollmentClaim program = new EnrollmentClaim(Optional.empty(), Platform.MACOS, EnrollmentMethod.PROGRAM,
                Map.of("serial", "C02XYZ"), "C02XYZ", "MacBookPro18,1", "14.5", "");
        assertThat(devices.enroll(PLUGIN, program).device().name()).isEqualTo("MacBookPro18,1 C02XYZ");

        EnrollmentClaim link = new EnrollmentClaim(Optional.empty(), Platform.MACOS, EnrollmentMethod.LINK,
                Map.of("serial", "C02ABC"), "C02ABC", "", "", "");
        assertThatThrownBy(() -> devices.enroll(PLUGIN, link)).isInstanceOf(EnrollmentRefusedException.class);
    }

    private IssuedEnrollmentToken token(Ownership ownership, OptionalInt maxUses, Optional<String> userId) {
        return kernel.enrollmentTokens().create(ADMIN, new NewEnrollmentToken("test", ownership, Optional.empty(),
                Optional.empty(), userId, maxUses, Instant.now().plus(Duration.ofHours(1))));
    }
}
