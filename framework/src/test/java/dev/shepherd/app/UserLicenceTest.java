package dev.shepherd.app;

import dev.shepherd.api.appstore.LicenceKind;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * User licences over a real store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}): an assignment
 * whose licence source is USER gets one licence per user and app, covering all of the user's devices, given back once
 * no device of the user needs the app; a device without a user fails with that reason; a store that cannot give user
 * licences is refused at assignment.
 */
class UserLicenceTest {

    private static final String NOTES = "com.example.notes";

    @TempDir
    Path home;
    private TestKernel test;
    private AppTestKit kit;
    private Kernel kernel;
    private AppCatalogService apps;
    /** A store that gives user licences as well as device ones, holding one licence of Notes. */
    private final TestAppStore vpp = new TestAppStore("test-vpp");
    /** A user with an email address. */
    private String alice;
    /** A user without one. */
    private String bob;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        kit = new AppTestKit(test.kernel());
        kernel = kit.kernel();
        apps = kernel.apps();
        vpp.licenceKinds = Set.of(LicenceKind.DEVICE, LicenceKind.USER);
        vpp.offer("100", NOTES, "Notes", "1.0", 1);
        apps.setStores(TestAppStore.direct(vpp));
        apps.sync("test-vpp");
        alice = kernel.directory().create(ADMIN, DirectoryService.LOCAL, "alice", "Alice", "alice@example.com").id();
        bob = kernel.directory().create(ADMIN, DirectoryService.LOCAL, "bob", "Bob", "").id();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void twoDevicesOfOneUserInstallWithOneUserLicence() {
        DeviceId phone = enrollFor(Optional.of(alice), "A1");
        DeviceId tablet = enrollFor(Optional.of(alice), "A2");

        AppAssignment assignment = apps.assign(ADMIN, notes(), group("Staff", phone, tablet), AppIntent.REQUIRED, Optional.empty(),
                Optional.of(LicenceKind.USER));
        apps.reconcilePending();

        assertThat(assignment.licenceSource()).isEqualTo(LicenceKind.USER);
        assertThat(single(phone).type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(single(tablet).type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(vpp.userRequests).as("the store is asked once for the user").containsExactly("100:user:" + alice);
        assertThat(vpp.holders("100")).isEqualTo(1);
        assertThat(apps.licences(notes())).singleElement().satisfies(licence -> {
            assertThat(licence.kind()).isEqualTo(LicenceKind.USER);
            assertThat(licence.userId()).hasValue(alice);
        });
    }

    @Test
    void theUserLicenceIsGivenBackOnlyWhenTheLastDeviceOfTheUserNoLongerNeedsIt() {
        DeviceId phone = enrollFor(Optional.of(alice), "A1");
        DeviceId tablet = enrollFor(Optional.of(alice), "A2");
        requiredWithUserLicences(group("Staff", phone, tablet));

        kernel.devices().changeStatus(ADMIN, phone, DeviceStatus.RETIRED, "lost");
        apps.reconcilePending();
        assertThat(vpp.revoked).as("the tablet still needs it").isEmpty();
        assertThat(apps.licences(notes())).hasSize(1);

        kernel.devices().update(ADMIN, tablet, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(""), Optional.empty(),
                Optional.empty()), OptionalLong.empty());
        apps.reconcilePending();
        assertThat(vpp.revoked).containsExactly("100:user:" + alice);
        assertThat(apps.licences(notes())).isEmpty();
        assertThat(vpp.holders("100")).isZero();
    }

    @Test
    void unassigningTheAppGivesTheUserLicenceBack() {
        String staff = group("Staff", enrollFor(Optional.of(alice), "A1"));
        requiredWithUserLicences(staff);
        assertThat(apps.licences(notes())).hasSize(1);

        apps.unassign(ADMIN, notes(), staff);
        apps.reconcilePending();

        assertThat(vpp.revoked).containsExactly("100:user:" + alice);
        assertThat(apps.licences(notes())).isEmpty();
    }

    @Test
    void aDeviceWithoutAUserFailsWithTheReasonAndInstallsOnceItHasOne() {
        DeviceId kiosk = enrollFor(Optional.empty(), "K1");
        requiredWithUserLicences(group("Kiosks", kiosk));

        DeviceAppState state = state(kiosk);
        assertThat(state.state()).isEqualTo(AppInstallState.FAILED);
        assertThat(state.reason()).hasValue(AppCatalogService.NO_USER_FOR_LICENCE);
        assertThat(kernel.commands().take(kiosk, 10)).isEmpty();

        kernel.devices().update(ADMIN, kiosk, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(bob), Optional.empty(),
                Optional.empty()), OptionalLong.empty());
        apps.reconcilePending();
        assertThat(single(kiosk).type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(vpp.userRequests).as("a user without an email is still named by their id").containsExactly("100:user:" + bob);
    }

    @Test
    void anAvailableAppTheUserAsksForInTheSelfServicePortalGetsTheirUserLicence() {
        DeviceId phone = enrollFor(Optional.of(alice), "A1");
        apps.assign(ADMIN, notes(), group("Staff", phone), AppIntent.AVAILABLE, Optional.empty(), Optional.of(LicenceKind.USER));
        apps.reconcilePending();
        assertThat(vpp.userRequests).as("nothing is licensed before the user asks").isEmpty();

        apps.requestInstall(alice, phone, notes()).orElseThrow();
        apps.reconcilePending();

        assertThat(single(phone).type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(vpp.userRequests).containsExactly("100:user:" + alice);
        assertThat(apps.licences(notes())).singleElement().extracting(AppLicence::userId).isEqualTo(Optional.of(alice));
    }

    @Test
    void runningOutOfLicencesFailsTheSecondUsersDevice() {
        DeviceId alicePhone = enrollFor(Optional.of(alice), "A1");
        DeviceId bobPhone = enrollFor(Optional.of(bob), "B1");
        requiredWithUserLicences(group("Staff", alicePhone, bobPhone));

        assertThat(List.of(state(alicePhone).state(), state(bobPhone).state()))
                .containsExactlyInAnyOrder(AppInstallState.INSTALLING, AppInstallState.FAILED);
        DeviceId failed = state(alicePhone).state() == AppInstallState.FAILED ? alicePhone : bobPhone;
        assertThat(state(failed).reason()).hasValueSatisfying(reason -> assertThat(reason).startsWith("No licences left for 100"));
    }

    @Test
    void theAssignmentThatWinsTheMergeGivesTheLicenceSource() {
        DeviceId phone = enrollFor(Optional.of(alice), "A1");
        String first = group("One", phone);
        String second = group("Two", phone);
        String lower = first.compareTo(second) < 0 ? first : second;
        String higher = lower.equals(first) ? second : first;
        apps.assign(ADMIN, notes(), lower, AppIntent.REQUIRED, Optional.empty(), Optional.of(LicenceKind.USER));
        apps.assign(ADMIN, notes(), higher, AppIntent.REQUIRED, Optional.empty(), Optional.of(LicenceKind.DEVICE));
        apps.reconcilePending();

        assertThat(apps.licences(notes())).singleElement().extracting(AppLicence::kind).isEqualTo(LicenceKind.USER);
    }

    @Test
    void switchingToDeviceLicencesKeepsTheUserLicenceOfDevicesThatInstalledWithIt() {
        DeviceId phone = enrollFor(Optional.of(alice), "A1");
        String staff = group("Staff", phone);
        requiredWithUserLicences(staff);
        assertThat(single(phone).type()).isEqualTo(CommandType.INSTALL_APP);

        apps.assign(ADMIN, notes(), staff, AppIntent.REQUIRED, Optional.empty(), Optional.of(LicenceKind.DEVICE));
        apps.reconcilePending();

        assertThat(vpp.revoked).as("the phone holds no device licence of its own").isEmpty();
        assertThat(apps.licences(notes())).extracting(AppLicence::kind).containsExactly(LicenceKind.USER);
    }

    @Test
    void editingAnAssignmentWithoutALicenceSourceKeepsItsOwn() {
        DeviceId phone = enrollFor(Optional.of(alice), "A1");
        String staff = group("Staff", phone);
        apps.assign(ADMIN, notes(), staff, AppIntent.REQUIRED, Optional.empty(), Optional.of(LicenceKind.USER));

        AppAssignment edited = apps.assign(ADMIN, notes(), staff, AppIntent.AVAILABLE, Optional.empty());

        assertThat(edited.licenceSource()).isEqualTo(LicenceKind.USER);
    }

    @Test
    void aStoreThatGivesDeviceLicencesOnlyIsNotAskedForUserLicences() {
        vpp.licenceKinds = Set.of(LicenceKind.DEVICE);
        DeviceId phone = enrollFor(Optional.of(alice), "A1");
        String staff = group("Staff", phone);

        assertThatThrownBy(() -> apps.assign(ADMIN, notes(), staff, AppIntent.REQUIRED, Optional.empty(), Optional.of(LicenceKind.USER)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("store test-vpp cannot give user licences; it gives [device]");
        assertThat(apps.assignments(notes())).isEmpty();
    }

    /** Notes assigned REQUIRED with user licences to the group, and its devices reconciled. */
    private void requiredWithUserLicences(String groupId) {
        apps.assign(ADMIN, notes(), groupId, AppIntent.REQUIRED, Optional.empty(), Optional.of(LicenceKind.USER));
        apps.reconcilePending();
    }

    private DeviceId enrollFor(Optional<String> userId, String udid) {
        return kit.enroll(userId, udid);
    }

    private String notes() {
        return kit.app(NOTES).id();
    }

    private String group(String name, DeviceId... devices) {
        return kit.group(name, devices);
    }

    private DeviceAppState state(DeviceId device) {
        return apps.appsOf(device).stream().findFirst().orElseThrow();
    }

    private Command single(DeviceId device) {
        return kit.single(device);
    }
}
