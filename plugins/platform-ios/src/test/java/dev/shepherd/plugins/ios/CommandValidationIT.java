package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
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
import dev.shepherd.device.InventoryLimits;
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

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Commands are checked by the iOS plugin (loaded from its plugin file into a running server) when they are issued,
 * with the translation it delivers with: what an iPhone cannot carry out is refused then with the plugin's reason
 * (400 for one device, FAILED per fan-out target, NOT_SUPPORTED for a setting) and never queued; a command the
 * iPhone never answers fails after {@code commands.maxAttempts} offers and the next one is delivered; and an
 * oversized inventory report is cut to the {@code inventory.*} limits.
 */
class CommandValidationIT {

    private static final String TOPIC = "com.apple.mgmt.External.6d1f0b8e-2a4c-4e7f-9b1d-3c5a7e9f1b2d";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of("SHEPHERD_COMMANDS_MAX_ATTEMPTS", "3",
                        "SHEPHERD_INVENTORY_MAX_KEYS_PER_REPORT", "40", "SHEPHERD_INVENTORY_MAX_VALUE_LENGTH", "100"),
                Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aRawCommandTheIphoneCannotReadIsRefusedAtIssueWithTheReasonAndNothingIsQueued() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00CA11DA7E0001");
        DeviceId device = deviceOf(iphone);
        int before = kernel.commands().history(device, Optional.empty(), 100).size();

        HttpResponse<String> unparseable = command(device, "RAW", Map.of("plist", "<plist><dict><key>Command</key>"));
        assertThat(unparseable.statusCode()).isEqualTo(400);
        assertThat(unparseable.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(detail(unparseable)).contains("plist").contains("not a valid XML property list");

        HttpResponse<String> unknown = command(device, "RAW", Map.of("plist", rawPlist("BrewCoffee")));
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(detail(unknown)).contains("BrewCoffee").contains("not an MDM command");

        // Erasing or removing the enrollment ends management, which only WIPE / ENTERPRISE_WIPE do (revoking the identity too).
        HttpResponse<String> rawErase = command(device, "RAW", Map.of("plist", rawPlist("EraseDevice")));
        assertThat(rawErase.statusCode()).isEqualTo(400);
        assertThat(detail(rawErase)).contains("may not erase").contains("WIPE");
        NSDictionary removeEnrollment = new NSDictionary();
        removeEnrollment.put("RequestType", "RemoveProfile");
        removeEnrollment.put("Identifier", "dev.shepherd.mdm.enrollment");
        NSDictionary removal = new NSDictionary();
        removal.put("Command", removeEnrollment);
        HttpResponse<String> rawUnenroll = command(device, "RAW",
                Map.of("plist", new String(Plists.xml(removal), StandardCharsets.UTF_8)));
        assertThat(rawUnenroll.statusCode()).isEqualTo(400);
        assertThat(detail(rawUnenroll)).contains("enrollment profile");

        assertThat(kernel.commands().history(device, Optional.empty(), 100)).hasSize(before);
        assertThat(iphone.idle()).isEmpty();

        // A RAW command Apple knows goes through as it is.
        assertThat(command(device, "RAW", Map.of("plist", rawPlist("ProfileList"))).statusCode()).isEqualTo(201);
        NSDictionary sent = iphone.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) sent.objectForKey("Command"), "RequestType")).isEqualTo("ProfileList");
    }

    @Test
    void supervisedOnlyCommandsAndRestrictionsAreRefusedOnAnUnsupervisedIphone() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00CA11DA7E0002");
        iphone.supervised(false);
        DeviceId device = deviceOf(iphone);
        reportInventory(iphone, device);
        assertThat(kernel.devices().inventory(device)).containsEntry("apple.IsSupervised", "false");

        HttpResponse<String> lostMode = command(device, "LOST_MODE_ON", Map.of("message", "Call IT"));
        assertThat(lostMode.statusCode()).isEqualTo(400);
        assertThat(detail(lostMode)).contains("EnableLostMode").contains("supervised-only").contains("IsSupervised false");
        HttpResponse<String> name = command(device, "SETTINGS", Map.of("deviceName", "Front desk"));
        assertThat(name.statusCode()).isEqualTo(400);
        assertThat(detail(name)).contains("Settings item DeviceName");
        assertThat(command(device, "LOCK", Map.of("message", "Call IT")).statusCode()).isEqualTo(201);

        Group group = kernel.groups().create(TestKernel.ADMIN, "Unsupervised", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(device));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Lockdown", "", List.of(
                new SettingInput("restrictions", JSON.readTree("{\"allowCamera\": false, \"allowAirDrop\": false}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);

        await().atMost(Duration.ofSeconds(20)).until(() -> kernel.policies().settingStates(device).stream()
                .anyMatch(state -> state.settingKey().equals("restrictions")));
        DeviceSettingState restrictions = kernel.policies().settingStates(device).stream()
                .filter(state -> state.settingKey().equals("restrictions")).findFirst().orElseThrow();
        assertThat(restrictions.state()).isEqualTo(SettingState.NOT_SUPPORTED);
        assertThat(restrictions.reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("com.apple.applicationaccess key allowAirDrop").contains("supervised"));
        assertThat(kernel.commands().history(device, Optional.empty(), 100))
                .noneMatch(record -> record.command().type() == CommandType.INSTALL_PROFILE);
    }

    @Test
    void aFanOutRecordsTheIphonesThatCannotTakeItAsFailedWithTheReason() throws Exception {
        AppleDeviceSimulator supervised = EnrollmentLinks.enrolledIphone(server, "00008110-00CA11DA7E0003");
        AppleDeviceSimulator unsupervised = EnrollmentLinks.enrolledIphone(server, "00008110-00CA11DA7E0004");
        unsupervised.supervised(false);
        DeviceId reachable = deviceOf(supervised);
        DeviceId refusing = deviceOf(unsupervised);
        reportInventory(supervised, reachable);
        reportInventory(unsupervised, refusing);

        HttpResponse<String> created = server.send(asAdmin("/api/v1/command-batches").POST(HttpRequest.BodyPublishers.ofString(
                JSON.writeValueAsString(Map.of("type", "RESTART", "target", Map.of("deviceIds", List.of(reachable.toString(),
                        refusing.toString())))))).build());
        assertThat(created.statusCode()).isEqualTo(201);
        String batch = JSON.readTree(created.body()).path("id").asText();

        await().atMost(Duration.ofSeconds(20)).until(() -> kernel.commands().batch(batch).orElseThrow().materialized() == 2);
        assertThat(kernel.commands().batch(batch).orElseThrow().states()).containsEntry(CommandState.FAILED, 1);
        CommandRecord refused = kernel.commands().history(refusing, Optional.empty(), 10).stream()
                .filter(record -> record.batchId().equals(Optional.of(batch))).findFirst().orElseThrow();
        assertThat(refused.command().state()).isEqualTo(CommandState.FAILED);
        assertThat(refused.errorReason()).hasValueSatisfying(reason -> assertThat(reason).contains("RestartDevice").contains("supervised"));
        assertThat(unsupervised.idle()).isEmpty();
        NSDictionary restart = supervised.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) restart.objectForKey("Command"), "RequestType")).isEqualTo("RestartDevice");
    }

    @Test
    void aCommandTheIphoneNeverAnswersFailsAfterTheBoundAndItsNextCommandsAreDelivered() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00CA11DA7E0005");
        DeviceId device = deviceOf(iphone);
        UUID poison = kernel.commands().issue(TestKernel.ADMIN, device, new CommandRequest(CommandType.LOCK, Map.of(), 10,
                Optional.empty())).command().id();
        kernel.commands().issue(TestKernel.ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY));

        // The iPhone chokes on the lock: it comes back Idle, never answering it (commands.maxAttempts is 3 here).
        for (int offer = 0; offer < 3; offer++) {
            assertThat(Plists.string(iphone.idle().orElseThrow(), "CommandUUID")).isEqualTo(poison.toString());
        }

        NSDictionary next = iphone.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) next.objectForKey("Command"), "RequestType")).isEqualTo("DeviceInformation");
        CommandRecord failed = kernel.commands().get(poison).orElseThrow();
        assertThat(failed.command().state()).isEqualTo(CommandState.FAILED);
        assertThat(failed.errorReason()).hasValueSatisfying(reason -> assertThat(reason).contains("3 times without an answer"));
        assertThat(iphone.answer(next, "Acknowledged")).isEmpty();
        assertThat(server.get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void anOversizedInventoryReportIsCutAndTheStoredInventoryStaysWithinTheLimits() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00CA11DA7E0006");
        DeviceId device = deviceOf(iphone);
        Map<String, Object> junk = new LinkedHashMap<>();
        for (int i = 0; i < 500; i++) {
            junk.put(String.format("Junk%03d", i), "j".repeat(5000));
        }
        iphone.reportAlso(junk);
        int before = kernel.devices().inventory(device).size();

        CommandRecord inventory = reportInventory(iphone, device);

        assertThat(kernel.commands().get(inventory.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        Map<String, String> stored = kernel.devices().inventory(device);
        // At most 40 keys of the report (inventory.maxKeysPerReport here) joined what enrollment had recorded, plus the marker.
        assertThat(stored).hasSizeLessThanOrEqualTo(before + 41).containsKey(InventoryLimits.LIMITED_MARKER).containsEntry("os.version", "17.6");
        assertThat(stored.keySet().stream().filter(key -> key.startsWith("apple.Junk"))).hasSizeLessThan(40);
        assertThat(stored.get(InventoryLimits.LIMITED_MARKER)).contains("keys dropped");
        assertThat(stored.values()).allSatisfy(value -> assertThat(value.length()).isLessThanOrEqualTo(100));
        assertThat(kernel.devices().get(device).orElseThrow().device().osVersion()).isEqualTo("17.6");
    }

    /** Has the iPhone answer a DeviceInformation query, which records its inventory (its supervision among it). */
    private CommandRecord reportInventory(AppleDeviceSimulator iphone, DeviceId device) throws Exception {
        CommandRecord inventory = kernel.commands().issue(TestKernel.ADMIN, device, CommandRequest.of(CommandType.REFRESH_INVENTORY));
        NSDictionary query = iphone.idle().orElseThrow();
        assertThat(Plists.string(query, "CommandUUID")).isEqualTo(inventory.command().id().toString());
        assertThat(iphone.answer(query, "Acknowledged")).isEmpty();
        return inventory;
    }

    private DeviceId deviceOf(AppleDeviceSimulator iphone) {
        return kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
    }

    private HttpResponse<String> command(DeviceId device, String type, Map<String, Object> parameters) throws Exception {
        return server.send(asAdmin("/api/v1/devices/" + device + "/commands").POST(HttpRequest.BodyPublishers.ofString(
                JSON.writeValueAsString(Map.of("type", type, "parameters", parameters)))).build());
    }

    private HttpRequest.Builder asAdmin(String path) {
        return HttpRequest.newBuilder(server.uri(path)).header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json");
    }

    private static String detail(HttpResponse<String> problem) throws Exception {
        JsonNode body = JSON.readTree(problem.body());
        return body.path("detail").asText();
    }

    private static String rawPlist(String requestType) {
        NSDictionary request = new NSDictionary();
        request.put("RequestType", requestType);
        NSDictionary command = new NSDictionary();
        command.put("Command", request);
        return new String(Plists.xml(command), StandardCharsets.UTF_8);
    }
}
