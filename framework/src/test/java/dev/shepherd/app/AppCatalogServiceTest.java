package dev.shepherd.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The app catalog over a real store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}): catalog
 * sync, assignments with precedence, licences, and desired versus actual driven by real commands and inventory.
 */
class AppCatalogServiceTest {

    private static final Actor DEVICE = Actor.plugin("ios");
    private static final String NOTES = "com.example.notes";

    @TempDir
    Path home;
    private TestKernel test;
    private Kernel kernel;
    private AppCatalogService apps;
    private final TestAppStore vpp = new TestAppStore("test-vpp");
    private final TestAppStore other = new TestAppStore("other");
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        kernel = test.kernel();
        apps = kernel.apps();
        apps.setStores(TestAppStore.direct(vpp, other));
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void syncPagesThroughTheStoreAndMarksAppsItNoLongerLists() {
        vpp.offer("100", NOTES, "Notes", "1.0", 5);
        vpp.offer("200", "com.example.maps", "Maps", "3.1", 0);
        vpp.offer("300", "com.example.chat", "Chat", "2.0", 0);

        assertThat(apps.sync("test-vpp")).isEqualTo(new CatalogSync("test-vpp", 3, 3, 0, 0, Optional.empty()));
        CatalogApp notes = app(NOTES);
        assertThat(notes.licensed()).isTrue();
        assertThat(notes.licences().orElseThrow().total()).isEqualTo(5);
        assertThat(notes.version()).hasValue("1.0");

        vpp.withdraw("300");
        assertThat(apps.sync("test-vpp").unlisted()).isEqualTo(1);
        assertThat(app("com.example.chat").removedFromStore()).isTrue();
        assertThat(app("com.example.maps").removedFromStore()).isFalse();
    }

    @Test
    void syncsOfOneStoreThatMeetAreBothAnsweredAndAddEachAppOnce() throws Exception {
        for (int i = 0; i < 20; i++) {
            vpp.offer("app-" + i, "com.example.app" + i, "App " + i, "1.0", 0);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<CatalogSync>> syncs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                syncs.add(pool.submit(() -> apps.sync("test-vpp")));
            }
            int added = 0;
            for (Future<CatalogSync> sync : syncs) {
                CatalogSync done = sync.get(60, TimeUnit.SECONDS);
                assertThat(done.failure()).isEmpty();
                added += done.added();
            }
            assertThat(added).as("each app added by exactly one of the syncs").isEqualTo(20);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailingStoreIsReportedAndTheOthersAreStillSynced() {
        vpp.failing = true;
        other.offer("9", "com.example.other", "Other", "1.0", 0);

        List<CatalogSync> results = apps.syncAll();

        assertThat(results).extracting(CatalogSync::failure).containsExactly(Optional.of("the test store is down"), Optional.empty());
        assertThat(apps.list(Optional.empty(), Optional.empty(), Optional.empty(), 10)).extracting(CatalogApp::name).containsExactly("Other");
    }

    @Test
    void aRequiredAppIsLicensedInstalledAndBecomesInstalledWhenTheDeviceReportsIt() {
        vpp.offer("100", NOTES, "Notes", "1.0", 5);
        apps.sync("test-vpp");
        DeviceId device = test.enrollId(Platform.IOS, "U1");
        String group = group("Sales", device);

        apps.assign(ADMIN, app(NOTES).id(), group, AppIntent.REQUIRED, Optional.empty());
        apps.reconcilePending();

        Command install = single(device);
        assertThat(install.type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(install.parameters()).containsEntry("identifier", NOTES).containsEntry("source", "store")
                .containsEntry("storeAppId", "100").containsEntry("storeId", "test-vpp").containsEntry("version", "1.0");
        assertThat(AppInstallation.fromParameters(install.parameters()).orElseThrow().options()).containsEntry("purchaseMethod", 1);
        assertThat(state(device).state()).isEqualTo(AppInstallState.INSTALLING);
        assertThat(apps.licences(app(NOTES).id())).extracting(AppLicence::reference).containsExactly(Optional.of("licence-SER-U1"));

        acknowledge(device, install);
        assertThat(state(device).state()).isEqualTo(AppInstallState.INSTALLING);
        assertThat(state(device).reason()).hasValue("waiting for the device to report the app");

        kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of("app." + NOTES, "1.0", "app.com.example.game", "0.9"));
        assertThat(state(device).state()).isEqualTo(AppInstallState.INSTALLED);
        assertThat(state(device).installedVersion()).hasValue("1.0");
        apps.reconcilePending();
        assertThat(kernel.commands().take(device, 10)).isEmpty();
    }

    @Test
    void runningOutOfLicencesFailsTheDeviceWithTheStoresReasonAndMoreLicencesRetryIt() {
        vpp.offer("100", NOTES, "Notes", "1.0", 1);
        apps.sync("test-vpp");
        DeviceId first = test.enrollId(Platform.IOS, "U1");
        DeviceId second = test.enrollId(Platform.IOS, "U2");
        String group = group("Sales", first, second);

        apps.assign(ADMIN, app(NOTES).id(), group, AppIntent.REQUIRED, Optional.empty());
        apps.reconcilePending();

        assertThat(List.of(state(first), state(second))).extracting(DeviceAppState::state)
                .containsExactlyInAnyOrder(AppInstallState.INSTALLING, AppInstallState.FAILED);
        DeviceId failed = state(first).state() == AppInstallState.FAILED ? first : second;
        assertThat(state(failed).reason()).hasValueSatisfying(reason -> assertThat(reason).startsWith("No licences left for 100 (1 of 1"));
        assertThat(kernel.commands().take(failed, 10)).isEmpty();

        vpp.offer("100", NOTES, "Notes", "1.0", 2);
        apps.sync("test-vpp");
        apps.reconcilePending();
        assertThat(state(failed).state()).isEqualTo(AppInstallState.INSTALLING);
        assertThat(single(failed).type()).isEqualTo(CommandType.INSTALL_APP);
    }

    @Test
    void aNewCatalogVersionReachesInstalledDevicesAsAnUpdate() {
        DeviceId device = requiredNotesInstalled();

        vpp.offer("100", NOTES, "Notes", "1.10", 5);
        assertThat(apps.sync("test-vpp").newVersions()).isEqualTo(1);
        apps.reconcilePending();

        Command update = single(device);
        assertThat(update.type()).isEqualTo(CommandType.UPDATE_APP);
        assertThat(update.parameters()).containsEntry("version", "1.10");
        acknowledge(device, update);
        kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of("app." + NOTES, "1.9"));
        assertThat(state(device).state()).as("1.9 is below 1.10").isEqualTo(AppInstallState.INSTALLING);
        kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of("app." + NOTES, "1.10"));
        assertThat(state(device).state()).isEqualTo(AppInstallState.INSTALLED);
        assertThat(apps.versions(app(NOTES).id())).containsExactly("1.10", "1.0");
    }

    @Test
    void aStagedUpdateReachesThePilotGroupFirstAndEveryDeviceOnceItIsPromoted() {
        vpp.offer("100", NOTES, "Notes", "1.0", 5);
        apps.sync("test-vpp");
        String notes = app(NOTES).id();
        DeviceId pilotDevice = test.enrollId(Platform.IOS, "P1");
        DeviceId fleetDevice = test.enrollId(Platform.IOS, "F1");
        apps.assign(ADMIN, notes, group("Everyone", pilotDevice, fleetDevice), AppIntent.REQUIRED, Optional.empty());
        apps.reconcilePending();
        for (DeviceId device : List.of(pilotDevice, fleetDevice)) {
            acknowledge(device, single(device));
            kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of("app." + NOTES, "1.0"));
        }
        AppRollout started = apps.startRollout(ADMIN, notes, group("Pilot", pilotDevice));
        assertThat(started.releasedVersion()).as("what devices have now is released").contains("1.0");

        vpp.offer("100", NOTES, "Notes", "1.1", 5);
        apps.sync("test-vpp");
        apps.reconcilePending();
        Command pilotUpdate = single(pilotDevice);
        assertThat(pilotUpdate.type()).isEqualTo(CommandType.UPDATE_APP);
        assertThat(pilotUpdate.parameters()).containsEntry("version", "1.1");
        assertThat(kernel.commands().take(fleetDevice, 10)).as("outside the pilot group 1.0 is kept").isEmpty();
        acknowledge(pilotDevice, pilotUpdate);
        kernel.devices().replaceInventory(DEVICE, pilotDevice, "app.", Map.of("app." + NOTES, "1.1"));
        AppRollout piloted = apps.rollout(notes).orElseThrow();
        assertThat(piloted.version()).contains("1.1");
        assertThat(piloted.pilot()).isEqualTo(new AppRollout.Stage(1, 1, 0));
        assertThat(piloted.others()).isEqualTo(new AppRollout.Stage(1, 0, 0));
        assertThat(state(fleetDevice).state()).isEqualTo(AppInstallState.INSTALLED);

        assertThat(apps.promoteRollout(ADMIN, notes).orElseThrow().releasedVersion()).contains("1.1");
        apps.reconcilePending();
        Command fleetUpdate = single(fleetDevice);
        assertThat(fleetUpdate.type()).isEqualTo(CommandType.UPDATE_APP);
        acknowledge(fleetDevice, fleetUpdate);
        kernel.devices().replaceInventory(DEVICE, fleetDevice, "app.", Map.of("app." + NOTES, "1.1"));
        assertThat(apps.rollout(notes).orElseThrow().others()).isEqualTo(new AppRollout.Stage(1, 1, 0));

        assertThat(apps.endRollout(ADMIN, notes)).isTrue();
        assertThat(apps.rollout(notes)).isEmpty();
        assertThat(apps.endRollout(ADMIN, notes)).as("nothing left to end").isFalse();
    }

    @Test
    void uninstallWinsOverRequiredRemovesTheAppAndGivesTheLicenceBack() {
        DeviceId device = requiredNotesInstalled();
        String notesId = app(NOTES).id();
        assertThat(vpp.holders("100")).isEqualTo(1);

        apps.assign(ADMIN, notesId, group("Leavers", device), AppIntent.UNINSTALL, Optional.empty());
        apps.reconcilePending();

        Command remove = single(device);
        assertThat(remove.type()).isEqualTo(CommandType.REMOVE_APP);
        assertThat(remove.parameters()).containsEntry("identifier", NOTES).containsEntry("storeAppId", "100");
        assertThat(state(device).intent()).isEqualTo(AppIntent.UNINSTALL);
        acknowledge(device, remove);
        apps.reconcilePending();
        assertThat(state(device).state()).isEqualTo(AppInstallState.REMOVED);
        assertThat(vpp.revoked).containsExactly("100:SER-U1");
        assertThat(apps.licences(notesId)).isEmpty();
        assertThat(vpp.holders("100")).isZero();
    }

    @Test
    void aDeviceThatRefusesTheInstallIsFailedWithItsReason() {
        DeviceId device = requiredNotesQueued();
        Command install = single(device);

        kernel.commands().report(device, new CommandResult(install.id(), CommandState.FAILED, Map.of(),
                Optional.of("The app could not be installed: not enough storage")));

        assertThat(state(device).state()).isEqualTo(AppInstallState.FAILED);
        assertThat(state(device).reason()).hasValue("The app could not be installed: not enough storage");
        assertThat(apps.deviceStates(app(NOTES).id(), 10)).extracting(DeviceAppState::deviceId).containsExactly(device.toString());
    }

    @Test
    void retiringADeviceGivesItsLicencesBack() {
        DeviceId device = requiredNotesQueued();

        kernel.commands().endManagement(ADMIN, device, false, "left the company");
        apps.reconcilePending();

        assertThat(vpp.revoked).containsExactly("100:SER-U1");
        assertThat(apps.licences(app(NOTES).id())).isEmpty();
        assertThat(state(device).state()).isEqualTo(AppInstallState.REMOVED);
    }

    @Test
    void aConfigurationIsValidatedAgainstTheAppsSchemaAndItsSecretsAreSealed() throws Exception {
        vpp.offerWithSchema("400", "com.example.mail", "Mail", """
                {"type": "object", "additionalProperties": false,
                 "properties": {"server": {"type": "string"}, "token": {"type": "string", "writeOnly": true}}}""");
        apps.sync("test-vpp");
        DeviceId device = test.enrollId(Platform.IOS, "U1");
        String group = group("Sales", device);
        String mail = app("com.example.mail").id();

        assertThatThrownBy(() -> apps.assign(ADMIN, mail, group, AppIntent.REQUIRED, Optional.of(json.readTree("{\"port\": 1}"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit the app's schema");
        // each problem names its field as a JSON Pointer, which the console shows beside that field
        assertThatThrownBy(() -> apps.assign(ADMIN, mail, group, AppIntent.REQUIRED, Optional.of(json.readTree("{\"server\": 25}"))))
                .isInstanceOfSatisfying(InvalidConfigurationException.class, invalid -> assertThat(invalid.problems())
                        .singleElement().asString().startsWith("/server: "));
        AppAssignment assigned = apps.assign(ADMIN, mail, group, AppIntent.REQUIRED,
                Optional.of(json.readTree("{\"server\": \"mail.example.com\", \"token\": \"s3cret\"}")));

        assertThat(assigned.configuration()).isEqualTo(Map.of("server", "mail.example.com"));
        apps.reconcilePending();
        Command install = single(device);
        @SuppressWarnings("unchecked")
        Map<String, Object> configuration = (Map<String, Object>) install.parameters().get("configuration");
        assertThat(configuration.get("server")).isEqualTo("mail.example.com");
        assertThat((String) configuration.get("token")).startsWith("sealed:v1:").doesNotContain("s3cret");
        assertThat(kernel.policies().secrets().openMap(configuration)).containsEntry("token", "s3cret");
    }

    @Test
    void theFleetsInventoryIsSearchedByIdentifierAndVersion() {
        DeviceId old = test.enrollId(Platform.IOS, "U1");
        DeviceId current = test.enrollId(Platform.IOS, "U2");
        kernel.devices().replaceInventory(DEVICE, old, "app.", Map.of("app." + NOTES, "2.9.1"));
        kernel.devices().replaceInventory(DEVICE, current, "app.", Map.of("app." + NOTES, "2.10"));

        assertThat(apps.reporting(NOTES, Optional.of("2.10"), Optional.empty(), 10)).extracting(InstalledApp::deviceId)
                .containsExactly(old.toString());
        assertThat(apps.reporting(NOTES, Optional.empty(), Optional.empty(), 10)).hasSize(2);
        assertThatThrownBy(() -> apps.reporting(NOTES, Optional.of("latest"), Optional.empty(), 10))
                .isInstanceOf(IllegalArgumentException.class);

        kernel.devices().replaceInventory(DEVICE, old, "app.", Map.of());
        assertThat(apps.reporting(NOTES, Optional.empty(), Optional.empty(), 10)).extracting(InstalledApp::deviceId)
                .containsExactly(current.toString());
    }

    @Test
    void anAssignedAppCannotBeDeleted() {
        String group = notesForSales(test.enrollId(Platform.IOS, "U1"), 0);
        String notes = app(NOTES).id();
        apps.assign(ADMIN, notes, group, AppIntent.AVAILABLE, Optional.empty());

        assertThatThrownBy(() -> apps.delete(ADMIN, notes)).isInstanceOf(AppConflictException.class);
        apps.unassign(ADMIN, notes, group);
        assertThat(apps.delete(ADMIN, notes)).isTrue();
        assertThat(apps.get(notes)).isEmpty();
    }

    @Test
    void anAvailableAppIsOfferedOnceWithoutALicenceWherePlatformsOfferAppsAndFollowsTheDevicesInventory() {
        apps.setAppOffers(Platform.IOS::equals);
        DeviceId device = test.enrollId(Platform.IOS, "U1");
        String group = notesForSales(device, 5);
        String notes = app(NOTES).id();

        apps.assign(ADMIN, notes, group, AppIntent.AVAILABLE, Optional.empty());
        apps.reconcilePending();

        Command offer = single(device);
        assertThat(offer.type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(offer.parameters()).containsEntry(AppInstallation.OFFER, true).containsEntry("identifier", NOTES);
        assertThat(apps.licences(notes)).as("an offer installs nothing, so it takes no licence").isEmpty();
        assertThat(state(device).state()).isEqualTo(AppInstallState.REMOVED);
        acknowledge(device, offer);
        assertThat(state(device).state()).as("offered, not installed").isEqualTo(AppInstallState.REMOVED);
        assertThat(state(device).commandId()).hasValue(offer.id().toString());

        // the user installs it from the device's store, then removes it; it is not offered again
        kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of("app." + NOTES, "1.0"));
        assertThat(state(device).state()).isEqualTo(AppInstallState.INSTALLED);
        kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of());
        apps.reconcilePending();
        assertThat(state(device).state()).isEqualTo(AppInstallState.REMOVED);
        assertThat(kernel.commands().take(device, 10)).isEmpty();

        // taken back: the offer is removed from the device's store although the app is not installed
        apps.assign(ADMIN, notes, group, AppIntent.UNINSTALL, Optional.empty());
        apps.reconcilePending();
        assertThat(single(device).type()).isEqualTo(CommandType.REMOVE_APP);
    }

    @Test
    void anAvailableAppIsNotOfferedWherePlatformsOfferNone() {
        DeviceId device = test.enrollId(Platform.IOS, "U1");
        String group = notesForSales(device, 5);
        apps.assign(ADMIN, app(NOTES).id(), group, AppIntent.AVAILABLE, Optional.empty());
        apps.reconcilePending();

        assertThat(kernel.commands().take(device, 10)).isEmpty();
        assertThat(state(device).state()).isEqualTo(AppInstallState.REMOVED);
    }

    /** Notes synced with this many licences, and a group "Sales" of the device; @return the group's id */
    private String notesForSales(DeviceId device, long licences) {
        vpp.offer("100", NOTES, "Notes", "1.0", licences);
        apps.sync("test-vpp");
        return group("Sales", device);
    }

    /** Notes (5 licences) synced, REQUIRED for a group of one device, its install command queued. */
    private DeviceId requiredNotesQueued() {
        vpp.offer("100", NOTES, "Notes", "1.0", 5);
        apps.sync("test-vpp");
        DeviceId device = test.enrollId(Platform.IOS, "U1");
        apps.assign(ADMIN, app(NOTES).id(), group("Sales", device), AppIntent.REQUIRED, Optional.empty());
        apps.reconcilePending();
        return device;
    }

    /** As {@link #requiredNotesQueued()}, then acknowledged and reported at 1.0. */
    private DeviceId requiredNotesInstalled() {
        DeviceId device = requiredNotesQueued();
        acknowledge(device, single(device));
        kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of("app." + NOTES, "1.0"));
        return device;
    }

    private CatalogApp app(String identifier) {
        return new AppTestKit(kernel).app(identifier);
    }

    private String group(String name, DeviceId... devices) {
        return new AppTestKit(kernel).group(name, devices);
    }

    private DeviceAppState state(DeviceId device) {
        return apps.appsOf(device).stream().findFirst().orElseThrow();
    }

    private Command single(DeviceId device) {
        return new AppTestKit(kernel).single(device);
    }

    private void acknowledge(DeviceId device, Command command) {
        kernel.commands().report(device, new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
    }
}
