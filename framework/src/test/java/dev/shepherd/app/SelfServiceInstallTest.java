package dev.shepherd.app;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The self-service rule of the app catalog, over a real store (Derby, or PostgreSQL with
 * {@code -Dshepherd.test.store=postgresql}): an AVAILABLE app is installed only when the device's own user asks, and
 * then exactly as a REQUIRED one is (a licence, then {@code INSTALL_APP}); nobody else's device, and no app that is
 * not AVAILABLE to the device, can be asked for.
 */
class SelfServiceInstallTest {

    private static final Actor DEVICE = Actor.plugin("ios");
    private static final String NOTES = "com.example.notes";
    private static final String MAPS = "com.example.maps";

    @TempDir
    Path home;
    private TestKernel test;
    private Kernel kernel;
    private AppCatalogService apps;
    private final TestAppStore vpp = new TestAppStore("test-vpp");
    private String alice;
    private String bob;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        kernel = test.kernel();
        apps = kernel.apps();
        apps.setStores(TestAppStore.direct(vpp));
        vpp.offer("100", NOTES, "Notes", "1.0", 1);
        vpp.offer("200", MAPS, "Maps", "3.1", 0);
        apps.sync("test-vpp");
        alice = kernel.directory().create(ADMIN, DirectoryService.LOCAL, "alice", "Alice", "").id();
        bob = kernel.directory().create(ADMIN, DirectoryService.LOCAL, "bob", "Bob", "").id();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void anAvailableAppIsInstalledOnlyWhenTheDevicesUserAsksAndThenLikeARequiredOne() {
        DeviceId phone = enrollFor(alice, "A1");
        apps.assign(ADMIN, app(NOTES).id(), group("Staff", phone), AppIntent.AVAILABLE, Optional.empty());
        apps.reconcilePending();
        assertThat(kernel.commands().take(phone, 10)).isEmpty();
        assertThat(state(phone, NOTES).state()).isEqualTo(AppInstallState.REMOVED);

        DeviceAppState requested = apps.requestInstall(alice, phone, app(NOTES).id()).orElseThrow();
        assertThat(requested.state()).isEqualTo(AppInstallState.PENDING);
        assertThat(requested.intent()).isEqualTo(AppIntent.AVAILABLE);
        AuditEntry audited = audit("app.self_service_install");
        assertThat(audited.actorKind()).isEqualTo(Actor.Kind.USER);
        assertThat(audited.actorId()).isEqualTo(alice);
        assertThat(audited.targetId()).isEqualTo(phone.toString());

        apps.reconcilePending();
        Command install = single(phone);
        assertThat(install.type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(install.parameters()).containsEntry("identifier", NOTES).containsEntry("storeId", "test-vpp");
        assertThat(apps.licences(app(NOTES).id())).extracting(AppLicence::reference).containsExactly(Optional.of("licence-SER-A1"));
        assertThat(state(phone, NOTES).state()).isEqualTo(AppInstallState.INSTALLING);
        assertThat(state(phone, NOTES).intent()).isEqualTo(AppIntent.AVAILABLE);
        assertThatThrownBy(() -> apps.requestInstall(alice, phone, app(NOTES).id())).isInstanceOf(AppConflictException.class);

        acknowledge(phone, install);
        kernel.devices().replaceInventory(DEVICE, phone, "app.", Map.of("app." + NOTES, "1.0"));
        assertThat(state(phone, NOTES).state()).isEqualTo(AppInstallState.INSTALLED);
        assertThat(state(phone, NOTES).installedVersion()).hasValue("1.0");

        // the request was answered once: reconciling again queues nothing
        apps.reconcilePending();
        assertThat(kernel.commands().take(phone, 10)).isEmpty();
    }

    @Test
    void anInstalledAvailableAppCanBeReinstalled() {
        DeviceId phone = enrollFor(alice, "A1");
        apps.assign(ADMIN, app(MAPS).id(), group("Staff", phone), AppIntent.AVAILABLE, Optional.empty());
        kernel.devices().replaceInventory(DEVICE, phone, "app.", Map.of("app." + MAPS, "3.1"));
        apps.reconcilePending();
        assertThat(state(phone, MAPS).state()).isEqualTo(AppInstallState.INSTALLED);

        apps.requestInstall(alice, phone, app(MAPS).id()).orElseThrow();
        apps.reconcilePending();
        Command reinstall = single(phone);
        assertThat(reinstall.type()).isEqualTo(CommandType.INSTALL_APP);
        acknowledge(phone, reinstall);
        assertThat(state(phone, MAPS).state()).isEqualTo(AppInstallState.INSTALLED);
        assertThat(state(phone, MAPS).installedVersion()).hasValue("3.1");
    }

    @Test
    void noUserCanAskForAnotherUsersDeviceNorForAnAppThatIsNotAvailableToIt() {
        DeviceId alicesPhone = enrollFor(alice, "A1");
        DeviceId bobsPhone = enrollFor(bob, "B1");
        DeviceId nobodys = test.enrollId(Platform.IOS, "N1");
        String staff = group("Staff", alicesPhone, bobsPhone, nobodys);
        apps.assign(ADMIN, app(NOTES).id(), staff, AppIntent.AVAILABLE, Optional.empty());
        apps.assign(ADMIN, app(MAPS).id(), staff, AppIntent.REQUIRED, Optional.empty());

        assertThat(apps.requestInstall(alice, bobsPhone, app(NOTES).id())).isEmpty();
        assertThat(apps.requestInstall(alice, nobodys, app(NOTES).id())).isEmpty();
        assertThat(apps.requestInstall(alice, alicesPhone, app(MAPS).id())).as("REQUIRED, not AVAILABLE").isEmpty();
        assertThat(apps.requestInstall(alice, alicesPhone, "no-such-app")).isEmpty();
        assertThat(apps.requestInstall(alice, DeviceId.random(), app(NOTES).id())).isEmpty();
        assertThat(kernel.audit().read(new AuditFilter(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("app.self_service_install"),
                Optional.empty(), Optional.empty()), 0, 10)).isEmpty();

        // and an app is offered as its assignment says: AVAILABLE to install, REQUIRED read-only
        assertThat(apps.offeredTo(alicesPhone)).extracting(offered -> offered.app().name() + ":" + offered.intent())
                .containsExactly("Maps:REQUIRED", "Notes:AVAILABLE");
    }

    @Test
    void aLicenceShortageFailsTheRequestVisiblyAndAskingAgainRetriesIt() {
        DeviceId first = enrollFor(alice, "A1");
        DeviceId second = enrollFor(alice, "A2");
        apps.assign(ADMIN, app(NOTES).id(), group("Staff", first, second), AppIntent.AVAILABLE, Optional.empty());
        apps.requestInstall(alice, first, app(NOTES).id()).orElseThrow();
        apps.requestInstall(alice, second, app(NOTES).id()).orElseThrow();
        apps.reconcilePending();

        DeviceId licensed = apps.licences(app(NOTES).id()).get(0).deviceId().equals(first.toString()) ? first : second;
        DeviceId refused = licensed.equals(first) ? second : first;
        assertThat(state(refused, NOTES).state()).isEqualTo(AppInstallState.FAILED);
        assertThat(state(refused, NOTES).reason().orElseThrow()).contains("No licences left");
        apps.reconcilePending();
        assertThat(state(refused, NOTES).state()).as("the failure stays until the user asks again").isEqualTo(AppInstallState.FAILED);
        assertThat(kernel.commands().take(refused, 10)).isEmpty();

        kernel.devices().changeStatus(ADMIN, licensed, DeviceStatus.RETIRED, "given back");
        apps.reconcilePending();
        apps.requestInstall(alice, refused, app(NOTES).id()).orElseThrow();
        apps.reconcilePending();
        assertThat(single(refused).type()).isEqualTo(CommandType.INSTALL_APP);
        assertThat(state(refused, NOTES).state()).isEqualTo(AppInstallState.INSTALLING);
    }

    private DeviceId enrollFor(String userId, String udid) {
        return new AppTestKit(kernel).enroll(Optional.of(userId), udid);
    }

    private CatalogApp app(String identifier) {
        return new AppTestKit(kernel).app(identifier);
    }

    private String group(String name, DeviceId... devices) {
        return new AppTestKit(kernel).group(name, devices);
    }

    private DeviceAppState state(DeviceId device, String identifier) {
        return apps.appsOf(device).stream().filter(state -> state.identifier().equals(identifier)).findFirst().orElseThrow();
    }

    private AuditEntry audit(String action) {
        return kernel.audit().read(AuditFilter.ALL, 0, 1000).stream().filter(entry -> entry.action().equals(action)).findFirst().orElseThrow();
    }

    private Command single(DeviceId device) {
        return new AppTestKit(kernel).single(device);
    }

    private void acknowledge(DeviceId device, Command command) {
        kernel.commands().report(device, new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
    }
}
