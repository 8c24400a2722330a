package dev.shepherd.plugins.ios;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.command.CommandRecord;
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

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What the iOS plugin (from its plugin file, in a running server) sends an iPhone conforms to Apple's
 * device-management schemas, which the simulated iPhone checks every command, profile and declaration against: one
 * that does not conform is answered as an iPhone answers it (Error, with an ErrorChain saying why) and fails the test
 * unless the test expects it. An enterprise Wi-Fi network reaches the device with the client identity it names in
 * its own profile.
 */
class AppleConformanceIT {

    private static final String TOPIC = "com.apple.mgmt.External.0c7e9a1b-3d5f-4a2c-8e6b-1f3d5a7c9e0b";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aCommandApplesSchemaRefusesIsAnsweredErrorWithAnErrorChainAndFailsWithTheReason() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00C0F0A11CE001");
        DeviceId device = deviceOf(iphone);
        // A RAW command of a request type Apple defines goes out as the admin wrote it, with a key DeviceLock does not have.
        HttpResponse<String> issued = rawCommand(device, "DeviceLock", "Pin", "123456");
        assertThat(issued.statusCode()).isEqualTo(201);
        UUID id = UUID.fromString(JSON.readTree(issued.body()).path("command").path("id").asText());

        iphone.expectNonconformities();
        NSDictionary lock = iphone.idle().orElseThrow();
        assertThat(iphone.answer(lock, "Acknowledged")).as("the iPhone refuses it whatever it was told to answer").isEmpty();

        assertThat(iphone.nonconformities()).singleElement().asString().contains("DeviceLock").contains("Command.Pin: key is not defined");
        CommandRecord failed = kernel.commands().get(id).orElseThrow();
        assertThat(failed.command().state()).isEqualTo(CommandState.FAILED);
        assertThat(failed.errorReason()).hasValueSatisfying(reason -> assertThat(reason).contains("Command.Pin"));
    }

    @Test
    void aNonconformingCommandNobodyExpectedFailsTheTest() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00C0F0A11CE002");
        // RebuildKernelCache is a Mac's: iOS has no such key (n/a in device.restart.yaml).
        assertThat(rawCommand(deviceOf(iphone), "RestartDevice", "RebuildKernelCache", "yes").statusCode()).isEqualTo(201);

        assertThatThrownBy(iphone::idle).isInstanceOf(AssertionError.class)
                .hasMessageContaining("Apple's device-management schemas refuse").hasMessageContaining("Command.RebuildKernelCache: key is not available on iOS");
    }

    @Test
    void anEapTlsWifiNamingAnIdentityReachesTheIphoneWithThatIdentityInItsOwnProfile() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00C0F0A11CE003");
        DeviceId device = deviceOf(iphone);
        Group group = kernel.groups().create(TestKernel.ADMIN, "Wi-Fi iPhones", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(device));
        // The certificates come from one policy, the network that names them from another.
        Policy certificates = kernel.policies().create(TestKernel.ADMIN, "Certificates", "", List.of(
                new SettingInput("certificate", JSON.readTree("""
                        {"name": "Wi-Fi identity", "kind": "SCEP_IDENTITY", "scepUrl": "https://ca.example.com/scep",
                         "subject": "CN=%device.serialNumber%,O=Example", "scepChallenge": "one-time"}"""))));
        HttpResponse<String> missing = admin("POST", "/api/v1/policies", """
                {"name": "Broken Wi-Fi", "settings": [{"type": "wifi", "value": {"ssid": "Corp", "security": "WPA2_ENTERPRISE",
                 "eapMethod": "TLS", "certificate": "RADIUS CA"}}]}""");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(missing.body()).contains("no certificate setting is named \\\"RADIUS CA\\\"");
        Policy wifi = kernel.policies().create(TestKernel.ADMIN, "Wi-Fi", "", List.of(new SettingInput("wifi", JSON.readTree("""
                {"ssid": "Corp", "security": "WPA2_ENTERPRISE", "eapMethod": "TLS", "identity": "device@example.com",
                 "certificate": "Wi-Fi identity", "serverNames": ["radius.example.com"]}"""))));
        kernel.policies().assign(TestKernel.ADMIN, certificates.id(), group.id(), 0);
        kernel.policies().assign(TestKernel.ADMIN, wifi.id(), group.id(), 1);

        // The iPhone fetches and acknowledges each command until both settings are installed.
        List<NSDictionary> installs = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            installs.addAll(iphone.acknowledgeAll());
            assertThat(kernel.policies().settingStates(device)).extracting(state -> state.state())
                    .hasSize(2).containsOnly(SettingState.INSTALLED);
        });

        NSDictionary profile = installs.stream().map(AppleConformanceIT::profileOf)
                .filter(candidate -> Plists.string(candidate, "PayloadIdentifier").equals("dev.shepherd.setting.wifi-Corp")).findFirst().orElseThrow();
        NSArray payloads = (NSArray) profile.objectForKey("PayloadContent");
        NSDictionary identity = (NSDictionary) payloads.objectAtIndex(0);
        NSDictionary network = (NSDictionary) payloads.objectAtIndex(1);
        assertThat(Plists.string(identity, "PayloadType")).isEqualTo("com.apple.security.scep");
        assertThat(Plists.string(network, "PayloadCertificateUUID")).isEqualTo(Plists.string(identity, "PayloadUUID"));
        assertThat(iphone.nonconformities()).isEmpty();
    }

    private static NSDictionary profileOf(NSDictionary command) {
        return Plists.dictionary(((NSData) ((NSDictionary) command.objectForKey("Command")).objectForKey("Payload")).bytes());
    }

    private DeviceId deviceOf(AppleDeviceSimulator iphone) {
        return kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
    }

    /** A RAW command of a request type with one key and value, as an admin writes it. */
    private HttpResponse<String> rawCommand(DeviceId device, String requestType, String key, String value) throws Exception {
        NSDictionary request = new NSDictionary();
        request.put("RequestType", requestType);
        request.put(key, value);
        NSDictionary command = new NSDictionary();
        command.put("Command", request);
        return admin("POST", "/api/v1/devices/" + device + "/commands", JSON.writeValueAsString(Map.of("type", "RAW",
                "parameters", Map.of("plist", new String(Plists.xml(command), StandardCharsets.UTF_8)))));
    }

    private HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
