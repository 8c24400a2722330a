package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.JsonResponses;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.util.Objects.requireNonNull;

/**
 * {@code POST /api/v1/plugins/chromeos/devices/{deviceId}/action} with {@code {"action": "disable" | "reenable" |
 * "deprovision", "deprovisionReason": …}}: Google's device actions for a synced device, by Shepherd's device id. The
 * same actions can be queued as {@code RAW} commands ({@link ChromeCommands}); this endpoint answers with Google's
 * outcome at once. A deprovision is for a device the kernel has retired or wiped (409 otherwise): ending management
 * goes through the kernel's retire, never around it.
 */
@Extension
public final class DeviceActionEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(DeviceActionEndpoint.class);

    private final ChromeOsWorker worker;
    private final DeviceRegistry registry;
    private final GoogleApi google;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public DeviceActionEndpoint(ChromeOsWorker worker, DeviceRegistry registry, GoogleApi google) {
        this.worker = requireNonNull(worker, "worker is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.google = requireNonNull(google, "google is null");
    }

    @Override
    public String path() {
        return "/devices";
    }

    /**
     * Deprovisioning takes a device out of management at Google for good, and disabling locks its user out: the
     * endpoint carries the wipe permission, like the commands with the same effect, so a role without it (helpdesk)
     * cannot reach them here either.
     */
    @Override
    public String permission() {
        return "device_wipe";
    }

    @Override
    public int maxBodyBytes() {
        return 4 * 1024;
    }

    @Override
    public String summary() {
        return "POST /devices/{deviceId}/action: disable, re-enable or deprovision a ChromeOS device at Google";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) throws InterruptedException {
        String[] parts = request.path().split("/");
        if (parts.length != 4 || !parts[3].equals("action")) {
            return JsonResponses.problem(404, "Not found", "Use POST /devices/{deviceId}/action.");
        }
        if (!request.method().equals("POST")) {
            return Responses.methodNotAllowed("POST");
        }
        Optional<Device> device;
        try {
            device = registry.find(DeviceId.parse(parts[2]));
        } catch (IllegalArgumentException e) {
            return JsonResponses.problem(404, "Not found", "No device " + parts[2] + ".");
        }
        Optional<String> googleId = device.map(d -> d.hardwareIds().get(DirectorySync.HARDWARE_ID));
        if (googleId.isEmpty()) {
            return JsonResponses.problem(404, "Not found", "No ChromeOS device " + parts[2] + " synced from Google.");
        }
        ChromeCommands.Action action;
        try {
            JsonNode body = json.readTree(request.body());
            if (body == null || !body.path("action").isTextual()) {
                return JsonResponses.problem(400, "Bad request", "The body is {\"action\": one of " + ChromeCommands.ACTIONS + "}.");
            }
            action = new ChromeCommands.Action(body.get("action").asText(),
                    Optional.ofNullable(body.get("deprovisionReason")).filter(JsonNode::isTextual).map(JsonNode::asText));
        } catch (IOException e) {
            return JsonResponses.problem(400, "Bad request", "The body is not JSON.");
        } catch (IllegalArgumentException e) {
            return JsonResponses.problem(400, "Bad request", e.getMessage());
        }
        if (action.action().equals("deprovision") && !worker.managementEnded(device.get().id())) {
            return JsonResponses.problem(409, "Still managed", "Deprovisioning " + parts[2] + " would end its management at Google "
                    + "while Shepherd still manages it: " + ChromeCommands.DEPROVISION_THROUGH_RETIRE.replace("{id}", parts[2]) + ".");
        }
        if (!google.connected()) {
            return JsonResponses.problem(409, "Not connected", "Upload the service account key and set 'adminUser' first.");
        }
        Future<Void> done = worker.submit(() -> {
            worker.act(googleId.get(), action);
            return null;
        });
        try {
            done.get(google.settings().adminWait().toMillis(), TimeUnit.MILLISECONDS);
            log.info("{} asked Google to {} ChromeOS device {}", request.adminUsername(), action.action(), parts[2]);
            return JsonResponses.json(200, Map.of("deviceId", parts[2], "action", action.action(), "status", "done"));
        } catch (TimeoutException e) {
            return JsonResponses.json(202, Map.of("deviceId", parts[2], "action", action.action(), "status", "running"));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GoogleException google) {
                return Responses.google(google);
            }
            throw new IllegalStateException("the action failed", e.getCause());
        }
    }
}
