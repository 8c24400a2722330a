package dev.shepherd.plugins.windows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.device.Platform;
import dev.shepherd.plugins.windows.push.LocalWns;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Waking PCs: the Windows plugin, loaded from its file and set up for WNS, learns a PC's push channel in a management
 * session, and a new command for the PC makes it send a raw WNS notification (to a push service on loopback), after
 * which the PC's session picks the command up.
 */
class WindowsPushIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHANNEL = "./Vendor/MSFT/DMClient/Provider/Shepherd/Push/ChannelURI";

    @TempDir
    Path home;
    private LocalWns wns;
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        wns = LocalWns.start(home.resolve("wns"));
        Files.createDirectories(home.resolve("server/conf"));
        Files.writeString(home.resolve("server/conf/shepherd.yaml"), """
                plugins:
                  config:
                    windows:
                      wnsPackageSid: "ms-app://s-1-15-2-1234567890-1234567890-1234567890-1234567890-1234567890-1234567890-1234567890"
                      wnsClientSecret: "the package's secret"
                      wnsPackageFamilyName: "Shepherd.MDM_8wekyb3d8bbwe"
                      wnsTokenUrl: "%s"
                      wnsAllowedHosts: "localhost"
                      wnsTrustedCertificate: "%s"
                      wnsRetryDelay: "PT0.2S"
                """.formatted(wns.tokenUrl(), wns.trustedCertificate()));
        server = TestServer.start(home.resolve("server"), Map.of("SHEPHERD_HTTPS_PORT", "0", "SHEPHERD_HTTPS_HOSTNAMES", "localhost"));
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("windows.zip"));
        await().atMost(Duration.ofSeconds(20)).until(() -> server.get("/mdm/windows/EnrollmentServer/Discovery.svc").statusCode() == 200);
    }

    @AfterEach
    void stop() {
        server.close();
        wns.close();
    }

    @Test
    void aNewCommandWakesThePcThroughWnsAndItsNextSessionCarriesItOut() throws Exception {
        WindowsEnrollmentClient enrollment = new WindowsEnrollmentClient("4A5B6C7D8E9F0A1B2C3D4E5F60718293", "KIOSK-3");
        WindowsEnrollmentClient.Enrolled enrolled = enrollment.enroll(URI.create("https://localhost:" + server.server().httpsPort()
                + "/EnrollmentServer/Discovery.svc"), "kiosk@example.com", token()).orElseThrow();
        assertThat(enrolled.provisioningDocument()).as("the PC is told the push package").contains("name=\"PFN\" value=\"Shepherd.MDM_8wekyb3d8bbwe\"");

        String channelPath = "/channel/" + UUID.randomUUID();
        X509Certificate serverRoot = enrolled.trustedRoots().stream()
                .filter(root -> !root.equals(server.server().kernel().certificateAuthority().certificate())).findFirst().orElseThrow();
        WindowsDmClient pc = new WindowsDmClient(enrolled.managementUrl(), serverRoot, enrollment.deviceId(), Optional.of(enrolled.certificate()),
                Optional.of(enrolled.keys().getPrivate())).withNode(CHANNEL, wns.url("localhost", channelPath).toString());
        pc.session();

        String deviceId = server.server().kernel().devices().idByHardwareId(Platform.WINDOWS, "windowsDeviceId", enrollment.deviceId())
                .orElseThrow().toString();
        HttpResponse<String> lock = admin("POST", "/api/v1/devices/" + deviceId + "/commands", "{\"type\":\"LOCK\"}");
        assertThat(lock.statusCode()).as(lock.body()).isEqualTo(201);

        await().atMost(Duration.ofSeconds(15)).until(() -> wns.notificationsTo(channelPath).size() == 1);
        LocalWns.Notification notification = wns.notificationsTo(channelPath).get(0);
        assertThat(notification.headers()).containsEntry("x-wns-type", "wns/raw")
                .hasEntrySatisfying("authorization", value -> assertThat(value).startsWith("Bearer "));
        assertThat(wns.tokenRequests()).hasSize(1);
        assertThat(wns.tokenRequests().get(0).form()).containsEntry("grant_type", "client_credentials")
                .containsEntry("scope", "notify.windows.com").containsEntry("client_secret", "the package's secret");

        // Woken, the PC opens a session and carries the lock out.
        pc.session();
        assertThat(pc.executed()).contains("./Device/Vendor/MSFT/RemoteLock/Lock");
        String id = JSON.readTree(lock.body()).path("command").path("id").asText();
        assertThat(server.server().kernel().commands().get(UUID.fromString(id)).orElseThrow().command().state())
                .isEqualTo(CommandState.ACKNOWLEDGED);
    }

    private String token() throws Exception {
        HttpResponse<String> created = admin("POST", "/api/v1/enrollment-tokens",
                "{\"name\":\"Kiosks\",\"ownership\":\"CORPORATE\",\"platform\":\"windows\",\"maxUses\":5,\"validForHours\":24}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String url = JSON.readTree(created.body()).path("enrollmentUrl").asText();
        return url.substring(url.lastIndexOf('/') + 1);
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
