package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.Plists;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.pki.ScepClient;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The iOS plugin loaded from its plugin file into a running server, driven by a simulated iPhone over HTTP:
 * SCEP identity, Authenticate, TokenUpdate, the command loop with acknowledgements, errors and inventory, CheckOut;
 * and the refusals: forged signatures, another device's UDID, replayed challenges.
 */
class AppleMdmIT {

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(home);
        kernel = server.server().kernel();
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("apple-ios.zip"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(server.get("/mdm/apple-ios/checkin").statusCode()).isEqualTo(405));
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

        assertThat(iphone.checkOut().statusCode()).isEqualTo(200);
        assertThat(kernel.devices().get(device.id()).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(kernel.certificateAuthority().verify(java.util.List.of(iphone.certificate()))).isEmpty();
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

        // The enrollment challenge works once.
        String challenge = kernel.certificateAuthority().newChallenge(Duration.ofHours(1), Map.of("enrollmentToken", token()));
        assertThat(new AppleDeviceSimulator(server.uri("/"), "00008110-000E").enrollIdentity(challenge).status()).isEqualTo("0");
        ScepClient.Result replayed = new AppleDeviceSimulator(server.uri("/"), "00008110-000F").enrollIdentity(challenge);
        assertThat(replayed.status()).isEqualTo("2");
        assertThat(replayed.certificate()).isEmpty();
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

    private AppleDeviceSimulator enrolledDevice(String udid) throws Exception {
        String challenge = kernel.certificateAuthority().newChallenge(Duration.ofHours(1), Map.of("enrollmentToken", token()));
        AppleDeviceSimulator device = new AppleDeviceSimulator(server.uri("/"), udid);
        assertThat(device.enrollIdentity(challenge).status()).isEqualTo("0");
        assertThat(device.authenticate().statusCode()).isEqualTo(200);
        assertThat(device.tokenUpdate().statusCode()).isEqualTo(200);
        return device;
    }

    private String token() {
        return kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("iOS", Ownership.CORPORATE,
                Optional.of(Platform.IOS), Optional.empty(), Optional.empty(), OptionalInt.of(1), Instant.now().plus(Duration.ofHours(1)))).secret();
    }
}
