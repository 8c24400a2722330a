package dev.shepherd.plugins.ios;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.command.CommandNotSupportedException;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.compliance.ComplianceCheck;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.pki.ScepClient;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.group.Group;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.QrCodes;
import dev.shepherd.testing.StoreUse;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The iOS plugin loaded from its plugin file into a running server, driven by a simulated iPhone over HTTPS:
 * the signed enrollment profile from an admin-created link, SCEP identity, Authenticate, TokenUpdate, the command loop with acknowledgements, errors and inventory, CheckOut;
 * and the refusals: forged signatures, another device's UDID, replayed challenges; a user-enrolled (BYOD) iPhone
 * speaking by EnrollmentID; apps that disappear from the device disappearing from its inventory.
 */
class AppleMdmIT {

    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The device loop's budget per message (docs/benchmarks.md, "Statements and commits per device message" and "Fewer
     * statements per answer"): 7.64–7.71 (Derby) and 7.79–7.86 (PostgreSQL) statements and 1.14 commits measured, 9.43 before
     * a transaction's events were one batched insert and take's two probes one statement, 10.71 and 2.29 before one
     * transaction per answer. The margin is for a slow machine, where a device's check-in (kept to 30 s) is written
     * again within the loop.
     */
    private static final double STATEMENTS_PER_MESSAGE = 8.5;
    private static final double COMMITS_PER_MESSAGE = 1.3;

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        // Loopback plays the TLS-terminating reverse proxy (RFC 9440) in the forwarded-certificate test.
        server = AppleTestServers.start(home, TOPIC, Map.of("SHEPHERD_HTTP_TRUSTED_PROXIES", "127.0.0.1"),
                Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void anIphoneEnrollsTakesCommandsReportsInventoryAndChecksOut() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-000A1C2E3E8A801E");
        Device device = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).flatMap(kernel.devices()::get)
                .orElseThrow().device();
        assertThat(device.status()).isEqualTo(DeviceStatus.ENROLLED);
        assertThat(device.model()).isEqualTo("iPhone16,2");
        assertThat(device.lastCheckIn()).isPresent();

        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, device.id(), new CommandRequest(CommandType.LOCK,
                Map.of("message", "Return to IT", "phoneNumber", "+1 555 0100"), 0, Optional.empty()));
        CommandRecord inventory = kernel.commands().issue(TestKernel.ADMIN, device.id(), CommandRequest.of(CommandType.REFRESH_INVENTORY));

        NSDictionary first = iphone.idle().orElseThrow();
        NSDictionary request = (NSDictionary) first.objectForKey("Command");
        assertThat(Plists.string(request, "RequestType")).isEqualTo("DeviceLock");
        assertThat(Plists.string(request, "Message")).isEqualTo("Return to IT");
        assertThat(Plists.string(first, "CommandUUID")).isEqualTo(lock.command().id().toString());

        NSDictionary second = iphone.answer(first, "Acknowledged").orElseThrow();
        assertThat(Plists.string((NSDictionary) second.objectForKey("Command"), "RequestType")).isEqualTo("DeviceInformation");
        assertThat(iphone.answer(second, "Acknowledged")).isEmpty();

        assertThat(kernel.commands().get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(kernel.commands().get(inventory.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(kernel.devices().get(device.id()).orElseThrow().device().osVersion()).isEqualTo("17.6");
        assertThat(kernel.devices().inventory(device.id())).containsEntry("apple.IsSupervised", "true");

        for (String query : List.of("SecurityInfo", "ProfileList", "InstalledApplicationList")) {
            kernel.commands().issue(TestKernel.ADMIN, device.id(), new CommandRequest(CommandType.REFRESH_INVENTORY,
                    Map.of("query", query), 0, Optional.empty()));
            NSDictionary queryCommand = iphone.idle().orElseThrow();
            assertThat(Plists.string((NSDictionary) queryCommand.objectForKey("Command"), "RequestType")).isEqualTo(query);
            assertThat(iphone.answer(queryCommand, "Acknowledged")).isEmpty();
        }
        assertThat(kernel.devices().inventory(device.id()))
                .containsEntry("apple.security.PasscodePresent", "true")
                .containsEntry("apple.security.FirewallSettings.FirewallEnabled", "true")
                .containsEntry("apple.profiles", "dev.shepherd.mdm.enrollment")
                .containsEntry("apple.apps.count", "2")
                .containsEntry("app.com.tinyspeck.chatlyio", "24.05.10")
                .containsEntry("passcode.present", "true").containsEntry("passcode.compliant", "true")
                .containsEntry("storage.encrypted", "true").containsEntry("apps.reported", "true");

        // Those facts are what compliance rules judge: the iPhone complies with passcode, encryption and app rules.
        for (var check : List.of(ComplianceCheck.PASSCODE_COMPLIANT,
                ComplianceCheck.STORAGE_ENCRYPTED)) {
            kernel.compliance().create(TestKernel.ADMIN, check.name(), check, JSON.createObjectNode(), Optional.empty(), 0, List.of());
        }
        kernel.compliance().create(TestKernel.ADMIN, "Slack", ComplianceCheck.REQUIRED_APPS,
                JSON.readTree("{\"apps\":[\"com.tinyspeck.chatlyio\"]}"), Optional.empty(), 0, List.of());
        await().atMost(Duration.ofSeconds(15)).until(() -> kernel.devices().get(device.id()).orElseThrow().device().compliance()
                == ComplianceState.COMPLIANT);

        assertThat(iphone.checkOut().statusCode()).isEqualTo(200);
        assertThat(kernel.devices().get(device.id()).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isEmpty();
    }

    @Test
    void anAppRemovedFromTheDeviceLeavesItsInventoryButAFilteredListRemovesNothing() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-0018FF");
        DeviceId deviceId = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        CommandRequest allApps = new CommandRequest(CommandType.REFRESH_INVENTORY, Map.of("query", "InstalledApplicationList"), 0, Optional.empty());
        kernel.commands().issue(TestKernel.ADMIN, deviceId, allApps);
        assertThat(iphone.answer(iphone.idle().orElseThrow(), "Acknowledged")).isEmpty();
        assertThat(inventoryThroughTheApi(deviceId)).containsEntry("app.com.microsoft.Office.Outlook", "4.2421.0")
                .containsEntry("apple.apps.count", "2");

        iphone.removeApp("com.microsoft.Office.Outlook");
        // Asked about one app only, the answer says nothing about the others.
        kernel.commands().issue(TestKernel.ADMIN, deviceId, new CommandRequest(CommandType.RAW, Map.of("plist", """
                <plist version="1.0"><dict><key>Command</key><dict>
                <key>RequestType</key><string>InstalledApplicationList</string>
                <key>Identifiers</key><array><string>com.tinyspeck.chatlyio</string></array>
                </dict></dict></plist>"""), 0, Optional.empty()));
        assertThat(iphone.answer(iphone.idle().orElseThrow(), "Acknowledged")).isEmpty();
        assertThat(inventoryThroughTheApi(deviceId)).containsEntry("app.com.microsoft.Office.Outlook", "4.2421.0")
                .containsEntry("apple.apps.count", "2");

        kernel.commands().issue(TestKernel.ADMIN, deviceId, allApps);
        assertThat(iphone.answer(iphone.idle().orElseThrow(), "Acknowledged")).isEmpty();
        assertThat(inventoryThroughTheApi(deviceId)).doesNotContainKey("app.com.microsoft.Office.Outlook")
                .containsEntry("app.com.tinyspeck.chatlyio", "24.05.10").containsEntry("apple.apps.count", "1")
                .containsEntry("apple.enrollment", "device");
    }

    @Test
    void aUserEnrolledIphoneSpeaksByItsEnrollmentIdAndOnlyForItself() throws Exception {
        AppleDeviceSimulator corporate = enrolledDevice("00008110-0019AA");
        URI link = EnrollmentLinks.createUserEnrollment(server, "ios", "ana", "ana@example.com");
        AppleDeviceSimulator byod = AppleDeviceSimulator.userEnrolled(server.uri("/"), "B6D1E2F3-0A4B-4C5D-8E6F-7A8B9C0D1E2F",
                AppleDeviceSimulator.Kind.IPHONE);
        AppleDeviceSimulator.InstalledProfile profile = byod.installProfile(link);
        assertThat(profile.profile().toXMLPropertyList()).contains("<key>AssignedManagedAppleID</key>", "<string>ana@example.com</string>",
                "<key>EnrollmentMode</key>", "<string>BYOD</string>");
        assertThat(profile.accessRights()).as("Apple fixes a user enrollment's rights").isZero();
        assertThat(byod.enrollIdentity().status()).isEqualTo("0");
        assertThat(byod.authenticate().statusCode()).isEqualTo(200);
        assertThat(byod.tokenUpdate().statusCode()).isEqualTo(200);

        DeviceId deviceId = kernel.devices().idByHardwareId(Platform.IOS, "enrollmentId", byod.udid()).orElseThrow();
        Device device = kernel.devices().get(deviceId).orElseThrow().device();
        assertThat(device.ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(device.userId()).isPresent();
        assertThat(device.serialNumber()).isEmpty();
        assertThat(device.hardwareIds()).containsOnlyKeys("enrollmentId");
        assertThat(inventoryThroughTheApi(deviceId)).containsEntry("apple.enrollment", "user");

        CommandRecord inventory = kernel.commands().issue(TestKernel.ADMIN, deviceId, CommandRequest.of(CommandType.REFRESH_INVENTORY));
        assertThatThrownBy(() -> kernel.commands().issue(TestKernel.ADMIN, deviceId, CommandRequest.of(CommandType.RESTART)))
                .as("Apple forbids restarting a user-enrolled device").isInstanceOf(CommandNotSupportedException.class)
                .hasMessageContaining("user-enrolled");
        NSDictionary information = byod.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) information.objectForKey("Command"), "RequestType")).isEqualTo("DeviceInformation");
        assertThat(byod.answer(information, "Acknowledged")).isEmpty();
        assertThat(kernel.commands().get(inventory.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(byod.userAuthenticate("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", Optional.empty()).statusCode())
                .as("iPhones have no UserAuthenticate").isEqualTo(410);

        // Its certificate speaks for its own enrollment id only: not another one, not a UDID.
        AppleDeviceSimulator otherEnrollment = AppleDeviceSimulator.userEnrolled(server.uri("/"), "C7E2F304-1B5C-4D6E-9F70-8B9CAD0E1F30",
                AppleDeviceSimulator.Kind.IPHONE);
        otherEnrollment.useIdentityOf(byod);
        assertThat(otherEnrollment.authenticate().statusCode()).isEqualTo(403);
        assertThat(otherEnrollment.tokenUpdate().statusCode()).isEqualTo(403);
        AppleDeviceSimulator corporateUdid = new AppleDeviceSimulator(server.uri("/"), corporate.udid());
        corporateUdid.useIdentityOf(byod);
        assertThat(corporateUdid.tokenUpdate().statusCode()).isEqualTo(403);
        assertThat(corporateUdid.put("/mdm/apple-ios/connect", corporateUdid.idleReport(), corporateUdid.signature(corporateUdid.idleReport()))
                .statusCode()).isEqualTo(403);
        // Nor does a UDID's certificate speak for the enrollment id.
        AppleDeviceSimulator claimingByod = AppleDeviceSimulator.userEnrolled(server.uri("/"), byod.udid(), AppleDeviceSimulator.Kind.IPHONE);
        claimingByod.useIdentityOf(corporate);
        assertThat(claimingByod.put("/mdm/apple-ios/connect", claimingByod.idleReport(), claimingByod.signature(claimingByod.idleReport()))
                .statusCode()).isEqualTo(403);

        // A corporate link cannot be turned into a user enrollment.
        URI corporateLink = enrollmentLink(Ownership.CORPORATE);
        assertThat(server.get(corporateLink.getPath() + "?mode=user").statusCode()).isEqualTo(400);
        assertThat(server.get(corporateLink.getPath() + "?mode=kiosk").statusCode()).isEqualTo(400);
    }

    /** The device's inventory as an admin reads it: {@code GET /api/v1/devices/{id}/inventory}. */
    private Map<String, String> inventoryThroughTheApi(DeviceId deviceId) throws Exception {
        HttpResponse<String> response = server.send(HttpRequest.newBuilder(server.uri("/api/v1/devices/" + deviceId + "/inventory"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD)).GET().build());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readValue(response.body(), new TypeReference<Map<String, String>>() { });
    }

    @Test
    void aPolicyIsInstalledAsAProfileAndTheDevicesRefusalIsRecorded() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-0013AA");
        var deviceId = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        Group group = kernel.groups().create(TestKernel.ADMIN, "iPhones", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(deviceId));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Baseline", "", List.of(
                new SettingInput("passcode", JSON.readTree("{\"required\": true, \"minLength\": 8}")),
                new SettingInput("wifi", JSON.readTree("{\"ssid\": \"Corp\", \"security\": \"WPA2_PERSONAL\", \"password\": \"s3cret-pass\"}")),
                new SettingInput("dlp", JSON.readTree("{\"allowPrinting\": false}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);

        // The reconciler queues one InstallProfile per supported setting; DLP has no Apple equivalent.
        List<NSDictionary> installs = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            iphone.idle().ifPresent(installs::add);
            assertThat(installs).isNotEmpty();
        });
        NSDictionary first = installs.get(0);
        NSDictionary second = iphone.answer(first, "Acknowledged").orElseThrow();
        assertThat(iphone.answer(second, "Error")).isEmpty();

        Map<String, NSDictionary> profilesByIdentifier = new HashMap<>();
        for (NSDictionary command : List.of(first, second)) {
            NSDictionary request = (NSDictionary) command.objectForKey("Command");
            assertThat(Plists.string(request, "RequestType")).isEqualTo("InstallProfile");
            NSDictionary profile = Plists.dictionary(((NSData) request.objectForKey("Payload")).bytes());
            profilesByIdentifier.put(Plists.string(profile, "PayloadIdentifier"), profile);
        }
        assertThat(profilesByIdentifier).containsOnlyKeys("dev.shepherd.setting.passcode", "dev.shepherd.setting.wifi-Corp");
        NSDictionary passcode = (NSDictionary) ((NSArray) profilesByIdentifier.get("dev.shepherd.setting.passcode")
                .objectForKey("PayloadContent")).objectAtIndex(0);
        assertThat(Plists.string(passcode, "PayloadType")).isEqualTo("com.apple.mobiledevice.passwordpolicy");
        assertThat(passcode.objectForKey("minLength").toJavaObject()).isEqualTo(8);

        String acknowledged = Plists.string(Plists.dictionary(((NSData) ((NSDictionary) first.objectForKey("Command"))
                .objectForKey("Payload")).bytes()), "PayloadIdentifier");
        String acknowledgedKey = acknowledged.endsWith("passcode") ? "passcode" : "wifi/Corp";
        String refusedKey = acknowledgedKey.equals("passcode") ? "wifi/Corp" : "passcode";
        Map<String, DeviceSettingState> states = new HashMap<>();
        kernel.policies().settingStates(deviceId).forEach(state -> states.put(state.settingKey(), state));
        assertThat(states.get(acknowledgedKey).state()).isEqualTo(SettingState.INSTALLED);
        assertThat(states.get(refusedKey).state()).isEqualTo(SettingState.FAILED);
        assertThat(states.get(refusedKey).reason()).hasValueSatisfying(reason -> assertThat(reason).contains("The passcode is not compliant."));
        assertThat(states.get("dlp").state()).isEqualTo(SettingState.NOT_SUPPORTED);
    }

    /**
     * What a device's messages cost the store, counted rather than timed (issue 16): devices working through their
     * queues (Idle, then alternately DeviceLock and DeviceInformation answered, each answer returning the next command)
     * stay within a budget of statements and commits per message. The counts are those of the plugin's threads, which
     * serve device messages; the commands are issued, and their wake-ups done, before counting starts.
     */
    @Test
    void aDevicesMessagesStayWithinTheirBudgetOfStatementsAndCommits() throws Exception {
        int devices = 2;
        int commandsEach = 6;
        List<AppleDeviceSimulator> iphones = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            AppleDeviceSimulator iphone = enrolledDevice("00008110-0000BUDGET0" + i);
            iphones.add(iphone);
            DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
            for (int c = 0; c < commandsEach; c++) {
                kernel.commands().issue(TestKernel.ADMIN, id, c % 2 == 0
                        ? new CommandRequest(CommandType.LOCK, Map.of("message", "Return to IT"), 0, Optional.empty())
                        : CommandRequest.of(CommandType.REFRESH_INVENTORY));
            }
        }
        Predicate<String> pluginCalls = name -> name.startsWith("plugin-apple-ios-") && !name.contains("-events-");
        // The issue's wake-ups run on the plugin's threads too: counting starts once they are done.
        AtomicReference<StoreUse.Counts> settled =
                new AtomicReference<>(server.storeUse().of(pluginCalls));
        await().pollInterval(Duration.ofMillis(200)).atMost(Duration.ofSeconds(15)).until(() -> {
            StoreUse.Counts now = server.storeUse().of(pluginCalls);
            return now.equals(settled.getAndSet(now));
        });
        StoreUse.Counts before = server.storeUse().of(pluginCalls);
        Map<String, Long> sqlBefore = server.storeUse().statementsBySql(pluginCalls);
        StoreUse.Counts beforeAll = server.storeUse().all();

        int messages = 0;
        for (AppleDeviceSimulator iphone : iphones) {
            Optional<NSDictionary> next = iphone.idle();
            messages++;
            while (next.isPresent()) {
                next = iphone.answer(next.get(), "Acknowledged");
                messages++;
            }
        }

        StoreUse.Counts used = server.storeUse().of(pluginCalls).since(before);
        StoreUse.Counts usedAll = server.storeUse().all().since(beforeAll);
        assertThat(messages).isEqualTo(devices * (commandsEach + 1));
        double statements = (double) used.statements() / messages;
        double commits = (double) used.commits() / messages;
        double checkouts = (double) used.checkouts() / messages;
        System.out.printf("Device loop, %d devices x %d commands, %d messages: %.2f statements, %.2f commits, %.2f connection"
                        + " checkouts per message on the plugin's threads; all threads: %.2f statements, %.2f commits%n",
                devices, commandsEach, messages, statements, commits, checkouts,
                (double) usedAll.statements() / messages, (double) usedAll.commits() / messages);
        int sent = messages;
        server.storeUse().statementsBySql(pluginCalls).forEach((sql, count) -> {
            long inLoop = count - sqlBefore.getOrDefault(sql, 0L);
            if (inLoop > 0) {
                System.out.printf("  %6.2f per message  %s%n", (double) inLoop / sent, sql);
            }
        });
        for (AppleDeviceSimulator iphone : iphones) {
            DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
            assertThat(kernel.commands().history(id, Optional.empty(), 50)).filteredOn(record -> record.command().type() != CommandType.RAW)
                    .allSatisfy(record -> assertThat(record.command().state()).isEqualTo(CommandState.ACKNOWLEDGED));
        }
        assertThat(statements).as("statements per device message").isLessThanOrEqualTo(STATEMENTS_PER_MESSAGE);
        assertThat(commits).as("commits per device message").isLessThanOrEqualTo(COMMITS_PER_MESSAGE);
    }

    @Test
    void errorsAndNotNowReachTheCommandBus() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-000B2D3F4F9B902F");
        var deviceId = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        CommandRecord restart = kernel.commands().issue(TestKernel.ADMIN, deviceId, CommandRequest.of(CommandType.RESTART));
        CommandRecord update = kernel.commands().issue(TestKernel.ADMIN, deviceId, CommandRequest.of(CommandType.OS_UPDATE));

        NSDictionary first = iphone.idle().orElseThrow();
        NSDictionary second = iphone.answer(first, "NotNow").orElseThrow();
        assertThat(iphone.answer(second, "Error")).isEmpty();

        assertThat(kernel.commands().get(restart.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.NOT_NOW);
        CommandRecord failed = kernel.commands().get(update.command().id()).orElseThrow();
        assertThat(failed.command().state()).isEqualTo(CommandState.FAILED);
        assertThat(failed.errorReason()).hasValueSatisfying(reason -> assertThat(reason).contains("The passcode is not compliant."));

        // The deferred command comes back when the device is idle again.
        assertThat(Plists.string((NSDictionary) iphone.idle().orElseThrow().objectForKey("Command"), "RequestType")).isEqualTo("RestartDevice");
    }

    @Test
    void aForgedSignatureAnotherDevicesUdidAndAReplayedChallengeAreRefused() throws Exception {
        AppleDeviceSimulator honest = enrolledDevice("00008110-000C3E405AAC0130");
        AppleDeviceSimulator victim = enrolledDevice("00008110-000D4F516BBD1241");

        // Forged: a self-signed certificate with a matching signature, but not one of the server's.
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair forgerKeys = generator.generateKeyPair();
        X509Certificate forged = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=" + victim.udid()), BigInteger.TEN, Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plusSeconds(3600)), new X500Name("CN=" + victim.udid()), forgerKeys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(forgerKeys.getPrivate())));
        AppleDeviceSimulator forger = new AppleDeviceSimulator(server.uri("/"), victim.udid());
        forger.useIdentity(forged, forgerKeys);
        assertThat(forger.tokenUpdate().statusCode()).isEqualTo(403);

        // A signature over a different body than the one sent.
        byte[] body = "<plist/>".getBytes();
        HttpResponse<String> tampered = honest.put("/mdm/apple-ios/connect", body, honest.signature("something else".getBytes()));
        assertThat(tampered.statusCode()).isEqualTo(401);
        assertThat(honest.put("/mdm/apple-ios/connect", body, Optional.empty()).statusCode()).isEqualTo(401);

        // A real device claiming another device's UDID, with its own valid certificate.
        AppleDeviceSimulator impostor = new AppleDeviceSimulator(server.uri("/"), victim.udid());
        impostor.useIdentityOf(honest);
        assertThat(impostor.tokenUpdate().statusCode()).isEqualTo(403);
        assertThat(impostor.authenticate().statusCode()).isEqualTo(403);

        // The enrollment challenge in a profile works once: a second device replaying it gets no certificate.
        AppleDeviceSimulator first = new AppleDeviceSimulator(server.uri("/"), "00008110-000E");
        String challenge = first.installProfile(enrollmentLink(Ownership.CORPORATE)).challenge();
        assertThat(first.enrollIdentity().status()).isEqualTo("0");
        AppleDeviceSimulator replaying = new AppleDeviceSimulator(server.uri("/"), "00008110-000F");
        replaying.installProfile(enrollmentLink(Ownership.CORPORATE));
        ScepClient.Result replayed = replaying.enrollIdentity(challenge);
        assertThat(replayed.status()).isEqualTo("2");
        assertThat(replayed.certificate()).isEmpty();
    }

    @Test
    void anIphoneAssertingAnEnrolledIphonesUdidAndSerialGetsItsOwnRecordAndTheVictimStaysManaged() throws Exception {
        AppleDeviceSimulator victim = enrolledDevice("00008110-0020AB");
        DeviceId victimId = kernel.devices().idByHardwareId(Platform.IOS, "udid", victim.udid()).orElseThrow();
        String userId = kernel.directory().create(TestKernel.ADMIN, "local", "vera", "Vera Victim", "vera@example.com").id();
        kernel.devices().update(TestKernel.ADMIN, victimId, new DeviceChanges(Optional.empty(), Optional.empty(),
                Optional.of(userId), Optional.of(Set.of("executives")), Optional.empty()), OptionalLong.empty());
        Group group = kernel.groups().create(TestKernel.ADMIN, "Executives", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(victimId));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Executive baseline", "", List.of(
                new SettingInput("passcode", JSON.readTree("{\"required\": true, \"minLength\": 8}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);
        Device before = kernel.devices().get(victimId).orElseThrow().device();
        var settingsBefore = kernel.policies().effectiveSettings(victimId);

        // A second iPhone with a token of its own (personal) asserts the victim's UDID and serial number.
        AppleDeviceSimulator attacker = new AppleDeviceSimulator(server.uri("/"), victim.udid());
        attacker.installProfile(enrollmentLink(Ownership.PERSONAL));
        assertThat(attacker.enrollIdentity().status()).isEqualTo("0");
        assertThat(attacker.authenticate().statusCode()).isEqualTo(200);
        assertThat(attacker.tokenUpdate().statusCode()).isEqualTo(200);

        var conflicts = kernel.events().read(Optional.of("device.identity_conflict"), 0, 10);
        assertThat(conflicts).hasSize(1);
        DeviceId attackerId = DeviceId.parse((String) conflicts.get(0).event().data().get("deviceId"));
        assertThat(conflicts.get(0).event().data()).containsEntry("heldBy", victimId.toString());
        assertThat(attackerId).isNotEqualTo(victimId);
        Device attackerDevice = kernel.devices().get(attackerId).orElseThrow().device();
        assertThat(attackerDevice.ownership()).isEqualTo(Ownership.PERSONAL);
        assertThat(attackerDevice.userId()).isEmpty();
        assertThat(attackerDevice.hardwareIds()).doesNotContainValue(victim.udid());
        assertThat(kernel.groups().groupsOf(attackerId)).isEmpty();

        // The victim's record is untouched: ownership, user, tags, groups, policies, and the UDID still names it.
        Device after = kernel.devices().get(victimId).orElseThrow().device();
        assertThat(after.ownership()).isEqualTo(Ownership.CORPORATE).isEqualTo(before.ownership());
        assertThat(after.userId()).hasValue(userId);
        assertThat(after.tags()).containsExactly("executives");
        assertThat(after.hardwareIds()).isEqualTo(before.hardwareIds());
        assertThat(after.enrolledAt()).isEqualTo(before.enrolledAt());
        assertThat(kernel.groups().groupsOf(victimId)).extracting(Group::id).containsExactly(group.id());
        assertThat(kernel.policies().effectiveSettings(victimId)).isEqualTo(settingsBefore);
        assertThat(kernel.devices().idByHardwareId(Platform.IOS, "udid", victim.udid())).hasValue(victimId);

        // The victim still checks in and gets its commands; the attacker gets only its own.
        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, victimId, CommandRequest.of(CommandType.LOCK));
        assertThat(attacker.idle()).isEmpty();
        Optional<NSDictionary> command = victim.idle();
        while (command.isPresent() && !Plists.string(command.get(), "CommandUUID").equals(lock.command().id().toString())) {
            command = victim.answer(command.get(), "Acknowledged");    // the policy's profiles come first or after
        }
        assertThat(command).as("the victim is offered its lock").isPresent();
        victim.answer(command.get(), "Acknowledged");
        assertThat(kernel.commands().get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(victim.tokenUpdate().statusCode()).isEqualTo(200);
        CommandRecord attackerLock = kernel.commands().issue(TestKernel.ADMIN, attackerId, CommandRequest.of(CommandType.LOCK));
        assertThat(Plists.string(attacker.idle().orElseThrow(), "CommandUUID")).isEqualTo(attackerLock.command().id().toString());

        // The conflict is audited and shown on both devices' pages (their inventory).
        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", attackerId.toString()), 0, 10))
                .extracting(AuditEntry::action).contains("device.identity-conflict");
        HttpResponse<String> inventory = server.getAsAdmin("/api/v1/devices/" + victimId + "/inventory");
        assertThat(JSON.readTree(inventory.body()).path("identity.conflict").asText()).contains(attackerId.toString());
        assertThat(kernel.devices().inventory(attackerId).get("identity.conflict")).contains(victimId.toString());
    }

    @Test
    void reEnrollmentNeedsProofAndAnAcceptedOneRevokesTheOldCertificate() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-0021CD");
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        X509Certificate first = iphone.certificate();

        // Authenticate again with the bound certificate: proven, so no token is needed (the link was single-use).
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid())).hasValue(id);
        assertThat(kernel.devices().count(DeviceFilter.ALL)).isEqualTo(1);

        // After a factory reset the iPhone has lost its certificate: an admin allows it back, once.
        HttpResponse<String> allowed = server.send(HttpRequest.newBuilder(server.uri("/api/v1/devices/" + id + "/allow-re-enrollment"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
        AppleDeviceSimulator reset = new AppleDeviceSimulator(server.uri("/"), iphone.udid());
        reset.installProfile(enrollmentLink(Ownership.PERSONAL));
        assertThat(reset.enrollIdentity().status()).isEqualTo("0");
        assertThat(reset.authenticate().statusCode()).isEqualTo(200);
        assertThat(reset.tokenUpdate().statusCode()).isEqualTo(200);

        Device device = kernel.devices().get(id).orElseThrow().device();
        assertThat(device.ownership()).as("ownership never changes through re-enrollment").isEqualTo(Ownership.CORPORATE);
        assertThat(kernel.devices().count(DeviceFilter.ALL)).isEqualTo(1);
        // One device, one live identity: the certificate it had is revoked and refused.
        assertThat(kernel.certificateAuthority().verify(List.of(first))).isEmpty();
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(403);
        kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.LOCK));
        assertThat(reset.idle()).isPresent();
        assertThat(kernel.audit().read(AuditFilter.ALL.withTarget("device", id.toString()), 0, 20))
                .extracting(AuditEntry::action).contains("device.allow-re-enrollment", "device.re-enroll");
    }

    @Test
    void aTrustedProxyMayPassOnTheDeviceCertificate() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-0014BB");
        AppleDeviceSimulator behindProxy = new AppleDeviceSimulator(server.uri("/"), iphone.udid());
        behindProxy.useIdentityOf(iphone);
        assertThat(behindProxy.putForwarded("/mdm/apple-ios/connect", behindProxy.idleReport()).statusCode()).isEqualTo(200);

        AppleDeviceSimulator other = enrolledDevice("00008110-0015CC");
        AppleDeviceSimulator claimingOther = new AppleDeviceSimulator(server.uri("/"), other.udid());
        claimingOther.useIdentityOf(iphone);
        assertThat(claimingOther.putForwarded("/mdm/apple-ios/connect", claimingOther.idleReport()).statusCode())
                .as("a forwarded certificate still speaks for its own device only").isEqualTo(403);
    }

    @Test
    void anUploadedPushCertificateSetsTheTopicAndWarnsBeforeItExpires() throws Exception {
        String uploadedTopic = "com.apple.mgmt.External.0b6c2a51-9e3d-4f7a-8c21-5d4e3f2a1b0c";
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        X500Name subject = new X500Name("UID=" + uploadedTopic + ",CN=APSP:" + uploadedTopic.substring(24) + ",C=US");
        X509Certificate push = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=Apple Application Integration 2 Certification Authority"), BigInteger.valueOf(77),
                Date.from(Instant.now().minus(Duration.ofDays(345))), Date.from(Instant.now().plus(Duration.ofDays(20))), subject,
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));

        HttpResponse<String> uploaded = pushCertificate("PUT", pem(push, keys.getPrivate()));
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        var status = JSON.readTree(uploaded.body());
        assertThat(status.path("topic").asText()).isEqualTo(uploadedTopic);
        assertThat(status.path("daysLeft").asLong()).isBetween(18L, 20L);
        assertThat(status.path("warning").asText()).contains("expires in").contains("identity.apple.com");
        assertThat(pushCertificate("GET", "").body()).contains(uploadedTopic);

        // New enrollment profiles carry the certificate's topic, not the configured one.
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), "00008110-0016DD");
        assertThat(iphone.installProfile(enrollmentLink(Ownership.CORPORATE)).topic()).isEqualTo(uploadedTopic);

        KeyPair otherKeys = generator.generateKeyPair();
        HttpResponse<String> mismatched = pushCertificate("PUT", pem(push, otherKeys.getPrivate()));
        assertThat(mismatched.statusCode()).isEqualTo(400);
        assertThat(mismatched.body()).contains("does not belong to the certificate");
        assertThat(pushCertificate("PUT", "not a certificate").statusCode()).isEqualTo(400);
        assertThat(pushCertificate("DELETE", "").statusCode()).isEqualTo(204);
        assertThat(pushCertificate("GET", "").statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> pushCertificate(String method, String body) {
        return server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/apple-ios/push-certificate"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/x-pem-file")
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static String pem(Object... items) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object item : items) {
                writer.writeObject(item);
            }
        }
        return out.toString();
    }

    @Test
    void declarativeManagementServesDeclarationsAndRecordsStatus() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-0017EE");
        var tokens = JSON.readTree(iphone.declarativeManagement("tokens", Optional.empty()).body());
        String declarationsToken = tokens.path("SyncTokens").path("DeclarationsToken").asText();
        assertThat(declarationsToken).hasSize(64);

        var items = JSON.readTree(iphone.declarativeManagement("declaration-items", Optional.empty()).body());
        assertThat(items.path("DeclarationsToken").asText()).isEqualTo(declarationsToken);
        var activation = items.path("Declarations").path("Activations").get(0);
        var configuration = items.path("Declarations").path("Configurations").get(0);
        var activationDeclaration = JSON.readTree(iphone.declarativeManagement(
                "declaration/activation/" + activation.path("Identifier").asText(), Optional.empty()).body());
        assertThat(activationDeclaration.path("Type").asText()).isEqualTo("com.apple.activation.simple");
        assertThat(activationDeclaration.path("ServerToken").asText()).isEqualTo(activation.path("ServerToken").asText());
        assertThat(activationDeclaration.path("Payload").path("StandardConfigurations").get(0).asText())
                .isEqualTo(configuration.path("Identifier").asText());
        var subscriptions = JSON.readTree(iphone.declarativeManagement(
                "declaration/configuration/" + configuration.path("Identifier").asText(), Optional.empty()).body());
        assertThat(subscriptions.path("Type").asText()).isEqualTo("com.apple.configuration.management.status-subscriptions");
        assertThat(subscriptions.path("Payload").path("StatusItems").findValuesAsText("Name")).contains("device.operating-system.version");
        assertThat(iphone.declarativeManagement("declaration/configuration/unknown", Optional.empty()).statusCode()).isEqualTo(404);

        byte[] report = """
                {"StatusItems": {"device": {"operating-system": {"version": "17.6.1", "build-version": "21G93"}},
                                 "passcode": {"is-compliant": true, "is-present": true}},
                 "Errors": []}""".getBytes(StandardCharsets.UTF_8);
        assertThat(iphone.declarativeManagement("status", Optional.of(report)).statusCode()).isEqualTo(200);
        var deviceId = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        assertThat(kernel.devices().inventory(deviceId))
                .containsEntry("ddm.device.operating-system.version", "17.6.1")
                .containsEntry("ddm.passcode.is-compliant", "true")
                .containsEntry("ddm.errors", "0");
        assertThat(kernel.devices().get(deviceId).orElseThrow().device().osVersion()).isEqualTo("17.6.1");
        assertThat(iphone.declarativeManagement("status", Optional.of("not json".getBytes())).statusCode()).isEqualTo(400);
    }

    @Test
    void malformedMessagesAreRefusedCleanly() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-0010");
        byte[] xxe = ("<?xml version=\"1.0\"?><!DOCTYPE plist [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
                + "<plist version=\"1.0\"><dict><key>UDID</key><string>&xxe;</string></dict></plist>").getBytes();
        assertThat(iphone.put("/mdm/apple-ios/connect", xxe, iphone.signature(xxe)).statusCode()).isEqualTo(400);
        byte[] garbage = "not a plist".getBytes();
        assertThat(iphone.put("/mdm/apple-ios/connect", garbage, iphone.signature(garbage)).statusCode()).isEqualTo(400);
        byte[] missing = "<plist version=\"1.0\"><dict><key>Status</key><string>Idle</string></dict></plist>".getBytes();
        assertThat(iphone.put("/mdm/apple-ios/connect", missing, iphone.signature(missing)).statusCode()).isEqualTo(400);
    }

    @Test
    void anEnrollmentLinkServesASignedProfileAndAQrCode() throws Exception {
        URI corporateLink = enrollmentLink(Ownership.CORPORATE);
        AppleDeviceSimulator corporate = new AppleDeviceSimulator(server.uri("/"), "00008110-0011");
        AppleDeviceSimulator.InstalledProfile profile = corporate.installProfile(corporateLink);
        assertThat(profile.accessRights()).isEqualTo(8191);
        assertThat(profile.topic()).isEqualTo(TOPIC);
        assertThat(profile.serverUrl().toString()).startsWith("https://localhost:").endsWith("/mdm/apple-ios/connect");
        assertThat(profile.checkInUrl().getPath()).isEqualTo("/mdm/apple-ios/checkin");
        assertThat(profile.scepUrl().getPath()).isEqualTo("/scep");
        assertThat(profile.signer().getSubjectX500Principal().getName()).contains("CN=localhost");

        AppleDeviceSimulator personal = new AppleDeviceSimulator(server.uri("/"), "00008110-0012");
        assertThat(personal.installProfile(enrollmentLink(Ownership.PERSONAL)).accessRights())
                .as("no right to erase a personal device").isEqualTo(8191 - 8);

        HttpResponse<byte[]> qr = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.uri(corporateLink.getPath() + "/qr.png")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(qr.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(QrCodes.read(qr.body())).isEqualTo(corporateLink.toString());

        assertThat(server.get("/enroll/thisIsNotAnEnrollmentSecret0").statusCode()).isEqualTo(404);
        assertThat(server.get("/enroll/thisIsNotAnEnrollmentSecret0").headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(server.get("/enroll/" + "../../etc/passwd").statusCode()).isEqualTo(404);
    }

    private URI enrollmentLink(Ownership ownership) {
        return EnrollmentLinks.create(server, "ios", ownership.name(), 1);
    }

    private AppleDeviceSimulator enrolledDevice(String udid) throws Exception {
        return EnrollmentLinks.enrolledIphone(server, udid);
    }
}
