package dev.shepherd.plugins.macos;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleProfileSchema;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.device.DeviceFilter;
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

import java.net.URI;
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
import static org.awaitility.Awaitility.await;

/**
 * Both Apple plugins loaded from their plugin files into one running server; a simulated Mac and a simulated
 * iPhone each enroll through their own link and are managed side by side: the whole lifecycle on the Mac, from
 * the signed profile to a FileVault policy, a lock and CheckOut; and a Mac user's channel.
 */
class MacMdmIT {

    private static final String TOPIC = "com.apple.mgmt.External.7d1e0c2a-3f4b-4a5c-8d6e-9f0a1b2c3d4e";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of(
                "apple-macos", Path.of(System.getProperty("shepherd.pluginFile")),
                "apple-ios", Path.of(System.getProperty("shepherd.iosPluginFile"))));
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aMacEnrollsGetsFileVaultIsLockedAndChecksOutBesideAnIphone() throws Exception {
        AppleDeviceSimulator mac = new AppleDeviceSimulator(server.uri("/"), "A1B2C3D4-0000-5555-AAAA-0123456789AB", AppleDeviceSimulator.Kind.MAC);
        AppleDeviceSimulator.InstalledProfile profile = mac.installProfile(link("macos"));
        assertThat(profile.serverUrl().getPath()).isEqualTo("/mdm/apple-macos/connect");
        assertThat(profile.topic()).isEqualTo(TOPIC);
        // Automated Device Enrollment: the macOS plugin keeps its own key and server tokens.
        assertThat(server.getAsAdmin("/api/v1/plugins/apple-macos/ade/public-key").body()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(server.getAsAdmin("/api/v1/plugins/apple-macos/ade/tokens").body()).isEqualTo("{\"tokens\":[]}");
        assertThat(mac.enrollIdentity().status()).isEqualTo("0");
        assertThat(mac.authenticate().statusCode()).isEqualTo(200);
        assertThat(mac.tokenUpdate().statusCode()).isEqualTo(200);

        // The bootstrap token is escrowed sealed, never in the clear, and handed back to the same Mac only.
        assertThat(profile.profile().toXMLPropertyList()).contains("com.apple.mdm.bootstraptoken");
        assertThat(mac.getBootstrapToken()).isEmpty();
        byte[] bootstrapToken = "bootstrap-token-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        assertThat(mac.setBootstrapToken(bootstrapToken).statusCode()).isEqualTo(200);
        assertThat(mac.getBootstrapToken()).hasValue(bootstrapToken);
        assertThat(storedValues("bootstrap-token/")).singleElement().satisfies(stored ->
                assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("bootstrap-token-0123456789abcdef"));

        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "00008110-0020AB");
        assertThat(iphone.installProfile(link("ios")).serverUrl().getPath()).isEqualTo("/mdm/apple-ios/connect");
        assertThat(iphone.enrollIdentity().status()).isEqualTo("0");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);

        DeviceId macId = kernel.devices().idByHardwareId(Platform.MACOS, "udid", mac.udid()).orElseThrow();
        Device device = kernel.devices().get(macId).orElseThrow().device();
        assertThat(device.platform()).isEqualTo(Platform.MACOS);
        assertThat(device.model()).isEqualTo("Mac14,2");
        assertThat(kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid())).isPresent();
        // The Mac's identity cannot speak for the iPhone, even on the iPhone plugin's endpoint.
        AppleDeviceSimulator impostor = new AppleDeviceSimulator(server.uri("/"), iphone.udid());
        impostor.useIdentityOf(mac);
        assertThat(impostor.tokenUpdate().statusCode()).isEqualTo(403);
        // No proxy is trusted here, so a Client-Cert header is ignored: without a signature there is no identity.
        assertThat(mac.putForwarded("/mdm/apple-macos/connect", mac.idleReport()).statusCode()).isEqualTo(401);

        NSDictionary profileCommand = fileVaultProfileCommand(mac, macId);
        NSDictionary install = (NSDictionary) profileCommand.objectForKey("Command");
        assertThat(Plists.string(install, "RequestType")).isEqualTo("InstallProfile");
        NSDictionary fileVault = (NSDictionary) ((NSArray) Plists.dictionary(((NSData) install.objectForKey("Payload")).bytes())
                .objectForKey("PayloadContent")).objectAtIndex(0);
        assertThat(Plists.string(fileVault, "PayloadType")).isEqualTo("com.apple.MCX.FileVault2");
        assertThat(Plists.string(fileVault, "Enable")).isEqualTo("On");
        assertThat(mac.answer(profileCommand, "Acknowledged")).isEmpty();
        assertThat(kernel.policies().settingStates(macId)).extracting(DeviceSettingState::state).containsExactly(SettingState.INSTALLED);

        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, macId, new CommandRequest(CommandType.LOCK,
                Map.of("message", "Bring this Mac to IT", "pin", "123456"), 0, Optional.empty()));
        NSDictionary lockCommand = mac.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) lockCommand.objectForKey("Command"), "RequestType")).isEqualTo("DeviceLock");
        assertThat(Plists.string((NSDictionary) lockCommand.objectForKey("Command"), "PIN")).isEqualTo("123456");
        assertThat(mac.answer(lockCommand, "Acknowledged")).isEmpty();
        assertThat(kernel.commands().get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);

        assertThat(mac.checkOut().statusCode()).isEqualTo(200);
        assertThat(kernel.devices().get(macId).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.devices().get(kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow())
                .orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
    }

    @Test
    void aMacEscrowsItsFileVaultRecoveryKeyWhichOnlyAnEntitledAdminReadsAuditedAndARotatedKeyReplacesIt() throws Exception {
        AppleDeviceSimulator mac = new AppleDeviceSimulator(server.uri("/"), "D4E5F6A7-3333-8888-DDDD-3456789ABCDE", AppleDeviceSimulator.Kind.MAC);
        mac.installProfile(link("macos"));
        assertThat(mac.enrollIdentity().status()).isEqualTo("0");
        assertThat(mac.authenticate().statusCode()).isEqualTo(200);
        assertThat(mac.tokenUpdate().statusCode()).isEqualTo(200);
        DeviceId macId = kernel.devices().idByHardwareId(Platform.MACOS, "udid", mac.udid()).orElseThrow();
        // The FileVault profile carries the escrow payload and the server's certificate, as Apple's schemas want them.
        NSDictionary profileCommand = fileVaultProfileCommand(mac, macId);
        NSDictionary profile = Plists.dictionary(((NSData) ((NSDictionary) profileCommand.objectForKey("Command")).objectForKey("Payload")).bytes());
        assertThat(new AppleProfileSchema().violations(profile, "macOS")).isEmpty();
        assertThat(profile.toXMLPropertyList()).contains("com.apple.MCX.FileVault2").contains("com.apple.security.FDERecoveryKeyEscrow");
        assertThat(mac.answer(profileCommand, "Acknowledged")).isEmpty();
        assertThat(mac.escrowCertificate()).isPresent();

        // FileVault comes on; the Mac reports the key, encrypted to the escrow certificate, in SecurityInfo.
        mac.setRecoveryKey("H3KQ-7RZP-M2VN-X8CD-4TWL-9FJB");
        UUID first = reportSecurityInfo(mac, macId);
        HttpResponse<String> read = asAdmin(TestServer.ADMIN, TestServer.ADMIN_PASSWORD, "/api/v1/devices/" + macId + "/recovery-keys");
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.headers().firstValue("Cache-Control")).contains("no-store");
        JsonNode keys = JSON.readTree(read.body()).get(0);
        assertThat(keys.path("current").path("kind").asText()).isEqualTo("filevault-personal");
        assertThat(keys.path("current").path("key").asText()).isEqualTo("H3KQ-7RZP-M2VN-X8CD-4TWL-9FJB");
        // Neither the command's recorded answer nor the inventory keeps the envelope; the store keeps the key sealed.
        assertThat(JSON.writeValueAsString(kernel.commands().get(first).orElseThrow().result())).doesNotContain("FDE_PersonalRecoveryKeyCMS");
        assertThat(kernel.devices().inventory(macId)).containsEntry("apple.security.FDE_Enabled", "true")
                .doesNotContainKey("apple.security.FDE_PersonalRecoveryKeyCMS");
        assertThat(sealedKeys(macId)).hasSize(1).allSatisfy(sealed -> assertThat(sealed).doesNotContain("H3KQ-7RZP"));

        // A helpdesk admin may look after the Mac but not read its key.
        HttpResponse<String> created = server.send(HttpRequest.newBuilder(server.uri("/api/v1/admins"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\": \"desk\", \"password\": \"Quartz-Lantern-8153-Vx\", \"role\": \"HELPDESK\"}"))
                .build());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(asAdmin("desk", "Quartz-Lantern-8153-Vx", "/api/v1/devices/" + macId).statusCode()).isEqualTo(200);
        assertThat(asAdmin("desk", "Quartz-Lantern-8153-Vx", "/api/v1/devices/" + macId + "/recovery-keys").statusCode()).isEqualTo(403);
        String audit = asAdmin(TestServer.ADMIN, TestServer.ADMIN_PASSWORD, "/api/v1/audit?targetId=" + macId + "&action=device.recovery-key.read").body();
        assertThat(JSON.readTree(audit).path("items")).singleElement()
                .satisfies(entry -> assertThat(entry.toString()).contains("admin").doesNotContain("H3KQ-7RZP"));

        // The same key reported again changes nothing; a rotated key replaces it, the old one kept behind it.
        reportSecurityInfo(mac, macId);
        assertThat(sealedKeys(macId)).hasSize(1);
        mac.setRecoveryKey("P9WD-2MXC-6LQT-R4HZ-8VKN-3BJF");
        reportSecurityInfo(mac, macId);
        JsonNode rotated = JSON.readTree(asAdmin(TestServer.ADMIN, TestServer.ADMIN_PASSWORD, "/api/v1/devices/" + macId + "/recovery-keys").body()).get(0);
        assertThat(rotated.path("current").path("key").asText()).isEqualTo("P9WD-2MXC-6LQT-R4HZ-8VKN-3BJF");
        assertThat(rotated.path("previous")).singleElement()
                .satisfies(previous -> assertThat(previous.path("key").asText()).isEqualTo("H3KQ-7RZP-M2VN-X8CD-4TWL-9FJB"));
    }

    /** A FileVault policy that escrows the recovery key, assigned to the Mac; returns the command that installs its profile. */
    private NSDictionary fileVaultProfileCommand(AppleDeviceSimulator mac, DeviceId macId) throws Exception {
        Group macs = kernel.groups().create(TestKernel.ADMIN, "Macs " + mac.udid(), "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, macs.id(), List.of(macId));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "FileVault " + mac.udid(), "", List.of(
                new SettingInput("encryption", JSON.readTree("{\"required\": true, \"escrowRecoveryKey\": true}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), macs.id(), 0);
        List<NSDictionary> commands = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            mac.idle().ifPresent(commands::add);
            assertThat(commands).isNotEmpty();
        });
        return commands.get(0);
    }

    /** The admin asks for SecurityInfo and the Mac answers it; returns the command's id. */
    private UUID reportSecurityInfo(AppleDeviceSimulator mac, DeviceId macId) throws Exception {
        CommandRecord query = kernel.commands().issue(TestKernel.ADMIN, macId, new CommandRequest(CommandType.REFRESH_INVENTORY,
                Map.of("query", "SecurityInfo"), 0, Optional.empty()));
        NSDictionary command = mac.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType")).isEqualTo("SecurityInfo");
        assertThat(mac.answer(command, "Acknowledged")).isEmpty();
        assertThat(kernel.commands().get(query.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        return query.command().id();
    }

    private HttpResponse<String> asAdmin(String username, String password, String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).header("Authorization", TestServer.basic(username, password)).GET().build());
    }

    /** The recovery keys of a device as the kernel stores them. */
    private List<String> sealedKeys(DeviceId device) throws java.sql.SQLException {
        List<String> sealed = new ArrayList<>();
        try (java.sql.Connection connection = kernel.transactions().dataSource().getConnection();
             java.sql.PreparedStatement select = connection.prepareStatement("SELECT key_sealed FROM device_recovery_key WHERE device_id = ?")) {
            select.setString(1, device.toString());
            try (java.sql.ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    sealed.add(rows.getString(1));
                }
            }
        }
        return sealed;
    }

    @Test
    void aMacUserChannelSpeaksWithTheMacsIdentityForThatMacOnlyAndTakesNoCommands() throws Exception {
        AppleDeviceSimulator mac = new AppleDeviceSimulator(server.uri("/"), "B2C3D4E5-1111-6666-BBBB-123456789ABC", AppleDeviceSimulator.Kind.MAC);
        assertThat(mac.installProfile(link("macos")).profile().toXMLPropertyList()).contains("com.apple.mdm.per-user-connections");
        assertThat(mac.enrollIdentity().status()).isEqualTo("0");
        assertThat(mac.authenticate().statusCode()).isEqualTo(200);
        assertThat(mac.tokenUpdate().statusCode()).isEqualTo(200);
        DeviceId macId = kernel.devices().idByHardwareId(Platform.MACOS, "udid", mac.udid()).orElseThrow();
        String user = "5F2A9C1E-3B4D-4E6F-8A7B-9C0D1E2F3A4B";

        // UserAuthenticate: an empty DigestChallenge means no AuthToken is needed; a digest was never asked for.
        var challenge = mac.userAuthenticate(user, Optional.empty());
        assertThat(challenge.statusCode()).isEqualTo(200);
        assertThat(Plists.string(Plists.dictionary(challenge.body().getBytes()), "DigestChallenge")).isEmpty();
        var digest = mac.userAuthenticate(user, Optional.of("a digest of a password the server never knew"));
        assertThat(digest.statusCode()).isEqualTo(200);
        assertThat(Plists.string(Plists.dictionary(digest.body().getBytes()), "AuthToken")).isEmpty();

        assertThat(mac.userIdle(user).statusCode()).as("no user channel before its TokenUpdate").isEqualTo(403);
        assertThat(mac.userTokenUpdate(user, "ana", "Ana Lima").statusCode()).isEqualTo(200);
        assertThat(storedValues("user/" + mac.udid() + "/" + user + "/push-token")).hasSize(1);

        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, macId, CommandRequest.of(CommandType.LOCK));
        var userIdle = mac.userIdle(user);
        assertThat(userIdle.statusCode()).isEqualTo(200);
        assertThat(userIdle.body()).as("kernel commands go to the device channel").isEmpty();
        NSDictionary lockCommand = mac.idle().orElseThrow();
        assertThat(Plists.string(lockCommand, "CommandUUID")).isEqualTo(lock.command().id().toString());

        // Another Mac's certificate cannot speak for this Mac's user, nor the user for an unknown user.
        AppleDeviceSimulator other = new AppleDeviceSimulator(server.uri("/"), "C3D4E5F6-2222-7777-CCCC-23456789ABCD", AppleDeviceSimulator.Kind.MAC);
        other.installProfile(link("macos"));
        assertThat(other.enrollIdentity().status()).isEqualTo("0");
        assertThat(other.authenticate().statusCode()).isEqualTo(200);
        AppleDeviceSimulator impostor = new AppleDeviceSimulator(server.uri("/"), mac.udid(), AppleDeviceSimulator.Kind.MAC);
        impostor.useIdentityOf(other);
        assertThat(impostor.userTokenUpdate(user, "ana", "Ana Lima").statusCode()).isEqualTo(403);
        assertThat(impostor.userIdle(user).statusCode()).isEqualTo(403);
        assertThat(other.userIdle(user).statusCode()).as("the user has no channel on the other Mac").isEqualTo(403);

        // The user leaving management does not take the Mac with them.
        assertThat(mac.userCheckOut(user).statusCode()).isEqualTo(200);
        assertThat(kernel.devices().get(macId).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(mac.userIdle(user).statusCode()).isEqualTo(403);
        assertThat(mac.answer(lockCommand, "Acknowledged")).isEmpty();
        assertThat(kernel.commands().get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
    }

    @Test
    void aMacAssertingAnEnrolledMacsUdidGetsNoneOfItsSecretsAndTheVictimKeepsThem() throws Exception {
        AppleDeviceSimulator victim = new AppleDeviceSimulator(server.uri("/"), "B2C3D4E5-1111-6666-BBBB-0123456789AB",
                AppleDeviceSimulator.Kind.MAC);
        victim.installProfile(link("macos"));
        assertThat(victim.enrollIdentity().status()).isEqualTo("0");
        assertThat(victim.authenticate().statusCode()).isEqualTo(200);
        assertThat(victim.tokenUpdate().statusCode()).isEqualTo(200);
        byte[] bootstrapToken = "victims-bootstrap-token-0123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(victim.setBootstrapToken(bootstrapToken).statusCode()).isEqualTo(200);

        // Another Mac, enrolled with its own (personal) token, names the victim's UDID.
        AppleDeviceSimulator impostor = new AppleDeviceSimulator(server.uri("/"), victim.udid(), AppleDeviceSimulator.Kind.MAC);
        impostor.installProfile(EnrollmentLinks.create(server, "macos", "PERSONAL", 1));
        assertThat(impostor.enrollIdentity().status()).isEqualTo("0");
        assertThat(impostor.authenticate().statusCode()).isEqualTo(200);
        assertThat(impostor.tokenUpdate().statusCode()).isEqualTo(200);

        assertThat(impostor.getBootstrapToken()).as("the victim's escrowed bootstrap token").isEmpty();
        assertThat(impostor.setBootstrapToken("impostors-token".getBytes(StandardCharsets.US_ASCII)).statusCode())
                .isEqualTo(200);
        assertThat(victim.getBootstrapToken()).as("the victim's own, not overwritten").hasValue(bootstrapToken);
        assertThat(kernel.devices().count(DeviceFilter.ALL)).isEqualTo(2);
        assertThat(kernel.devices().idByHardwareId(Platform.MACOS, "udid", victim.udid())
                .flatMap(kernel.devices()::get).orElseThrow().device().ownership()).isEqualTo(Ownership.CORPORATE);
    }

    /** What the macOS plugin stored under a key prefix, read straight from the database. */
    private List<byte[]> storedValues(String prefix) throws java.sql.SQLException {
        List<byte[]> values = new ArrayList<>();
        try (java.sql.Connection connection = kernel.transactions().dataSource().getConnection();
             java.sql.PreparedStatement select = connection.prepareStatement(
                     "SELECT entry_value FROM plugin_kv WHERE plugin_id = 'apple-macos' AND entry_key LIKE ?")) {
            select.setString(1, prefix + "%");
            try (java.sql.ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getBytes(1));
                }
            }
        }
        return values;
    }

    private URI link(String platform) {
        return EnrollmentLinks.create(server, platform, "CORPORATE", 1);
    }
}
