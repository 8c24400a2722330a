package dev.shepherd.plugins.windows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.command.CommandNotSupportedException;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.group.Group;
import dev.shepherd.plugins.windows.syncml.SyncCommand;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Status;
import dev.shepherd.plugins.windows.syncml.SyncHdr;
import dev.shepherd.plugins.windows.syncml.SyncMl;
import dev.shepherd.plugins.windows.syncml.SyncMlReader;
import dev.shepherd.plugins.windows.syncml.SyncMlWriter;
import dev.shepherd.plugins.windows.xml.SafeXml;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.assertj.core.groups.Tuple;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Windows plugin loaded from its plugin file into a running server, managed by simulated PCs over HTTPS with the
 * certificates the kernel CA issued them: the first session's inventory and push channel, a passcode policy applied in
 * an Atomic and a refused node failing it with the PC's code, a wipe, the user's unenrollment; and the refusals: no
 * certificate, another PC's certificate, SyncML that is malformed or carries an external entity.
 */
class WindowsManagementIT {

    private static final String PATH = "/mdm/windows/ManagementServer/MDM.svc";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEVICE_LOCK = "./Device/Vendor/MSFT/Policy/Config/DeviceLock/";

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;
    private String enrollmentToken;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    windows: {}\n");
        // Loopback plays the TLS-terminating reverse proxy (RFC 9440) in the forwarded-certificate test.
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost",
                "SHEPHERD_HTTP_TRUSTED_PROXIES", "127.0.0.1"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("windows.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get(PATH).statusCode() == 405);
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aPcGoesFromDiscoveryToEnrollmentToManagementAndLeavesItWhenErased() throws Exception {
        Enrolled enrolled = enroll("9E8D7C6B5A4938271605F4E3D2C1B0A9");
        WindowsDmClient pc = client(enrolled);
        DeviceId id = deviceId(pc);

        pc.session();
        assertThat(kernel.devices().get(id).orElseThrow().device().osVersion()).as("inventory from the first session").isNotBlank();

        Group group = kernel.groups().create(TestKernel.ADMIN, "Front desk", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(id));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Front desk", "", List.of(
                new SettingInput("passcode", new ObjectMapper().readTree("{\"required\": true, \"minLength\": 10}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            pc.session();
            return kernel.policies().settingStates(id).stream()
                    .anyMatch(state -> state.settingKey().equals("passcode") && state.state() == SettingState.INSTALLED);
        });
        assertThat(pc.node(DEVICE_LOCK + "MinDevicePasswordLength")).hasValue("10");

        // An erase sent as a command ends management as the wipe action does: WIPED at once, revoked once answered.
        CommandRecord wipe = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.WIPE));
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        pc.session();
        assertThat(pc.executed()).contains("./Device/Vendor/MSFT/RemoteWipe/doWipe");
        assertThat(kernel.commands().get(wipe.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);

        assertLeftManagement(enrolled, pc, DeviceStatus.WIPED);
    }

    @Test
    void theFirstSessionRecordsInventoryAndThePushChannelAndEndsWithStatusAlone() throws Exception {
        WindowsDmClient pc = enrolledPc("6F1C3A2B9D8E4F7A8B6C5D4E3F2A1B0C");
        List<SyncMl> answers = pc.session();

        SyncMl first = answers.get(0);
        assertThat(first.header().target()).isEqualTo(pc.deviceId());
        assertThat(first.fin()).isTrue();
        List<Status> statuses = first.commands().stream().filter(Status.class::isInstance).map(Status.class::cast).toList();
        assertThat(statuses).extracting(Status::cmd, Status::cmdRef, Status::data)
                .containsExactly(Tuple.tuple("SyncHdr", "0", "200"), Tuple.tuple("Alert", "1", "200"),
                        Tuple.tuple("Replace", "2", "200"));
        assertThat(answers.get(answers.size() - 1).commands()).allMatch(Status.class::isInstance);
        List<String> cmdIds = answers.stream().flatMap(answer -> answer.commands().stream()).flatMap(WindowsManagementIT::withNested)
                .map(SyncCommand::cmdId).toList();
        assertThat(cmdIds).as("server CmdIDs are unique within the session").doesNotHaveDuplicates();

        DeviceId id = deviceId(pc);
        Map<String, String> inventory = kernel.devices().inventory(id);
        assertThat(inventory).containsEntry("windows.DevDetail.SwV", "10.0.22631.3880")
                .containsEntry("windows.DevDetail.Ext.Microsoft.OSPlatform", "Windows 11 Enterprise")
                .containsEntry("windows.DevInfo.Man", "Microsoft Corporation")
                .containsEntry("windows.DeviceStatus.Compliance.EncryptionCompliance", "1").containsEntry("storage.encrypted", "true")
                .containsEntry("windows.push.status", "0");
        var device = kernel.devices().get(id).orElseThrow().device();
        assertThat(device.osVersion()).isEqualTo("10.0.22631.3880");
        assertThat(device.model()).isEqualTo("Surface Laptop 5");
        assertThat(device.name()).isEqualTo("DESKTOP-7QK2M4P");
        assertThat(device.serialNumber()).isEqualTo("0F3K7Q223453");
        assertThat(device.lastCheckIn()).isPresent();
        assertThat(WindowsTestServers.pluginEntry(server, "wns-channel/" + pc.deviceId())).hasValue("https://db5p.notify.windows.com/?token=AwYAAAB%2bNf3FNlSd1hh");

        // The inventory is taken once; later sessions ask only for the push channel, until an admin asks again.
        int asked = pc.received().size();
        pc.session();
        assertThat(pc.received().size() - asked).isEqualTo(2);
        CommandRecord refresh = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.REFRESH_INVENTORY));
        pc.session();
        assertThat(kernel.commands().get(refresh.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
    }

    @Test
    void aPasscodePolicyIsAppliedInOneAtomicAndARefusedNodeFailsItWithThePcsCode() throws Exception {
        WindowsDmClient compliant = enrolledPc("0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A");
        WindowsDmClient refusing = enrolledPc("0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B").refuse(DEVICE_LOCK + "MinDevicePasswordLength", 405);
        Group group = kernel.groups().create(TestKernel.ADMIN, "PCs", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(deviceId(compliant), deviceId(refusing)));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Baseline", "", List.of(
                new SettingInput("passcode", new ObjectMapper().readTree("{\"required\": true, \"minLength\": 8}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);

        for (WindowsDmClient pc : List.of(compliant, refusing)) {
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                pc.session();
                return pc.received().stream().anyMatch(Atomic.class::isInstance);
            });
        }
        Atomic atomic = (Atomic) compliant.received().stream().filter(Atomic.class::isInstance).findFirst().orElseThrow();
        assertThat(atomic.commands()).extracting(command -> ((Operation) command).items().get(0).target().orElseThrow())
                .containsExactly(DEVICE_LOCK + "DevicePasswordEnabled", DEVICE_LOCK + "MinDevicePasswordLength");
        assertThat(compliant.node(DEVICE_LOCK + "MinDevicePasswordLength")).hasValue("8");
        assertThat(setting(compliant, "passcode").state()).isEqualTo(SettingState.INSTALLED);

        DeviceSettingState refused = setting(refusing, "passcode");
        assertThat(refused.state()).isEqualTo(SettingState.FAILED);
        assertThat(refused.reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("405 Command not allowed").contains(DEVICE_LOCK + "MinDevicePasswordLength"));
        assertThat(refusing.node(DEVICE_LOCK + "DevicePasswordEnabled")).as("the Atomic was applied not at all").isEmpty();

        // Unassigning removes exactly what was installed, from the value stored when the PC acknowledged it.
        kernel.policies().unassign(TestKernel.ADMIN, policy.id(), group.id());
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            compliant.session();
            return compliant.node(DEVICE_LOCK + "MinDevicePasswordLength").isEmpty();
        });
        assertThat(compliant.node(DEVICE_LOCK + "DevicePasswordEnabled")).isEmpty();
    }

    @Test
    void anEnterpriseWifiNetworkReachesThePcPinnedToTheCaOfItsPolicyAndItsServerNames() throws Exception {
        WindowsDmClient pc = enrolledPc("3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        X509Certificate radiusCa = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=Corp RADIUS CA"), BigInteger.TEN, Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(30))), new X500Name("CN=Corp RADIUS CA"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        Group group = kernel.groups().create(TestKernel.ADMIN, "Wi-Fi PCs", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(deviceId(pc)));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Corp Wi-Fi", "", List.of(
                new SettingInput("certificate", JSON.valueToTree(Map.of("kind", "TRUSTED_ROOT", "name", "radius-ca",
                        "data", Base64.getEncoder().encodeToString(radiusCa.getEncoded())))),
                new SettingInput("wifi", JSON.valueToTree(Map.of("ssid", "CorpSecure", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP",
                        "serverCertificates", List.of("radius-ca"), "serverNames", List.of("radius.corp.example"))))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);

        String wlan = "./Device/Vendor/MSFT/WiFi/Profile/CorpSecure/WlanXml";
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            pc.session();
            return pc.node(wlan).isPresent();
        });
        String thumbprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(radiusCa.getEncoded()));
        assertThat(pc.node(wlan)).hasValueSatisfying(profile -> assertThat(profile)
                .contains("<DisableUserPromptForServerValidation>true</DisableUserPromptForServerValidation>")
                .contains("<ServerNames>radius.corp.example</ServerNames>")
                .contains("<TrustedRootCA>" + thumbprint.replaceAll("(..)(?!$)", "$1 ") + "</TrustedRootCA>"));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            pc.session();
            return kernel.policies().settingStates(deviceId(pc)).stream()
                    .anyMatch(state -> state.settingKey().startsWith("wifi") && state.state() == SettingState.INSTALLED);
        });
    }

    @Test
    void requiredEncryptionReachesAPcThatIsNotEntraJoinedWithOnlyTheBitLockerValuesWindowsAllowsThere() throws Exception {
        // Shepherd's PCs enroll with its own tokens, never through an Entra join; the simulated PC is not joined either and
        // fails the session if it is sent silent encryption (AllowWarningForOtherDiskEncryption 0) or what depends on it.
        WindowsDmClient pc = enrolledPc("2E2E2E2E2E2E2E2E2E2E2E2E2E2E2E2E");
        assign(pc, "Disks", new SettingInput("encryption", JSON.readTree("{\"required\": true, \"escrowRecoveryKey\": false}")));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            pc.session();
            return pc.received().stream().anyMatch(Atomic.class::isInstance);
        });

        assertThat(pc.violations()).isEmpty();
        assertThat(pc.node("./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption")).hasValue("1");
        assertThat(pc.node("./Device/Vendor/MSFT/BitLocker/AllowWarningForOtherDiskEncryption")).isEmpty();
        assertThat(pc.node("./Device/Vendor/MSFT/BitLocker/AllowStandardUserEncryption")).isEmpty();
        assertThat(setting(pc, "encryption").state()).isEqualTo(SettingState.INSTALLED);
    }

    @Test
    void whatAPcsEditionDoesNotHaveIsFailedWithTheCodeThePcAnswered() throws Exception {
        // BitLocker and RemoteLock are not on Windows Home: the PC answers 405, and the setting and the command fail with it.
        WindowsDmClient home = enrolledPc("3E3E3E3E3E3E3E3E3E3E3E3E3E3E3E3E").asEdition(CspContract.Edition.HOME);
        assign(home, "Home PCs", new SettingInput("encryption", JSON.readTree("{\"required\": true, \"escrowRecoveryKey\": false}")));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            home.session();
            return kernel.policies().settingStates(deviceId(home)).stream()
                    .anyMatch(state -> state.settingKey().equals("encryption") && state.state() == SettingState.FAILED);
        });
        assertThat(setting(home, "encryption").reason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("405 Command not allowed").contains("./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption"));

        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, deviceId(home), CommandRequest.of(CommandType.LOCK));
        home.session();
        CommandRecord failed = kernel.commands().get(lock.command().id()).orElseThrow();
        assertThat(failed.command().state()).isEqualTo(CommandState.FAILED);
        assertThat(failed.errorReason()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("405 Command not allowed").contains("./Device/Vendor/MSFT/RemoteLock/Lock"));
        assertThat(home.violations()).as("an edition's refusal is Windows', not the plugin's fault").isEmpty();
    }

    @Test
    void aRawCommandWindowsWouldRefuseIsFailedWithThePcsCodeAndTheSimulatedPcRecordsIt() throws Exception {
        // RAW commands are the admin's own SyncML: the plugin sends them as given, and the PC answers by Microsoft's reference.
        WindowsDmClient pc = enrolledPc("5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E").expectingViolations();
        pc.session();
        CommandRecord unknown = kernel.commands().issue(TestKernel.ADMIN, deviceId(pc), new CommandRequest(CommandType.RAW,
                Map.of("syncml", "<Replace><Item><Target><LocURI>" + DEVICE_LOCK + "MinimumSymbols</LocURI></Target>"
                        + "<Meta><Format xmlns=\"syncml:metinf\">int</Format></Meta><Data>2</Data></Item></Replace>"), 0, Optional.empty()));
        CommandRecord outOfRange = kernel.commands().issue(TestKernel.ADMIN, deviceId(pc), new CommandRequest(CommandType.RAW,
                Map.of("syncml", "<Replace><Item><Target><LocURI>" + DEVICE_LOCK + "DevicePasswordHistory</LocURI></Target>"
                        + "<Meta><Format xmlns=\"syncml:metinf\">int</Format></Meta><Data>99</Data></Item></Replace>"), 0, Optional.empty()));
        pc.session();

        assertThat(kernel.commands().get(unknown.command().id()).orElseThrow().errorReason())
                .hasValueSatisfying(reason -> assertThat(reason).contains("404 Not found"));
        assertThat(kernel.commands().get(outOfRange.command().id()).orElseThrow().errorReason())
                .hasValueSatisfying(reason -> assertThat(reason).contains("400 Bad request"));
        assertThat(pc.violations()).hasSize(2).anySatisfy(violation -> assertThat(violation).contains("no such node"))
                .anySatisfy(violation -> assertThat(violation).contains("outside the allowed range [0,50]"));
    }

    /** A package of the private store as the catalog hands it to this PC: its per-device link, a SHA-256, a size. */
    private static AppInstallation privatePackage(DeviceId id, String identifier, String version, AppInstallation.PackageKind kind) {
        String sha256 = "ab".repeat(32); // the PC is not asked to download it here
        return new AppInstallation(identifier, Optional.of(version), new AppInstallation.FromPackage(
                URI.create("https://mdm.example.com/mdm/appstore-private/packages/" + sha256 + "?device=" + id), sha256, 4096, kind), Map.of());
    }

    private CommandRecord issue(DeviceId id, CommandType type, Map<String, Object> parameters) {
        return kernel.commands().issue(TestKernel.ADMIN, id, new CommandRequest(type, parameters, 0, Optional.empty()));
    }

    private void assign(WindowsDmClient pc, String groupName, SettingInput setting) throws Exception {
        Group group = kernel.groups().create(TestKernel.ADMIN, groupName, "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(deviceId(pc)));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, groupName + " policy", "", List.of(setting));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);
    }

    @Test
    void anMsiFromTheCatalogIsInstalledWithItsHashReportedWithItsVersionAndRemoved() throws Exception {
        WindowsDmClient pc = enrolledPc("7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A7A");
        pc.session();
        DeviceId id = deviceId(pc);
        String productCode = "{AF9257BA-6BBD-4624-AA9B-0182D50292C3}";
        AppInstallation msi = privatePackage(id, productCode, "3.1.2", AppInstallation.PackageKind.MSI);

        CommandRecord install = issue(id, CommandType.INSTALL_APP, msi.toParameters());
        pc.session();
        assertThat(pc.executed()).contains("./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7BAF9257BA-6BBD-4624-AA9B-0182D50292C3%7D"
                + "/DownloadInstall");
        assertThat(kernel.commands().get(install.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);

        // The job finished: the PC says so, and the server reads the installed version back from the CSP.
        pc.msiInstalled(productCode, "3.1.2", "0");
        assertThat(kernel.devices().inventory(id)).containsEntry("app." + productCode, "3.1.2")
                .containsEntry("windows.msi." + productCode + ".result", "0");

        CommandRecord remove = issue(id, CommandType.REMOVE_APP, msi.toRemovalParameters());
        pc.session();
        assertThat(kernel.commands().get(remove.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(kernel.devices().inventory(id)).doesNotContainKey("app." + productCode);
    }

    @Test
    void anMsixFromTheCatalogIsInstalledItsVersionReadBackFromTheModernAppInventoryAndRemoved() throws Exception {
        WindowsDmClient pc = enrolledPc("7B7B7B7B7B7B7B7B7B7B7B7B7B7B7B7B");
        pc.session();
        DeviceId id = deviceId(pc);
        String family = "Contoso.Notes_8wekyb3d8bbwe";
        AppInstallation msix = privatePackage(id, family, "1.2.0.0", AppInstallation.PackageKind.MSIX);

        CommandRecord install = issue(id, CommandType.INSTALL_APP, msix.toParameters());
        pc.session();
        assertThat(pc.executed()).contains("./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppInstallation/" + family + "/HostedInstall");
        assertThat(kernel.commands().get(install.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(kernel.devices().inventory(id)).doesNotContainKey("app." + family);

        // A failed install is recorded with Windows' HRESULT and reads nothing back.
        pc.msixInstalled(family, "", "", WindowsDmClient.DOWNLOAD_REFUSED);
        assertThat(kernel.devices().inventory(id)).containsEntry("windows.msix." + family + ".result", WindowsDmClient.DOWNLOAD_REFUSED)
                .doesNotContainKey("app." + family);

        // The install finished: the server lists the family's packages, then reads the installed one's version.
        pc.msixInstalled(family, "Contoso.Notes_1.2.0.0_x64__8wekyb3d8bbwe", "1.2.0.0", "0");
        assertThat(kernel.devices().inventory(id)).containsEntry("app." + family, "1.2.0.0")
                .containsEntry("windows.msix." + family + ".result", "0");

        CommandRecord remove = issue(id, CommandType.REMOVE_APP, msix.toRemovalParameters());
        pc.session();
        assertThat(kernel.commands().get(remove.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(pc.node("./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/" + family)).isEmpty();
        assertThat(kernel.devices().inventory(id)).doesNotContainKey("app." + family);
    }

    @Test
    void aPrivateMsiUploadedToTheCatalogIsDownloadedByTheAssignedPcHashCheckedInstalledAndReported() throws Exception {
        Files.copy(Path.of(System.getProperty("shepherd.privateStorePluginFile")), server.pluginsDir().resolve("appstore-private.zip"));
        String packages = "/api/v1/plugins/appstore-private/packages";
        await().atMost(Duration.ofSeconds(20)).until(() -> server.getAsAdmin(packages).statusCode() == 200);
        WindowsDmClient assigned = enrolledPc("5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E5E");
        WindowsDmClient other = enrolledPc("6E6E6E6E6E6E6E6E6E6E6E6E6E6E6E6E");
        assigned.session();
        other.session();
        String productCode = "{5B1F2E3D-4C5B-4A69-8778-9A0B1C2D3E4F}";
        byte[] msi = compoundFile();
        HttpResponse<String> uploaded = server.send(HttpRequest.newBuilder(server.uri(packages
                        + "?productCode=%7B5B1F2E3D-4C5B-4A69-8778-9A0B1C2D3E4F%7D&version=2.4.0&name=Field%20Tools"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(msi)).build());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isIn(200, 201);
        assertThat(server.sendAsAdmin("POST", "/api/v1/app-stores/private/sync", "").statusCode()).isEqualTo(200);
        String appId = new ObjectMapper().readTree(server.getAsAdmin("/api/v1/apps?storeId=private").body()).get(0).path("id").asText();
        Group field = kernel.groups().create(TestKernel.ADMIN, "Field PCs", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, field.id(), List.of(deviceId(assigned)));

        assertThat(server.sendAsAdmin("PUT", "/api/v1/apps/" + appId + "/assignments/" + field.id(), "{\"intent\": \"REQUIRED\"}")
                .statusCode()).isEqualTo(200);

        String downloadInstall = "./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7B5B1F2E3D-4C5B-4A69-8778-9A0B1C2D3E4F%7D/DownloadInstall";
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            assigned.session();
            return assigned.executed().contains(downloadInstall);
        });
        // As Windows does: download with the PC's TLS identity, the SHA-256 checked against the job's FileHash.
        assertThat(assigned.runMsiJobs()).containsExactly(Map.entry(productCode, "0"));
        assertThat(kernel.devices().inventory(deviceId(assigned))).containsEntry("app." + productCode, "2.4.0");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(kernel.apps().appsOf(deviceId(assigned)))
                .singleElement().satisfies(state -> {
                    assertThat(state.state().name()).isEqualTo("INSTALLED");
                    assertThat(state.installedVersion()).hasValue("2.4.0");
                }));
        other.session();
        assertThat(other.executed()).as("not assigned, nothing sent").isEmpty();
        assertThat(kernel.apps().appsOf(deviceId(other))).isEmpty();
    }

    /** An .msi-shaped file: an OLE compound file ([MS-CFB]) header, version 3, and two sectors. */
    private static byte[] compoundFile() {
        ByteBuffer file = ByteBuffer.allocate(3 * 512).order(ByteOrder.LITTLE_ENDIAN);
        file.put(new byte[]{(byte) 0xD0, (byte) 0xCF, 0x11, (byte) 0xE0, (byte) 0xA1, (byte) 0xB1, 0x1A, (byte) 0xE1});
        file.put(new byte[16]);                 // CLSID
        file.putShort((short) 0x003E);          // minor version
        file.putShort((short) 0x0003);          // major version 3
        file.putShort((short) 0xFFFE);          // little-endian
        file.putShort((short) 9);               // 512-byte sectors
        file.putShort((short) 6);               // 64-byte mini sectors
        return file.array();
    }

    @Test
    void aWipeIsAcknowledgedAndACommandWithoutWindowsEquivalentIsRefusedWithAReason() throws Exception {
        WindowsDmClient pc = enrolledPc("1C1C1C1C1C1C1C1C1C1C1C1C1C1C1C1C");
        pc.session();
        DeviceId id = deviceId(pc);
        assertThatThrownBy(() -> kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.LOST_MODE_ON)))
                .isInstanceOf(CommandNotSupportedException.class).hasMessage("LOST_MODE_ON has no equivalent on Windows");
        // The PC's final command, with the admin's parameter for it.
        CommandRecord wipe = kernel.commands().issue(TestKernel.ADMIN, id, new CommandRequest(CommandType.WIPE, Map.of("protected", true), 0,
                Optional.empty()));
        pc.session();

        assertThat(pc.executed()).containsExactly("./Device/Vendor/MSFT/RemoteWipe/doWipeProtected");
        assertThat(kernel.commands().get(wipe.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(kernel.commands().history(id, Optional.empty(), 100))
                .noneMatch(command -> command.command().type() == CommandType.LOST_MODE_ON);
    }

    @Test
    void commandsWindowsCannotCarryOutAreRefusedAtIssueWithTheReasonAndNeverQueued() throws Exception {
        WindowsDmClient pc = enrolledPc("4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C4C");
        pc.session();
        DeviceId id = deviceId(pc);
        int before = kernel.commands().history(id, Optional.empty(), 100).size();

        HttpResponse<String> lostMode = admin("/api/v1/devices/" + id + "/commands", Map.of("type", "LOST_MODE_ON",
                "parameters", Map.of("message", "Call IT")));
        assertThat(lostMode.statusCode()).isEqualTo(400);
        assertThat(lostMode.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(JSON.readTree(lostMode.body()).path("detail").asText()).isEqualTo("LOST_MODE_ON has no equivalent on Windows");
        HttpResponse<String> malformed = admin("/api/v1/devices/" + id + "/commands", Map.of("type", "RAW",
                "parameters", Map.of("syncml", "<Get><Item>")));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(malformed.body()).path("detail").asText()).contains("malformed XML");
        assertThat(kernel.commands().history(id, Optional.empty(), 100)).hasSize(before);

        // In a fan-out, the PC's command is recorded FAILED with the same reason rather than queued.
        HttpResponse<String> batch = admin("/api/v1/command-batches", Map.of("type", "SHUT_DOWN",
                "target", Map.of("deviceIds", List.of(id.toString()))));
        assertThat(batch.statusCode()).isEqualTo(201);
        String batchId = JSON.readTree(batch.body()).path("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() -> kernel.commands().batch(batchId).orElseThrow().materialized() == 1);
        assertThat(kernel.commands().history(id, Optional.empty(), 1)).singleElement().satisfies(refused -> {
            assertThat(refused.command().state()).isEqualTo(CommandState.FAILED);
            assertThat(refused.errorReason()).hasValue("SHUT_DOWN has no equivalent on Windows");
        });

        // What Windows can carry out is queued and sent as it was checked.
        assertThat(admin("/api/v1/devices/" + id + "/commands", Map.of("type", "RAW", "parameters", Map.of("syncml",
                "<Get><Item><Target><LocURI>./DevDetail/Ext/Microsoft/TotalRAM</LocURI></Target></Item></Get>"))).statusCode()).isEqualTo(201);
        pc.session();
        assertThat(kernel.commands().history(id, Optional.empty(), 1)).singleElement()
                .satisfies(raw -> assertThat(raw.command().state()).isEqualTo(CommandState.ACKNOWLEDGED));
    }

    private HttpResponse<String> admin(String path, Map<String, Object> body) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
    }

    @Test
    void aRawGetReportsWhatThePcAnsweredAndAnEnterpriseWipeUnenrollsThePc() throws Exception {
        Enrolled enrolled = enroll("6B6B6B6B6B6B6B6B6B6B6B6B6B6B6B6B");
        WindowsDmClient pc = client(enrolled);
        pc.session();
        DeviceId id = deviceId(pc);
        CommandRecord raw = kernel.commands().issue(TestKernel.ADMIN, id, new CommandRequest(CommandType.RAW, Map.of("syncml",
                "<Get><CmdID>1</CmdID><Item><Target><LocURI>./DevDetail/Ext/Microsoft/TotalRAM</LocURI></Target></Item></Get>"), 0,
                Optional.empty()));
        pc.session();
        // Sent while the RAW command was still open, the enterprise wipe would have cancelled it: it retires the PC.
        CommandRecord enterpriseWipe = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.ENTERPRISE_WIPE));
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        pc.session();

        CommandRecord rawDone = kernel.commands().get(raw.command().id()).orElseThrow();
        assertThat(rawDone.command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(rawDone.result()).containsEntry("results", Map.of("./DevDetail/Ext/Microsoft/TotalRAM", "16"));
        assertThat(pc.executed()).containsExactly("./Vendor/MSFT/DMClient/Provider/Shepherd/Unenroll");
        assertThat(kernel.commands().get(enterpriseWipe.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.certificateAuthority().verify(List.of(enrolled.certificate()))).isEmpty();
        assertThat(WindowsTestServers.pluginEntry(server, "wns-channel/" + pc.deviceId())).isEmpty();
    }

    @Test
    void theUsersUnenrollmentAlertRetiresThePcAndRevokesItsCertificate() throws Exception {
        Enrolled enrolled = enroll("2D2D2D2D2D2D2D2D2D2D2D2D2D2D2D2D");
        WindowsDmClient pc = client(enrolled);
        pc.session();
        List<SyncMl> last = pc.unenroll();

        assertThat(last).hasSize(1);
        assertThat(last.get(0).commands()).allMatch(Status.class::isInstance);
        assertThat(kernel.devices().get(deviceId(pc)).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.certificateAuthority().verify(List.of(enrolled.certificate()))).isEmpty();
        assertThat(pc.post(WindowsTestServers.opening(pc.deviceId())).statusCode()).isEqualTo(403);
    }

    @Test
    void aRetiredPcIsToldToUnenrollAndNothingElseThenItsCertificateIsRevokedAndItCannotComeBack() throws Exception {
        Enrolled enrolled = enroll("5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A");
        WindowsDmClient pc = client(enrolled);
        pc.session();
        DeviceId id = deviceId(pc);
        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.LOCK));

        HttpResponse<String> retired = admin("/api/v1/devices/" + id + "/retire");
        assertThat(retired.statusCode()).as(retired.body()).isEqualTo(200);
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.commands().get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);

        int receivedBefore = pc.received().size();
        List<SyncMl> last = pc.session();
        // Only the unenrollment: no lock, no inventory, no push channel query.
        assertThat(pc.received().subList(receivedBefore, pc.received().size())).filteredOn(command -> !(command instanceof Status)).singleElement()
                .satisfies(command -> assertThat(command.name()).isEqualTo("Exec"));
        assertThat(pc.executed()).containsExactly("./Vendor/MSFT/DMClient/Provider/Shepherd/Unenroll");
        assertThat(last.get(last.size() - 1).commands()).allMatch(Status.class::isInstance);

        assertLeftManagement(enrolled, pc, DeviceStatus.RETIRED);
        assertThatThrownBy(pc::unenroll).hasMessageContaining("403");
    }

    @Test
    void aWipedPcIsResetItsCertificateRevokedWhenItAnswersAndItStaysWiped() throws Exception {
        Enrolled enrolled = enroll("7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C");
        WindowsDmClient pc = client(enrolled);
        pc.session();
        DeviceId id = deviceId(pc);

        assertThat(admin("/api/v1/devices/" + id + "/wipe").statusCode()).isEqualTo(200);
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        pc.session();

        assertThat(pc.executed()).containsExactly("./Device/Vendor/MSFT/RemoteWipe/doWipe");
        assertLeftManagement(enrolled, pc, DeviceStatus.WIPED);
    }

    @Test
    void aRetiredPcWhoseFinalCommandWasCancelledIsRevokedAtItsNextSession() throws Exception {
        Enrolled enrolled = enroll("8D8D8D8D8D8D8D8D8D8D8D8D8D8D8D8D");
        WindowsDmClient pc = client(enrolled);
        pc.session();
        DeviceId id = deviceId(pc);
        assertThat(admin("/api/v1/devices/" + id + "/retire").statusCode()).isEqualTo(200);
        kernel.commands().history(id, Optional.empty(), 10).stream().filter(record -> !record.command().state().isFinal())
                .forEach(record -> kernel.commands().cancel(TestKernel.ADMIN, record.command().id()));

        List<SyncMl> last = pc.session();
        assertThat(last).singleElement().satisfies(message -> assertThat(message.commands()).allMatch(Status.class::isInstance));
        assertThat(pc.executed()).isEmpty();
        assertLeftManagement(enrolled, pc, DeviceStatus.RETIRED);
    }

    /** The PC's certificate is revoked, its next session refused, and it stays as the admin left it. */
    private void assertLeftManagement(Enrolled enrolled, WindowsDmClient pc, DeviceStatus status) throws Exception {
        assertThat(kernel.certificateAuthority().verify(List.of(enrolled.certificate()))).isEmpty();
        assertThat(pc.post(WindowsTestServers.opening(pc.deviceId())).statusCode()).isEqualTo(403);
        assertThat(kernel.devices().get(deviceId(pc)).orElseThrow().device().status()).isEqualTo(status);
    }

    private HttpResponse<String> admin(String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"reason\": \"leaving the company\"}")).build());
    }

    @Test
    void aPcWithoutCertificateOrWithAnotherPcsIsRefused() throws Exception {
        WindowsDmClient victim = enrolledPc("3E3E3E3E3E3E3E3E3E3E3E3E3E3E3E3E");
        Enrolled impostor = enroll("4F4F4F4F4F4F4F4F4F4F4F4F4F4F4F4F");

        WindowsDmClient anonymous = new WindowsDmClient(managementUrl(), WindowsTestServers.serverCertificate(server), victim.deviceId(), Optional.empty(), Optional.empty());
        HttpResponse<byte[]> unauthenticated = anonymous.post(WindowsTestServers.opening(victim.deviceId()));
        assertThat(unauthenticated.statusCode()).isEqualTo(401);

        WindowsDmClient claimingVictim = new WindowsDmClient(managementUrl(), WindowsTestServers.serverCertificate(server), victim.deviceId(), Optional.of(impostor.certificate()),
                Optional.of(impostor.keys().getPrivate()));
        assertThat(claimingVictim.post(WindowsTestServers.opening(victim.deviceId())).statusCode()).isEqualTo(403);

        // Behind a trusted proxy the forwarded certificate speaks for its own PC only, too.
        URI plain = server.uri(PATH);
        assertThat(WindowsDmClient.behindProxy(plain, WindowsTestServers.serverCertificate(server), impostor.windowsDeviceId(), impostor.certificate()).session()).isNotEmpty();
        assertThat(WindowsDmClient.behindProxy(plain, WindowsTestServers.serverCertificate(server), victim.deviceId(), impostor.certificate())
                .post(WindowsTestServers.opening(victim.deviceId())).statusCode()).isEqualTo(403);
    }

    @Test
    void malformedSyncMlGetsAClearRefusalAndNeverA500() throws Exception {
        WindowsDmClient pc = enrolledPc("5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A");

        HttpResponse<byte[]> garbage = pc.post("<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>".getBytes(StandardCharsets.UTF_8));
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(new String(garbage.body(), StandardCharsets.UTF_8)).contains("malformed XML");

        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + new String(WindowsTestServers.opening(pc.deviceId()), StandardCharsets.UTF_8).replace("<Data>1201</Data>", "<Data>&x;</Data>");
        HttpResponse<byte[]> entity = pc.post(xxe.getBytes(StandardCharsets.UTF_8));
        assertThat(entity.statusCode()).isEqualTo(400);
        assertThat(new String(entity.body(), StandardCharsets.UTF_8)).contains("DTD").doesNotContain("root:");

        // A header in an older protocol version is answered in SyncML: Status 400 for the SyncHdr.
        HttpResponse<byte[]> oldVersion = pc.post(new String(WindowsTestServers.opening(pc.deviceId()), StandardCharsets.UTF_8)
                .replace("DM/1.2", "DM/1.1").getBytes(StandardCharsets.UTF_8));
        assertThat(oldVersion.statusCode()).isEqualTo(200);
        Status refused = (Status) SyncMlReader.read(oldVersion.body()).commands().get(0);
        assertThat(refused.cmd()).isEqualTo("SyncHdr");
        assertThat(refused.data()).isEqualTo("400");

        // An element that is no OMA-DM command is refused on its own; the session carries on.
        HttpResponse<byte[]> unknown = pc.post(new String(WindowsTestServers.opening(pc.deviceId()), StandardCharsets.UTF_8)
                .replace("<Final/>", "<Frobnicate><CmdID>7</CmdID></Frobnicate><Final/>").getBytes(StandardCharsets.UTF_8));
        assertThat(unknown.statusCode()).isEqualTo(200);
        assertThat(SyncMlReader.read(unknown.body()).commands()).filteredOn(Status.class::isInstance).map(Status.class::cast)
                .anySatisfy(status -> {
                    assertThat(status.cmd()).isEqualTo("Frobnicate");
                    assertThat(status.data()).isEqualTo("400");
                });
    }

    @Test
    void aDeeplyNestedOrEntityDeclaringMessageFailsItsRequestAndTheNextPcIsServed() throws Exception {
        WindowsDmClient attacker = enrolledPc("6B6B6B6B6B6B6B6B6B6B6B6B6B6B6B6B");
        WindowsDmClient bystander = enrolledPc("7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C");
        String opening = new String(WindowsTestServers.opening(attacker.deviceId()), StandardCharsets.UTF_8);

        // Nested Atomics: read as a DOM, whose walk recursed once per level and overflowed the stack.
        String nested = opening.replace("<Final/>", "<Atomic><CmdID>2</CmdID>".repeat(12_000) + "</Atomic>".repeat(12_000) + "<Final/>");
        HttpResponse<byte[]> deep = attacker.post(nested.getBytes(StandardCharsets.UTF_8));
        assertThat(deep.statusCode()).isEqualTo(400);
        assertThat(deep.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(new String(deep.body(), StandardCharsets.UTF_8)).contains("nested deeper than " + SafeXml.MAX_DEPTH);

        // A DTD in UTF-16 and in EBCDIC: refused by the parser on what it decoded, whatever the bytes look like.
        String declared = "<?xml version=\"1.0\" encoding=\"%s\"?><!DOCTYPE SyncML [<!ENTITY x \"1201\">]>"
                + opening.replace("<Data>1201</Data>", "<Data>&x;</Data>").replaceFirst("<\\?xml[^>]*\\?>", "");
        for (Charset charset : List.of(StandardCharsets.UTF_16, Charset.forName("IBM037"))) {
            HttpResponse<byte[]> entity = attacker.post(declared.formatted(charset.name()).getBytes(charset));
            assertThat(entity.statusCode()).as(charset.name()).isEqualTo(400);
            assertThat(new String(entity.body(), StandardCharsets.UTF_8)).as(charset.name()).contains("DTD");
        }

        assertThat(bystander.session()).isNotEmpty();
        assertThat(attacker.session()).isNotEmpty();
        assertThat(kernel.devices().get(deviceId(bystander)).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
    }

    private static Stream<SyncCommand> withNested(SyncCommand command) {
        return command instanceof Atomic atomic ? Stream.concat(Stream.of(command), atomic.commands().stream())
                : Stream.of(command);
    }

    /** A PC enrolled the way PCs are: MS-MDE2 with an enrollment token, through the running plugin. */
    private record Enrolled(String windowsDeviceId, KeyPair keys, X509Certificate certificate) {
    }

    private Enrolled enroll(String windowsDeviceId) throws Exception {
        WindowsEnrollmentClient.Enrolled enrolled = new WindowsEnrollmentClient(windowsDeviceId, "PC-" + windowsDeviceId.substring(0, 6))
                .enroll(URI.create("https://localhost:" + server.server().httpsPort() + "/EnrollmentServer/Discovery.svc"),
                        "it@example.com", enrollmentToken()).orElseThrow();
        assertThat(enrolled.managementUrl()).isEqualTo(managementUrl());
        return new Enrolled(windowsDeviceId, enrolled.keys(), enrolled.certificate());
    }

    private String enrollmentToken() throws Exception {
        if (enrollmentToken == null) {
            HttpResponse<String> created = server.send(HttpRequest.newBuilder(server.uri("/api/v1/enrollment-tokens"))
                    .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"Lab PCs\",\"ownership\":\"CORPORATE\","
                            + "\"platform\":\"windows\",\"maxUses\":50,\"validForHours\":24}")).build());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            String url = new ObjectMapper().readTree(created.body()).path("enrollmentUrl").asText();
            enrollmentToken = url.substring(url.lastIndexOf('/') + 1);
        }
        return enrollmentToken;
    }

    private WindowsDmClient enrolledPc(String windowsDeviceId) throws Exception {
        return client(enroll(windowsDeviceId));
    }

    private WindowsDmClient client(Enrolled enrolled) throws Exception {
        return new WindowsDmClient(managementUrl(), WindowsTestServers.serverCertificate(server), enrolled.windowsDeviceId(), Optional.of(enrolled.certificate()),
                Optional.of(enrolled.keys().getPrivate()));
    }

    private URI managementUrl() {
        return URI.create("https://localhost:" + server.server().httpsPort() + PATH);
    }

    private DeviceId deviceId(WindowsDmClient pc) {
        return kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", pc.deviceId()).orElseThrow();
    }

    private DeviceSettingState setting(WindowsDmClient pc, String key) {
        return kernel.policies().settingStates(deviceId(pc)).stream().filter(state -> state.settingKey().equals(key)).findFirst().orElseThrow();
    }
}
