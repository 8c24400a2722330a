package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.LocalApns;
import dev.shepherd.apple.Plists;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Wake-up pushes: the iOS plugin, loaded from its file, sends APNs requests over HTTP/2 with the uploaded push
 * certificate to a push service on loopback that speaks APNs' protocol, and copes with its refusals.
 */
class ApplePushIT {

    private static final String CONFIGURED_TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final String CERTIFICATE_TOPIC = "com.apple.mgmt.External.7d1f0e2a-3b4c-4d5e-8f60-718293a4b5c6";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private LocalApns apns;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        apns = LocalApns.start(home.resolve("apns"));
        server = AppleTestServers.start(home.resolve("server"), CONFIGURED_TOPIC,
                Map.of("apnsUrl", apns.url().toString(), "apnsTrustedCertificate", apns.trustedCertificate().toString(),
                        "apnsRetryDelay", "PT0.2S"),
                Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
        HttpResponse<String> uploaded = admin("PUT", "/api/v1/plugins/apple-ios/push-certificate",
                LocalApns.pushCertificatePem(CERTIFICATE_TOPIC, Duration.ofDays(300)));
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
    }

    @AfterEach
    void stop() {
        server.close();
        apns.close();
    }

    @Test
    void aNewCommandWakesTheDeviceThroughApnsOverHttp2WithThePushCertificate() throws Exception {
        AppleDeviceSimulator iphone = enrolledDevice("00008110-00AA0001");

        String commandId = lock(iphone);

        await().atMost(Duration.ofSeconds(10)).until(() -> apns.pushesTo(iphone.pushToken()).size() == 1);
        LocalApns.Push push = apns.pushesTo(iphone.pushToken()).get(0);
        assertThat(push.protocol()).isEqualTo("HTTP/2.0");
        assertThat(push.method()).isEqualTo("POST");
        assertThat(push.path()).isEqualTo("/3/device/" + iphone.pushToken());
        assertThat(push.headers()).containsEntry("apns-topic", CERTIFICATE_TOPIC).containsEntry("apns-push-type", "mdm")
                .containsEntry("apns-priority", "10").containsKey("apns-expiration");
        assertThat(JSON.readTree(push.body()).path("mdm").asText()).isEqualTo(iphone.pushMagic());
        assertThat(push.clientSubject()).as("the TLS client certificate is the uploaded push certificate")
                .contains("UID=" + CERTIFICATE_TOPIC);

        // Woken, the device connects and finds its command.
        NSDictionary command = iphone.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType")).isEqualTo("DeviceLock");
        assertThat(iphone.answer(command, "Acknowledged")).isEmpty();
        assertThat(kernel.commands().get(UUID.fromString(commandId)).orElseThrow().command().state()).isEqualTo(CommandState.ACKNOWLEDGED);
        assertThat(pushes().path("delivered").asLong()).isEqualTo(1);
    }

    @Test
    void aFanOutReachesEveryDeviceOverOneHttp2Connection() throws Exception {
        List<AppleDeviceSimulator> iphones = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            iphones.add(enrolledDevice("00008110-00BB000" + i));
        }
        List<String> ids = iphones.stream().map(this::deviceId).map(DeviceId::toString).toList();
        HttpResponse<String> batch = admin("POST", "/api/v1/command-batches",
                JSON.writeValueAsString(Map.of("type", "REFRESH_INVENTORY", "target", Map.of("deviceIds", ids))));
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(201);

        await().atMost(Duration.ofSeconds(15)).until(() -> apns.pushes().size() == iphones.size());
        assertThat(apns.pushes()).extracting(LocalApns.Push::token)
                .containsExactlyInAnyOrderElementsOf(iphones.stream().map(AppleDeviceSimulator::pushToken).toList());
        assertThat(apns.pushes()).extracting(LocalApns.Push::clientAddress).as("one multiplexed connection").containsOnly(
                apns.pushes().get(0).clientAddress());
    }

    @Test
    void throttlingIsRetriedADeadTokenIsForgottenUntilTheDeviceSendsANewOneAndRefusalsAreReported() throws Exception {
        AppleDeviceSimulator throttled = enrolledDevice("00008110-00CC0001");
        AppleDeviceSimulator gone = enrolledDevice("00008110-00CC0002");
        AppleDeviceSimulator refused = enrolledDevice("00008110-00CC0003");
        apns.answer(throttled.pushToken(), 503, "ServiceUnavailable", 1);
        apns.answer(throttled.pushToken(), 429, "TooManyRequests", 1);
        apns.answer(gone.pushToken(), 410, "Unregistered", 1);
        apns.answer(refused.pushToken(), 400, "BadTopic", 1);

        lock(throttled);
        lock(gone);
        await().atMost(Duration.ofSeconds(15)).until(() -> apns.pushesTo(throttled.pushToken()).size() == 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> pushes().path("tokensForgotten").asLong() == 1
                && pushes().path("delivered").asLong() == 1);
        assertThat(pushes().path("retried").asLong()).isEqualTo(2);

        lock(refused);
        await().atMost(Duration.ofSeconds(10)).until(() -> pushes().path("failed").asLong() == 1);
        assertThat(pushes().path("lastError").asText()).contains("400 BadTopic");
        assertThat(pushes().path("retried").asLong()).as("a refusal is not retried").isEqualTo(2);

        // The forgotten token is not pushed to again; the next command to another device shows the queue moved on.
        lock(gone);
        lock(throttled);
        await().atMost(Duration.ofSeconds(10)).until(() -> apns.pushesTo(throttled.pushToken()).size() == 4);
        assertThat(apns.pushesTo(gone.pushToken())).hasSize(1);

        // A new TokenUpdate makes the device reachable again.
        assertThat(gone.tokenUpdate().statusCode()).isEqualTo(200);
        lock(gone);
        await().atMost(Duration.ofSeconds(10)).until(() -> apns.pushesTo(gone.pushToken()).size() == 2);
    }

    @Test
    void theSetupChecklistReadsThePushCertificateFromThePluginsSetupRequirement() throws Exception {
        HttpResponse<String> setup = admin("GET", "/api/v1/setup", "");
        assertThat(setup.statusCode()).as(setup.body()).isEqualTo(200);
        JsonNode push = null;
        for (JsonNode step : JSON.readTree(setup.body()).path("steps")) {
            if (step.path("id").asText().equals("apple-push")) {
                push = step;
            }
        }
        assertThat(push).as(setup.body()).isNotNull();
        assertThat(push.path("state").asText()).isEqualTo("DONE");
        assertThat(push.path("detail").asText()).startsWith("Topic " + CERTIFICATE_TOPIC + ", valid until ");
        assertThat(push.path("link").asText()).isEqualTo("#/plugins/apple-ios/push-certificate");
    }

    private String lock(AppleDeviceSimulator device) throws Exception {
        HttpResponse<String> issued = admin("POST", "/api/v1/devices/" + deviceId(device) + "/commands",
                JSON.writeValueAsString(Map.of("type", "LOCK", "parameters", Map.of("message", "Return to IT"))));
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        return JSON.readTree(issued.body()).path("command").path("id").asText();
    }

    private JsonNode pushes() throws Exception {
        HttpResponse<String> status = admin("GET", "/api/v1/plugins/apple-ios/push-certificate", "");
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        return JSON.readTree(status.body()).path("pushes");
    }

    private DeviceId deviceId(AppleDeviceSimulator device) {
        return kernel.devices().idByHardwareId(Platform.IOS, "udid", device.udid()).orElseThrow();
    }

    private AppleDeviceSimulator enrolledDevice(String udid) throws Exception {
        AppleDeviceSimulator device = new AppleDeviceSimulator(server.uri("/"), udid);
        assertThat(device.installProfile(EnrollmentLinks.create(server, "ios", "CORPORATE", 1)).topic()).isEqualTo(CERTIFICATE_TOPIC);
        assertThat(device.enrollIdentity().status()).isEqualTo("0");
        assertThat(device.authenticate().statusCode()).isEqualTo(200);
        assertThat(device.tokenUpdate().statusCode()).isEqualTo(200);
        return device;
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", path.endsWith("push-certificate") ? "application/x-pem-file" : "application/json")
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }
}
