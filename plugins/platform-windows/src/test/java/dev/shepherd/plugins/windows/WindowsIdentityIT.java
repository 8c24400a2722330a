package dev.shepherd.plugins.windows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.event.EventLog;
import dev.shepherd.group.Group;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A PC's identity is the certificate it was issued, through the running server with the Windows plugin file and
 * simulated PCs over HTTPS, on a clock the test moves: a PC asserting an enrolled PC's DeviceID and HWDevID gets a
 * record of its own and the victim stays managed; a PC renews its certificate before it expires and the old one is
 * revoked once the new one is in use.
 */
class WindowsIdentityIT {

    private static final String PATH = "/mdm/windows/ManagementServer/MDM.svc";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private final TestClock clock = new TestClock(Instant.now());
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), "plugins:\n  config:\n    windows: {}\n");
        server = TestServer.start(home, Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"), clock);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("windows.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get(PATH).statusCode() == 405);
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aPcAssertingAnEnrolledPcsDeviceIdGetsItsOwnRecordAndTheVictimStaysManaged() throws Exception {
        String windowsDeviceId = "5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A";
        WindowsEnrollmentClient.Enrolled victimEnrolled = enroll(new WindowsEnrollmentClient(windowsDeviceId, "CFO-LAPTOP"), "CORPORATE");
        WindowsDmClient victim = client(windowsDeviceId, victimEnrolled);
        victim.session();
        DeviceId victimId = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", windowsDeviceId).orElseThrow();
        // The CA chose the certificate's subject, whatever the request said, and the PC finds its certificate by it.
        assertThat(victimEnrolled.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + victimId + ",OU=Devices,O=Shepherd");
        assertThat(victimEnrolled.application()).containsEntry("SSLCLIENTCERTSEARCHCRITERIA", "Subject="
                + URLEncoder.encode(victimEnrolled.certificate().getSubjectX500Principal().getName(), StandardCharsets.UTF_8)
                + "&Stores=My%5CUser");

        String userId = kernel.directory().create(TestKernel.ADMIN, "local", "cfo", "Chief Financial", "cfo@example.com").id();
        kernel.devices().update(TestKernel.ADMIN, victimId, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(userId),
                Optional.of(Set.of("finance")), Optional.empty()), OptionalLong.empty());
        Group group = kernel.groups().create(TestKernel.ADMIN, "Finance PCs", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(victimId));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Finance", "", List.of(
                new SettingInput("passcode", JSON.readTree("{\"required\": true, \"minLength\": 12}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);
        Device before = kernel.devices().get(victimId).orElseThrow().device();
        var settingsBefore = kernel.policies().effectiveSettings(victimId);

        // Another PC, with a personal token of its own, asserts the victim's DeviceID and HWDevID.
        WindowsEnrollmentClient.Enrolled attackerEnrolled = enroll(new WindowsEnrollmentClient(windowsDeviceId, "ATTACKER"), "PERSONAL");
        WindowsDmClient attacker = client(windowsDeviceId, attackerEnrolled);
        attacker.session();

        List<EventLog.Logged> conflicts = kernel.events().read(Optional.of("device.identity_conflict"), 0, 10);
        assertThat(conflicts).hasSize(1);
        DeviceId attackerId = DeviceId.parse((String) conflicts.get(0).event().data().get("deviceId"));
        assertThat(conflicts.get(0).event().data()).containsEntry("heldBy", victimId.toString())
                .containsEntry("kind", "hwDevId, windowsDeviceId");
        assertThat(attackerId).isNotEqualTo(victimId);
        Device attackerDevice = kernel.devices().get(attackerId).orElseThrow().device();
        assertThat(attackerDevice.ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(attackerDevice.userId()).isEmpty();
        assertThat(attackerDevice.hardwareIds()).isEmpty();
        assertThat(kernel.groups().groupsOf(attackerId)).isEmpty();
        assertThat(attackerEnrolled.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + attackerId + ",OU=Devices,O=Shepherd");

        Device after = kernel.devices().get(victimId).orElseThrow().device();
        assertThat(after.ownership()).isEqualTo(before.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(after.userId()).hasValue(userId);
        assertThat(after.tags()).containsExactly("finance");
        assertThat(after.hardwareIds()).isEqualTo(before.hardwareIds());
        assertThat(after.enrolledAt()).isEqualTo(before.enrolledAt());
        assertThat(kernel.groups().groupsOf(victimId)).extracting(Group::id).containsExactly(group.id());
        assertThat(kernel.policies().effectiveSettings(victimId)).isEqualTo(settingsBefore);
        assertThat(kernel.certificateAuthority().verify(List.of(victimEnrolled.certificate()))).as("the victim's certificate").isPresent();

        // The victim still has sessions and gets its commands; the attacker's state is its own.
        CommandRecord refresh = kernel.commands().issue(TestKernel.ADMIN, victimId, CommandRequest.of(CommandType.REFRESH_INVENTORY));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            victim.session();
            return kernel.commands().get(refresh.command().id()).orElseThrow().command().state() == CommandState.ACKNOWLEDGED;
        });
        assertThat(WindowsTestServers.pluginEntry(server, "wns-channel/" + windowsDeviceId)).isPresent();
        assertThat(WindowsTestServers.pluginEntry(server, "wns-channel/Device:" + attackerId))
                .as("the attacker's push channel is kept apart").isPresent();
        CommandRecord attackerRefresh = kernel.commands().issue(TestKernel.ADMIN, attackerId, CommandRequest.of(CommandType.REFRESH_INVENTORY));
        attacker.session();
        assertThat(kernel.commands().get(attackerRefresh.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);

        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", attackerId.toString()), 0, 10))
                .extracting(AuditEntry::action).contains("device.identity-conflict");
        assertThat(kernel.devices().inventory(victimId).get("identity.conflict")).contains(attackerId.toString());
    }

    @Test
    void aPcRenewsItsCertificateBeforeItExpiresAndTheOldOneIsRevokedOnceTheNewOneIsInUse() throws Exception {
        String windowsDeviceId = "6B6B6B6B6B6B6B6B6B6B6B6B6B6B6B6B";
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient(windowsDeviceId, "RENEWER");
        WindowsEnrollmentClient.Enrolled first = enroll(pc, "CORPORATE");
        WindowsDmClient withFirst = client(windowsDeviceId, first);
        withFirst.session();
        DeviceId id = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", windowsDeviceId).orElseThrow();

        // Near the end of its year the PC renews (ROBO), authenticated by the certificate it has.
        clock.advance(Duration.ofDays(340));
        withFirst.session();
        WindowsEnrollmentClient.Enrolled second = pc.renew(first, first.certificate(), first.keys().getPrivate()).orElseThrow();
        assertThat(second.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + id + ",OU=Devices,O=Shepherd");
        assertThat(second.certificate().getNotAfter().toInstant()).isAfter(clock.instant().plus(Duration.ofDays(300)));
        // Until the PC uses the new certificate the old one still works, so a lost answer locks nobody out.
        withFirst.session();

        WindowsDmClient withSecond = client(windowsDeviceId, second);
        withSecond.session();
        assertThat(kernel.certificateAuthority().verify(List.of(first.certificate()))).as("the old certificate is revoked").isEmpty();
        assertThat(withFirst.post(WindowsTestServers.opening(windowsDeviceId)).statusCode()).isEqualTo(403);

        // Past the day the first certificate would have expired, the PC is managed with its new one.
        clock.advance(Duration.ofDays(40));
        CommandRecord refresh = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.REFRESH_INVENTORY));
        withSecond.session();
        assertThat(kernel.commands().get(refresh.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", windowsDeviceId)).hasValue(id);
    }

    @Test
    void aPcEnrollingAgainWhilePresentingItsCertificateKeepsItsRecordAndItsOldCertificateIsRevoked() throws Exception {
        String windowsDeviceId = "7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C7C";
        WindowsEnrollmentClient pc = new WindowsEnrollmentClient(windowsDeviceId, "REENROLLER");
        WindowsEnrollmentClient.Enrolled first = enroll(pc, "CORPORATE");
        WindowsDmClient withFirst = client(windowsDeviceId, first);
        withFirst.session();
        DeviceId id = kernel.devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", windowsDeviceId).orElseThrow();
        kernel.devices().update(TestKernel.ADMIN, id, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Set.of("lab")), Optional.empty()), OptionalLong.empty());

        // The same PC enrolls again (with a personal token this time), presenting its current certificate: proof.
        WindowsEnrollmentClient.Enrolled second = enroll(pc.presenting(first), "PERSONAL");
        assertThat(second.provisioningDocument()).contains("name=\"EntDMID\" value=\"" + id + "\"");
        Device device = kernel.devices().get(id).orElseThrow().device();
        assertThat(device.ownership()).as("ownership never changes through re-enrollment").isEqualTo(Ownership.CORPORATE);
        assertThat(device.tags()).containsExactly("lab");
        assertThat(kernel.events().read(Optional.of("device.identity_conflict"), 0, 10)).isEmpty();

        // Its first session with the new certificate makes it its only live identity.
        client(windowsDeviceId, second).session();
        assertThat(kernel.certificateAuthority().verify(List.of(first.certificate()))).isEmpty();
        assertThat(withFirst.post(WindowsTestServers.opening(windowsDeviceId)).statusCode()).isEqualTo(403);
        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", id.toString()), 0, 20))
                .extracting(AuditEntry::action).contains("device.re-enroll");
    }

    private WindowsEnrollmentClient.Enrolled enroll(WindowsEnrollmentClient pc, String ownership) throws Exception {
        HttpResponse<String> created = server.send(HttpRequest.newBuilder(server.uri("/api/v1/enrollment-tokens"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"PCs\",\"ownership\":\"" + ownership + "\","
                        + "\"platform\":\"windows\",\"maxUses\":1,\"validForHours\":24}")).build());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String url = JSON.readTree(created.body()).path("enrollmentUrl").asText();
        return pc.enroll(URI.create("https://localhost:" + server.server().httpsPort() + "/EnrollmentServer/Discovery.svc"),
                "it@example.com", url.substring(url.lastIndexOf('/') + 1)).orElseThrow();
    }

    private WindowsDmClient client(String windowsDeviceId, WindowsEnrollmentClient.Enrolled enrolled) throws Exception {
        return new WindowsDmClient(URI.create("https://localhost:" + server.server().httpsPort() + PATH), WindowsTestServers.serverCertificate(server),
                windowsDeviceId, Optional.of(enrolled.certificate()), Optional.of(enrolled.keys().getPrivate()));
    }
}
