package dev.shepherd.plugins.ios;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile Apple MDM bodies through the running server, each sent by an enrolled iPhone with a valid signature: a
 * deeply nested plist, an entity declaration in UTF-16 (which a byte scan for {@code <!ENTITY} misses), a deeply
 * nested {@code Mdm-Signature}. Each fails its own request with a 4xx, and the next real device request is served.
 */
class AppleMessageBoundsIT {

    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final String PLIST_HEAD = "<?xml version=\"1.0\" encoding=\"%s\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\""
            + " \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n";
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void hostileBodiesFailTheirRequestAndTheNextDeviceIsServed() throws Exception {
        AppleDeviceSimulator attacker = EnrollmentLinks.enrolledIphone(server, "00008110-0000A77AC4E2");
        AppleDeviceSimulator bystander = EnrollmentLinks.enrolledIphone(server, "00008110-0000B1557A4D");

        String nested = PLIST_HEAD.formatted("UTF-8") + "<plist version=\"1.0\"><dict><key>MessageType</key><string>Authenticate</string>"
                + "<key>UDID</key><string>" + attacker.udid() + "</string><key>Deep</key>" + "<array>".repeat(200_000)
                + "</array>".repeat(200_000) + "</dict></plist>";
        assertProblem(send(attacker, "/mdm/apple-ios/checkin", nested.getBytes(StandardCharsets.UTF_8)), "nested deeper than " + Plists.MAX_DEPTH);

        String entities = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<!DOCTYPE plist [<!ENTITY a \"aaaaaaaaaa\">"
                + "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<plist version=\"1.0\"><dict><key>Status</key><string>Idle</string>"
                + "<key>UDID</key><string>" + attacker.udid() + "</string><key>X</key><string>&b;</string></dict></plist>";
        assertProblem(send(attacker, "/mdm/apple-ios/connect", entities.getBytes(StandardCharsets.UTF_16)), "entity declarations are not allowed");

        byte[] idle = attacker.idleReport();
        HttpResponse<String> deepSignature = attacker.put("/mdm/apple-ios/connect", idle, Optional.of(Base64.getEncoder().encodeToString(nestedBer())));
        assertThat(deepSignature.statusCode()).as(deepSignature.body()).isEqualTo(401);

        // A real message in UTF-16 is still read: the refusal above is of the declarations, not of the encoding.
        byte[] utf16Idle = new String(idle, StandardCharsets.UTF_8).replace("UTF-8", "UTF-16").getBytes(StandardCharsets.UTF_16);
        assertThat(send(attacker, "/mdm/apple-ios/connect", utf16Idle).statusCode()).isEqualTo(200);

        assertThat(bystander.idle()).isEmpty();
        assertThat(attacker.idle()).isEmpty();
        var kernel = server.server().kernel();
        var bystanderId = kernel.devices().idByHardwareId(Platform.IOS, "udid", bystander.udid()).orElseThrow();
        assertThat(kernel.devices().get(bystanderId).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);
    }

    private static HttpResponse<String> send(AppleDeviceSimulator device, String path, byte[] body) throws Exception {
        return device.put(path, body, device.signature(body));
    }

    private void assertProblem(HttpResponse<String> response, String detail) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = json.readTree(response.body());
        assertThat(problem.path("status").asInt()).isEqualTo(400);
        assertThat(problem.path("detail").asText()).contains(detail);
    }

    /** A CMS ContentInfo of 2,500 nested indefinite-length SEQUENCEs: enough to overflow BouncyCastle, small enough for a header. */
    private static byte[] nestedBer() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x30, (byte) 0x80, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x07, 0x02,
                (byte) 0xa0, (byte) 0x80});
        for (int i = 0; i < 2_500; i++) {
            out.writeBytes(new byte[] {0x30, (byte) 0x80});
        }
        out.writeBytes(new byte[2 * 2_502]);
        return out.toByteArray();
    }
}
