package dev.shepherd.plugins.ios;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.group.Group;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Settings delivered declaratively, end to end: the iOS plugin from its plugin file with {@code passcodeDelivery:
 * declaration}, a simulated iPhone that syncs its declarations when told to and reports their state.
 */
class DeclarativeSettingsIT {

    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of("passcodeDelivery", "declaration"), Map.of(),
                Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void osUpdateAndPasscodeAreDeclaredTheirStatusBecomesTheSettingStateAndRemovalUndeclaresThem() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-0020AA");
        DeviceId deviceId = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        iphone.refuseDeclaration("dev.shepherd.setting.passcode", "The passcode policy conflicts with another configuration.");
        Group group = kernel.groups().create(TestKernel.ADMIN, "iPhones", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(deviceId));
        SettingInput osUpdate = new SettingInput("os_update",
                JSON.readTree("{\"minimumVersion\": \"17.6\", \"enforceBy\": \"2030-07-01T18:00:00+02:00\", \"automatic\": true}"));
        SettingInput passcode = new SettingInput("passcode", JSON.readTree("{\"required\": true, \"minLength\": 8}"));
        SettingInput vpn = new SettingInput("vpn", JSON.readTree(
                "{\"name\": \"Corp\", \"type\": \"IKEV2\", \"server\": \"vpn.example.com\", \"sharedSecret\": \"s3cret\"}"));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Baseline", "", List.of(osUpdate, passcode, vpn));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);

        List<NSDictionary> commands = runCommands(iphone);
        assertThat(commands).extracting(DeclarativeSettingsIT::requestType)
                .containsExactlyInAnyOrder("DeclarativeManagement", "DeclarativeManagement", "InstallProfile");
        NSDictionary sync = commands.stream().filter(command -> requestType(command).equals("DeclarativeManagement")).findFirst().orElseThrow();
        assertThat(JSON.readTree(((NSData) ((NSDictionary) sync.objectForKey("Command")).objectForKey("Data")).bytes())
                .path("SyncTokens").path("DeclarationsToken").asText()).hasSize(64);
        NSDictionary profile = commands.stream().filter(command -> requestType(command).equals("InstallProfile"))
                .map(command -> Plists.dictionary(((NSData) ((NSDictionary) command.objectForKey("Command")).objectForKey("Payload")).bytes()))
                .findFirst().orElseThrow();
        assertThat(Plists.string((NSDictionary) ((NSArray) profile.objectForKey("PayloadContent")).objectAtIndex(0), "PayloadType"))
                .isEqualTo("com.apple.vpn.managed");

        assertThat(iphone.declarations()).containsKeys("dev.shepherd.status-subscriptions", "dev.shepherd.setting.os-update.enforcement",
                "dev.shepherd.setting.os-update.settings", "dev.shepherd.setting.os-update.activation", "dev.shepherd.setting.passcode");
        assertThat(iphone.declarations().get("dev.shepherd.setting.os-update.enforcement").path("Payload").path("TargetLocalDateTime").asText())
                .isEqualTo("2030-07-01T18:00:00");
        Map<String, DeviceSettingState> states = states(deviceId);
        assertThat(states.get("os_update").state()).isEqualTo(SettingState.INSTALLED);
        assertThat(states.get("vpn/Corp").state()).isEqualTo(SettingState.INSTALLED);
        assertThat(states.get("passcode").state()).as("the device's status report outweighs the acknowledgement that came after it")
                .isEqualTo(SettingState.FAILED);
        assertThat(states.get("passcode").reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("The passcode policy conflicts with another configuration."));

        kernel.policies().update(TestKernel.ADMIN, policy.id(), "Baseline", "", List.of(passcode, vpn), OptionalLong.of(policy.version()));
        List<NSDictionary> removal = runCommands(iphone);
        assertThat(removal).extracting(DeclarativeSettingsIT::requestType).containsExactly("DeclarativeManagement");
        assertThat(iphone.declarations()).doesNotContainKeys("dev.shepherd.setting.os-update.enforcement", "dev.shepherd.setting.os-update.activation")
                .containsKey("dev.shepherd.setting.passcode");
        assertThat(states(deviceId)).doesNotContainKey("os_update");
    }

    /** Takes the commands the reconciler queues, acknowledging each, until none is left. */
    private static List<NSDictionary> runCommands(AppleDeviceSimulator iphone) throws Exception {
        List<NSDictionary> commands = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            iphone.idle().ifPresent(commands::add);
            assertThat(commands).isNotEmpty();
        });
        Optional<NSDictionary> next = iphone.answer(commands.get(0), "Acknowledged");
        while (next.isPresent()) {
            commands.add(next.get());
            next = iphone.answer(next.get(), "Acknowledged");
        }
        return commands;
    }

    private Map<String, DeviceSettingState> states(DeviceId deviceId) {
        Map<String, DeviceSettingState> states = new HashMap<>();
        kernel.policies().settingStates(deviceId).forEach(state -> states.put(state.settingKey(), state));
        return states;
    }

    private static String requestType(NSDictionary command) {
        return Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType");
    }
}
