package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AdeEnrollment;
import dev.shepherd.apple.AdeTokenFiles;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.LocalDeviceAssignment;
import dev.shepherd.apple.Plists;
import dev.shepherd.apple.TestAppleDeviceCa;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Automated Device Enrollment's profile request on a real server with the iOS plugin loaded from its zip: Apple
 * Business Manager assigns an iPhone to the server, the sync registers it PENDING, and in Setup Assistant the iPhone
 * POSTs its MachineInfo signed by the identity Apple's device CA gave it (a test CA standing in, trusted through
 * {@code adeDeviceCaFile}); it gets its profile, enrolls and claims the pending record. Unsigned, mis-signed,
 * untrusted, malformed and unassigned requests are refused with problem details, and an identity issued for one
 * MachineInfo does not enroll another device.
 */
class AdeEnrollmentIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AdeTokenFiles.Credentials ABM = AdeTokenFiles.Credentials.expiring("abm-enroll", Instant.now().plus(Duration.ofDays(300)));
    private static final String UDID = "A1B2C3D4-000A1B2C3D4E5F60";
    private static final TestAppleDeviceCa APPLE_DEVICE_CA = new TestAppleDeviceCa("Test Apple");

    @TempDir
    static Path home;
    private static TestServer server;
    private static LocalDeviceAssignment apple;
    private static URI enrollUrl;

    @BeforeAll
    static void start() throws Exception {
        apple = LocalDeviceAssignment.start(ABM, Clock.systemUTC());
        Path deviceCa = APPLE_DEVICE_CA.writeRoot(home.resolve("apple-device-root.pem"));
        server = AppleTestServers.start(home.resolve("server"), "com.apple.mgmt.External.ade",
                Map.of("adeUrl", apple.uri().toString(), AdeEnrollment.DEVICE_CA_SETTING, deviceCa.toString()),
                Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        String publicKey = server.getAsAdmin("/api/v1/plugins/apple-ios/ade/public-key").body();
        HttpResponse<String> uploaded = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/apple-ios/ade/tokens/abm"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/pkcs7-mime")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(AdeTokenFiles.tokenFile(publicKey, ABM))).build());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        HttpResponse<String> defined = server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/ade/tokens/abm/profile", """
                {"profile_name": "Corporate iPhones", "is_supervised": true, "is_mdm_removable": false, "await_device_configured": true}""");
        assertThat(defined.statusCode()).as(defined.body()).isEqualTo(200);
        enrollUrl = URI.create(apple.profile(JSON.readTree(defined.body()).path("profile_uuid").asText()).path("url").asText());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (apple != null) {
            apple.close();
        }
    }

    @Test
    void anAssignedIphoneSendsItsSignedMachineInfoGetsItsProfileAndClaimsItsPendingRecord() throws Exception {
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), UDID);
        apple.assign(iphone.serialNumber(), "iPhone 15", "iPhone 15 128GB Black", "BLACK", "iOS");
        sync();
        Kernel kernel = server.server().kernel();
        DeviceId pending = kernel.devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber()).orElseThrow();
        assertThat(enrollUrl.getPath()).isEqualTo("/mdm/apple-ios/ade/enroll");

        AppleDeviceSimulator.InstalledProfile profile = iphone.enrollByAde(enrollUrl, APPLE_DEVICE_CA.identity(UDID));
        assertThat(profile.challenge()).isNotBlank();
        assertThat(iphone.enrollIdentity().certificate()).isPresent();
        assertThat(iphone.authenticate().statusCode()).isEqualTo(200);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);

        Device enrolled = kernel.devices().get(pending).orElseThrow().device();
        assertThat(enrolled.status()).as("the pending record is claimed").isEqualTo(DeviceStatus.ENROLLED);
        assertThat(enrolled.ownership()).isEqualTo(Ownership.CORPORATE);
        assertThat(enrolled.enrollmentMethod()).hasValue(EnrollmentMethod.PROGRAM);
        assertThat(enrolled.hardwareIds()).containsEntry("serial", iphone.serialNumber()).containsEntry("udid", UDID);
        assertThat(kernel.devices().idByHardwareId(Platform.IOS, "udid", UDID)).hasValue(pending);

        HttpResponse<byte[]> again = iphone.requestAdeProfile(enrollUrl, APPLE_DEVICE_CA.identity(UDID));
        assertThat(again.statusCode()).as("enrolled, no longer pending").isEqualTo(403);
        assertProblem(again);
    }

    @Test
    void requestsThatAreUnsignedMisSignedUntrustedMalformedOrUnassignedAreRefused() throws Exception {
        String udid = "B2C3D4E5-000B2C3D4E5F6071";
        AppleDeviceSimulator iphone = new AppleDeviceSimulator(server.uri("/"), udid);
        apple.assign(iphone.serialNumber(), "iPhone 15", "iPhone 15 128GB Blue", "BLUE", "iOS");
        sync();
        NSDictionary machineInfo = new NSDictionary();
        machineInfo.put("UDID", udid);
        machineInfo.put("SERIAL", iphone.serialNumber());
        machineInfo.put("PRODUCT", "iPhone15,4");
        machineInfo.put("VERSION", "22B83");
        byte[] plist = Plists.xml(machineInfo);

        HttpResponse<byte[]> unsigned = iphone.postSigned(enrollUrl, plist);
        assertThat(unsigned.statusCode()).isEqualTo(400);
        assertProblem(unsigned);

        TestAppleDeviceCa.DeviceIdentity identity = APPLE_DEVICE_CA.identity(udid);
        TestAppleDeviceCa.DeviceIdentity other = APPLE_DEVICE_CA.identity(udid);
        HttpResponse<byte[]> misSigned = iphone.postSigned(enrollUrl,
                AppleDeviceSimulator.signAttached(plist, other.certificate(), identity.key(), identity.intermediates()));
        assertThat(misSigned.statusCode()).as("signed by a key not the certificate's").isEqualTo(403);
        assertProblem(misSigned);

        TestAppleDeviceCa.DeviceIdentity forged = new TestAppleDeviceCa("Forged").identity(udid);
        HttpResponse<byte[]> untrusted = iphone.requestAdeProfile(enrollUrl, forged);
        assertThat(untrusted.statusCode()).as("chained to a CA that is not Apple's").isEqualTo(403);
        assertProblem(untrusted);
        HttpResponse<byte[]> withoutIntermediate = iphone.postSigned(enrollUrl,
                AppleDeviceSimulator.signAttached(plist, identity.certificate(), identity.key(), List.of()));
        assertThat(withoutIntermediate.statusCode()).as("no chain to the root").isEqualTo(403);

        NSDictionary withoutSerial = new NSDictionary();
        withoutSerial.put("UDID", udid);
        withoutSerial.put("PRODUCT", "iPhone15,4");
        withoutSerial.put("VERSION", "22B83");
        HttpResponse<byte[]> incomplete = iphone.postSigned(enrollUrl,
                AppleDeviceSimulator.signAttached(Plists.xml(withoutSerial), identity.certificate(), identity.key(), identity.intermediates()));
        assertThat(incomplete.statusCode()).isEqualTo(400);
        assertProblem(incomplete);
        HttpResponse<byte[]> garbage = iphone.postSigned(enrollUrl, "not a signature".getBytes(StandardCharsets.UTF_8));
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertProblem(garbage);
        HttpResponse<String> plainPlist = server.send(HttpRequest.newBuilder(server.uri(enrollUrl.getPath())).header("Content-Type", "application/x-apple-plist")
                .POST(HttpRequest.BodyPublishers.ofByteArray(plist)).build());
        assertThat(plainPlist.statusCode()).isEqualTo(415);

        AppleDeviceSimulator stranger = new AppleDeviceSimulator(server.uri("/"), "C3D4E5F6-000C3D4E5F607182");
        HttpResponse<byte[]> unassigned = stranger.requestAdeProfile(enrollUrl, APPLE_DEVICE_CA.identity("C3D4E5F6-000C3D4E5F607182"));
        assertThat(unassigned.statusCode()).as("a serial Apple never assigned here").isEqualTo(403);
        assertProblem(unassigned);

        // The profile's identity speaks for the MachineInfo it was issued for: another device using its challenge
        // (asserting its own UDID) claims nothing.
        AppleDeviceSimulator.InstalledProfile profile = iphone.enrollByAde(enrollUrl, identity);
        AppleDeviceSimulator thief = new AppleDeviceSimulator(server.uri("/"), "D4E5F607-000D4E5F60718293");
        assertThat(thief.enrollIdentity(profile.challenge()).certificate()).isPresent();
        assertThat(thief.authenticate().statusCode()).isEqualTo(403);
        DeviceId pending = server.server().kernel().devices().idByHardwareId(Platform.IOS, "serial", iphone.serialNumber()).orElseThrow();
        assertThat(server.server().kernel().devices().get(pending).orElseThrow().device().status()).isEqualTo(DeviceStatus.PENDING);
    }

    private static void sync() throws Exception {
        HttpResponse<String> response = server.sendAsAdmin("POST", "/api/v1/plugins/apple-ios/ade/tokens/abm/sync", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode result = JSON.readTree(response.body());
        assertThat(result.path("registered").asInt() + result.path("updated").asInt()).isPositive();
    }

    private static void assertProblem(HttpResponse<byte[]> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
    }
}
