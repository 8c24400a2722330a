package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.Plists;
import dev.shepherd.command.CommandRecord;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Retire and wipe end the management of an iPhone for real, through the running server: the admin's action makes the
 * device RETIRED or WIPED at once, the device is handed its final command (RemoveProfile of the enrollment profile,
 * or EraseDevice) and nothing else, its identity certificate is revoked when it answers, and nothing it sends with
 * that identity afterwards is accepted or brings it back.
 */
class AppleLifecycleIT {

    private static final String TOPIC = "com.apple.mgmt.External.2f0c1a9e-5b7d-4c1e-9a43-0d6e8f1b2c3d";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path home;
    private TestServer server;
    private Kernel kernel;

    @BeforeEach
    void start() throws Exception {
        server = AppleTestServers.start(home, TOPIC, Map.of(), Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))));
        kernel = server.server().kernel();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aRetiredIphoneIsToldToRemoveItsEnrollmentThenItsIdentityIsRevokedAndItCannotComeBack() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-0000RETIRE01");
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.LOCK));
        // Every message checks the device's status, which the server keeps in memory once read: the retirement below
        // must still be seen by the very next message.
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(200);

        HttpResponse<String> retired = admin("POST", "/api/v1/devices/" + id + "/retire", "{\"reason\": \"returned to IT\"}");
        assertThat(retired.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(retired.body()).path("device").path("status").asText()).isEqualTo("RETIRED");
        // What was still waiting for the device will never reach it.
        assertThat(kernel.commands().get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);

        // Until it answers, the device may fetch its final command only: check-ins that would report or re-register are refused.
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(403);
        assertThat(iphone.authenticate().statusCode()).isEqualTo(403);
        NSDictionary last = iphone.idle().orElseThrow();
        NSDictionary request = (NSDictionary) last.objectForKey("Command");
        assertThat(Plists.string(request, "RequestType")).isEqualTo("RemoveProfile");
        assertThat(Plists.string(request, "Identifier")).isEqualTo("dev.shepherd.mdm.enrollment");
        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isPresent();

        assertThat(iphone.answer(last, "Acknowledged")).isEmpty();
        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isEmpty();
        assertThatThrownBy(iphone::idle).hasMessageContaining("403");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(403);
        assertThat(iphone.tokenUpdate().statusCode()).isEqualTo(403);
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(audit(id)).contains("device.retire");
    }

    @Test
    void aWipedIphoneIsErasedItsIdentityRevokedWhenItAnswersAndItStaysWiped() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00000WIPE001");
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();

        // A helpdesk admin can neither wipe nor retire it (retiring removes what the organisation installed).
        assertThat(admin("POST", "/api/v1/admins", "{\"username\": \"desk\", \"password\": \"Quartz-Lantern-8153-Vx\", \"role\": \"HELPDESK\"}")
                .statusCode()).isEqualTo(201);
        for (String action : List.of("wipe", "retire")) {
            assertThat(server.send(HttpRequest.newBuilder(server.uri("/api/v1/devices/" + id + "/" + action))
                    .header("Authorization", TestServer.basic("desk", "Quartz-Lantern-8153-Vx")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build()).statusCode()).as(action).isEqualTo(403);
        }
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.ENROLLED);

        HttpResponse<String> wiped = admin("POST", "/api/v1/devices/" + id + "/wipe", "{\"reason\": \"stolen\"}");
        assertThat(wiped.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(wiped.body()).path("device").path("status").asText()).isEqualTo("WIPED");
        // No other command reaches a wiped device, whoever issues it.
        assertThat(admin("POST", "/api/v1/devices/" + id + "/commands", "{\"type\": \"LOCK\"}").statusCode()).isEqualTo(409);
        // Asking again changes nothing; retiring it instead is a conflict.
        assertThat(admin("POST", "/api/v1/devices/" + id + "/wipe", "{}").statusCode()).isEqualTo(200);
        assertThat(admin("POST", "/api/v1/devices/" + id + "/retire", "{}").statusCode()).isEqualTo(409);

        NSDictionary erase = iphone.idle().orElseThrow();
        assertThat(Plists.string((NSDictionary) erase.objectForKey("Command"), "RequestType")).isEqualTo("EraseDevice");
        assertThat(iphone.answer(erase, "Acknowledged")).isEmpty();

        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isEmpty();
        assertThatThrownBy(iphone::idle).hasMessageContaining("403");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(403);
        assertThat(iphone.checkOut().statusCode()).isEqualTo(403);
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(kernel.commands().history(id, Optional.empty(), 10)).filteredOn(record -> record.command().type() == CommandType.WIPE)
                .singleElement().satisfies(record -> assertThat(record.command().state()).isEqualTo(CommandState.ACKNOWLEDGED));
    }

    @Test
    void anEraseSentAsACommandWipesTheIphoneTheSameWayAsTheWipeAction() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-000ERASECMD1");
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        CommandRecord lock = kernel.commands().issue(TestKernel.ADMIN, id, CommandRequest.of(CommandType.LOCK));

        // The console's "Erase…" button: a plain WIPE command.
        HttpResponse<String> issued = admin("POST", "/api/v1/devices/" + id + "/commands", "{\"type\": \"WIPE\", \"parameters\": {\"preserveDataPlan\": true}}");
        assertThat(issued.statusCode()).isEqualTo(201);
        JsonNode erase = JSON.readTree(issued.body());
        assertThat(erase.path("command").path("type").asText()).isEqualTo("WIPE");
        assertThat(erase.path("command").path("priority").asInt()).isEqualTo(100);
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
        assertThat(kernel.commands().get(lock.command().id()).orElseThrow().command().state()).isEqualTo(CommandState.CANCELLED);
        assertThat(audit(id)).contains("device.wipe");

        NSDictionary handed = iphone.idle().orElseThrow();
        NSDictionary request = (NSDictionary) handed.objectForKey("Command");
        assertThat(Plists.string(request, "RequestType")).isEqualTo("EraseDevice");
        assertThat(request.objectForKey("PreserveDataPlan").toJavaObject()).isEqualTo(true);
        assertThat(Plists.string(handed, "CommandUUID")).isEqualTo(erase.path("command").path("id").asText());
        assertThat(iphone.answer(handed, "Acknowledged")).isEmpty();

        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isEmpty();
        assertThatThrownBy(iphone::idle).hasMessageContaining("403");
        assertThat(iphone.authenticate().statusCode()).isEqualTo(403);
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.WIPED);
    }

    @Test
    void anEnterpriseWipeFanOutRetiresEachIphoneAsItIsReached() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-0000FANOUT01");
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();

        HttpResponse<String> batch = admin("POST", "/api/v1/command-batches",
                "{\"type\": \"ENTERPRISE_WIPE\", \"target\": {\"deviceIds\": [\"" + id + "\"]}}");
        assertThat(batch.statusCode()).isEqualTo(201);

        // Whether the background writer or the device's own request writes its row, the device is retired then.
        NSDictionary handed = iphone.idle().orElseThrow();
        NSDictionary request = (NSDictionary) handed.objectForKey("Command");
        assertThat(Plists.string(request, "RequestType")).isEqualTo("RemoveProfile");
        assertThat(Plists.string(request, "Identifier")).isEqualTo("dev.shepherd.mdm.enrollment");
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(iphone.answer(handed, "Acknowledged")).isEmpty();

        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isEmpty();
        assertThatThrownBy(iphone::idle).hasMessageContaining("403");
        assertThat(audit(id)).contains("device.retire");
    }

    @Test
    void aDeviceThatChecksOutBeforeAnsweringItsFinalCommandLeavesTheSameWay() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-000CHECKOUT1");
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        assertThat(admin("POST", "/api/v1/devices/" + id + "/retire", "").statusCode()).isEqualTo(200);

        // Removing the enrollment profile makes a real device send CheckOut, possibly before any answer.
        assertThat(iphone.checkOut().statusCode()).isEqualTo(200);
        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isEmpty();
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
        assertThat(iphone.authenticate().statusCode()).isEqualTo(403);
    }

    @Test
    void aRetiredDeviceWhoseFinalCommandAnAdminCancelledIsRevokedAtItsNextContact() throws Exception {
        AppleDeviceSimulator iphone = EnrollmentLinks.enrolledIphone(server, "00008110-00CANCELLED1");
        DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", iphone.udid()).orElseThrow();
        HttpResponse<String> retired = admin("POST", "/api/v1/devices/" + id + "/retire", "{}");
        assertThat(retired.statusCode()).isEqualTo(200);
        CommandRecord last = kernel.commands().history(id, Optional.empty(), 10).get(0);
        assertThat(admin("POST", "/api/v1/commands/" + last.command().id() + "/cancel", "").statusCode()).isEqualTo(200);

        // Nothing is left for it to take: its identity ends there, and it stays retired.
        assertThat(iphone.idle()).isEmpty();
        assertThat(kernel.certificateAuthority().verify(List.of(iphone.certificate()))).isEmpty();
        assertThatThrownBy(iphone::idle).hasMessageContaining("403");
        assertThat(kernel.devices().get(id).orElseThrow().device().status()).isEqualTo(DeviceStatus.RETIRED);
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD));
        if (body.isEmpty()) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        return server.send(request.build());
    }

    private String audit(DeviceId id) {
        return server.getAsAdmin("/api/v1/audit?targetId=" + id).body();
    }
}
