package dev.shepherd.plugins.macos;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.group.Group;
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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the macOS plugin (from its plugin file, in a running server) sends a Mac conforms to Apple's device-management
 * schemas for macOS, which the simulated Mac checks everything it receives against: an EAP-TLS Wi-Fi network with
 * its PKCS#12 identity and its server CA in one profile, and a Settings command with only the items
 * macOS has.
 */
class MacConformanceIT {

    private static final String TOPIC = "com.apple.mgmt.External.4b6d8f0a-2c4e-4a6b-9d8f-0a2c4e6b8d0f";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of("apple-macos", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aMacGetsAnEapTlsWifiWithItsIdentityAndServerCaAndCommandsWithTheKeysMacosHas() throws Exception {
        AppleDeviceSimulator mac = new AppleDeviceSimulator(server.uri("/"), "A1B2C3D4-0000-5555-AAAA-0C0F0A11CE01", AppleDeviceSimulator.Kind.MAC);
        mac.installProfile(EnrollmentLinks.create(server, "macos", "CORPORATE", 1));
        assertThat(mac.enrollIdentity().status()).isEqualTo("0");
        assertThat(mac.authenticate().statusCode()).isEqualTo(200);
        assertThat(mac.tokenUpdate().statusCode()).isEqualTo(200);
        DeviceId device = kernel.devices().idByHardwareId(Platform.MACOS, "udid", mac.udid()).orElseThrow();

        Group group = kernel.groups().create(TestKernel.ADMIN, "Wi-Fi Macs", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(device));
        String radiusCa = Base64.getEncoder().encodeToString(kernel.certificateAuthority().certificate().getEncoded());
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Secure Wi-Fi", "", List.of(
                new SettingInput("certificate", JSON.valueToTree(Map.of("name", "Laptop identity", "kind", "PKCS12_IDENTITY",
                        "data", Base64.getEncoder().encodeToString(new byte[]{48, 3, 2, 1, 3}), "password", "p12-secret"))),
                new SettingInput("certificate", JSON.valueToTree(Map.of("name", "RADIUS CA", "kind", "TRUSTED_ROOT", "data", radiusCa))),
                new SettingInput("wifi", JSON.valueToTree(Map.of("ssid", "Secure", "security", "WPA3_ENTERPRISE", "eapMethod", "TLS",
                        "certificate", "Laptop identity", "serverCertificates", List.of("RADIUS CA"),
                        "serverNames", List.of("radius.example.com"))))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);

        // The Mac fetches and acknowledges each command until all three settings are installed.
        List<NSDictionary> received = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            received.addAll(mac.acknowledgeAll());
            assertThat(kernel.policies().settingStates(device)).extracting(state -> state.state())
                    .hasSize(3).containsOnly(SettingState.INSTALLED);
        });
        NSDictionary wifi = received.stream().map(MacConformanceIT::profileOf)
                .filter(profile -> Plists.string(profile, "PayloadIdentifier").equals("dev.shepherd.setting.wifi-Secure")).findFirst().orElseThrow();
        NSArray payloads = (NSArray) wifi.objectForKey("PayloadContent");
        NSDictionary identity = (NSDictionary) payloads.objectAtIndex(0);
        NSDictionary anchor = (NSDictionary) payloads.objectAtIndex(1);
        NSDictionary network = (NSDictionary) payloads.objectAtIndex(2);
        assertThat(Plists.string(identity, "PayloadType")).isEqualTo("com.apple.security.pkcs12");
        assertThat(Plists.string(anchor, "PayloadType")).isEqualTo("com.apple.security.root");
        assertThat(Plists.string(network, "PayloadCertificateUUID")).isEqualTo(Plists.string(identity, "PayloadUUID"));

        // Settings: a Mac's time zone is not an MDM setting, so only the items macOS has are sent.
        CommandRecord settings = kernel.commands().issue(TestKernel.ADMIN, device, new CommandRequest(CommandType.SETTINGS,
                Map.of("deviceName", "Front desk Mac", "hostName", "front-desk", "timeZone", "Europe/Paris"), 0, Optional.empty()));
        NSDictionary settingsCommand = mac.idle().orElseThrow();
        assertThat(((NSArray) ((NSDictionary) settingsCommand.objectForKey("Command")).objectForKey("Settings")).getArray())
                .extracting(item -> Plists.string((NSDictionary) item, "Item")).containsExactly("DeviceName", "HostName");
        assertThat(mac.answer(settingsCommand, "Acknowledged")).isEmpty();
        assertThat(kernel.commands().get(settings.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(mac.nonconformities()).isEmpty();
    }

    private static NSDictionary profileOf(NSDictionary command) {
        return Plists.dictionary(((NSData) ((NSDictionary) command.objectForKey("Command")).objectForKey("Payload")).bytes());
    }
}
