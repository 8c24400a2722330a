package dev.shepherd.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.SetupProgress;
import dev.shepherd.audit.Actor;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A device's setup progress over a real store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}):
 * what its effective policy and its required apps have got to, as real commands, answers and inventory move them.
 * A failure finishes as surely as an install does; an offered app is never waited for.
 */
class KernelDeviceSetupTest {

    private static final Actor DEVICE = Actor.plugin("ios");
    private static final String NOTES = "com.example.notes";

    @TempDir
    Path home;
    private TestKernel test;
    private Kernel kernel;
    private KernelDeviceSetup setup;
    private final TestAppStore vpp = new TestAppStore("test-vpp");
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        kernel = test.kernel();
        kernel.apps().setStores(TestAppStore.direct(vpp));
        setup = new KernelDeviceSetup(kernel.policies(), kernel.apps());
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void aDeviceAssignedNothingAndAnUnknownDeviceHaveFinished() {
        DeviceId device = test.enrollId(Platform.IOS, "NOTHING");

        assertThat(setup.progress(device)).isEqualTo(new SetupProgress(0, 0, 0, 0, 0, 0));
        assertThat(setup.progress(device).finished()).isTrue();
        assertThat(setup.progress(DeviceId.random()).finished()).isTrue();
    }

    @Test
    void settingsAndRequiredAppsArePendingUntilTheDeviceAnswersAndAFailureFinishesToo() throws Exception {
        vpp.offer("100", NOTES, "Notes", "1.0", 5);
        vpp.offer("200", "com.example.maps", "Maps", "3.1", 5);
        kernel.apps().sync("test-vpp");
        DeviceId device = test.enrollId(Platform.IOS, "SETUP");
        String group = new AppTestKit(kernel).group("New hires", device);
        Policy policy = kernel.policies().create(ADMIN, "Baseline", "", List.of(
                new SettingInput("passcode", json.readTree("{\"minLength\": 6}")),
                new SettingInput("wifi", json.readTree("{\"ssid\": \"Corp\", \"security\": \"NONE\"}"))));
        kernel.policies().assign(ADMIN, policy.id(), group, 0);
        kernel.apps().assign(ADMIN, app(NOTES).id(), group, AppIntent.REQUIRED, Optional.empty());
        kernel.apps().assign(ADMIN, app("com.example.maps").id(), group, AppIntent.AVAILABLE, Optional.empty());

        assertThat(setup.progress(device)).as("assigned, nothing sent yet: pending all the same")
                .isEqualTo(new SetupProgress(0, 2, 0, 0, 1, 0));
        assertThat(setup.progress(device).finished()).isFalse();

        kernel.policies().reconcilePending();
        kernel.apps().reconcilePending();
        List<Command> commands = kernel.commands().take(device, 10);
        Command passcode = bySetting(commands, "passcode");
        Command wifi = bySetting(commands, "wifi/Corp");
        Command install = commands.stream().filter(command -> command.type() == CommandType.INSTALL_APP).findFirst().orElseThrow();
        answer(device, passcode, CommandState.ACKNOWLEDGED, Optional.empty());
        answer(device, wifi, CommandState.FAILED, Optional.of("The Wi-Fi payload is malformed"));
        answer(device, install, CommandState.ACKNOWLEDGED, Optional.empty());

        assertThat(setup.progress(device)).as("the app is acknowledged but not yet in the device's inventory")
                .isEqualTo(new SetupProgress(1, 0, 1, 0, 1, 0));
        assertThat(setup.progress(device).finished()).isFalse();

        kernel.devices().replaceInventory(DEVICE, device, "app.", Map.of("app." + NOTES, "1.0"));

        assertThat(setup.progress(device)).isEqualTo(new SetupProgress(1, 0, 1, 1, 0, 0));
        assertThat(setup.progress(device).finished()).as("the failed Wi-Fi setting holds nothing back").isTrue();
    }

    @Test
    void aRequiredAppTheDeviceRefusesCountsAsFailedAndFinished() {
        vpp.offer("100", NOTES, "Notes", "1.0", 5);
        kernel.apps().sync("test-vpp");
        DeviceId device = test.enrollId(Platform.IOS, "REFUSES");
        kernel.apps().assign(ADMIN, app(NOTES).id(), new AppTestKit(kernel).group("Field", device), AppIntent.REQUIRED, Optional.empty());
        kernel.apps().reconcilePending();

        answer(device, new AppTestKit(kernel).single(device), CommandState.FAILED, Optional.of("not enough storage"));

        assertThat(setup.progress(device)).isEqualTo(new SetupProgress(0, 0, 0, 0, 0, 1));
        assertThat(setup.progress(device).finished()).isTrue();
    }

    private static Command bySetting(List<Command> commands, String settingKey) {
        return commands.stream().filter(command -> settingKey.equals(command.parameters().get("settingKey"))).findFirst().orElseThrow();
    }

    private void answer(DeviceId device, Command command, CommandState state, Optional<String> reason) {
        kernel.commands().report(device, new CommandResult(command.id(), state, Map.of(), reason));
    }

    private CatalogApp app(String identifier) {
        return new AppTestKit(kernel).app(identifier);
    }
}
