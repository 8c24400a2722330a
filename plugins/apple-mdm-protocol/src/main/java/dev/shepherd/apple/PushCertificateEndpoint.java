package dev.shepherd.apple;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/<plugin>/push-certificate}: admins upload (PUT, PEM certificate and private key), read
 * (GET: topic, expiry, days left, a warning within 30 days of expiry, how pushes have gone) and remove (DELETE) the APNs push certificate.
 * Each Apple platform plugin registers a subclass.
 */
public abstract class PushCertificateEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(PushCertificateEndpoint.class);

    private final PushCertificates certificates;
    private final ApnsPusher pusher;
    private final ObjectMapper mapper = new ObjectMapper();

    protected PushCertificateEndpoint(PushCertificates certificates, ApnsPusher pusher) {
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.pusher = requireNonNull(pusher, "pusher is null");
    }

    @Override
    public String path() {
        return "/push-certificate";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public int maxBodyBytes() {
        return 64 * 1024;
    }

    @Override
    public String summary() {
        return "The APNs push certificate: PUT it (PEM certificate and private key), GET its topic and expiry, DELETE it";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        return switch (request.method()) {
            case "GET" -> certificates.status().map(this::json)
                    .orElseGet(() -> problem(404, "No push certificate has been uploaded."));
            case "PUT" -> {
                try {
                    PushCertificates.Status status = certificates.upload(new String(request.body(), StandardCharsets.UTF_8));
                    log.info("Push certificate for topic {} uploaded by {}, valid until {}", status.topic(), request.adminUsername(), status.notAfter());
                    status.warning().ifPresent(warning -> log.warn("{}", warning));
                    yield json(status);
                } catch (IllegalArgumentException e) {
                    yield problem(400, e.getMessage());
                }
            }
            case "DELETE" -> certificates.remove() ? DeviceResponse.empty(204) : problem(404, "No push certificate has been uploaded.");
            default -> problem(405, "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
        };
    }

    private DeviceResponse json(PushCertificates.Status status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("topic", status.topic());
        body.put("subject", status.subject());
        body.put("notAfter", status.notAfter().toString());
        body.put("daysLeft", status.daysLeft());
        status.warning().ifPresent(warning -> body.put("warning", warning));
        dev.shepherd.push.WakeQueue.Statistics pushes = pusher.statistics();
        Map<String, Object> pushJson = new LinkedHashMap<>();
        pushJson.put("queued", pushes.queued());
        pushJson.put("delivered", pushes.delivered());
        pushJson.put("retried", pushes.retried());
        pushJson.put("failed", pushes.failed());
        pushJson.put("tokensForgotten", pushes.gone());
        pushes.lastError().ifPresent(error -> pushJson.put("lastError", error));
        pushes.lastErrorAt().ifPresent(at -> pushJson.put("lastErrorAt", at.toString()));
        body.put("pushes", pushJson);
        return write(200, "application/json", body);
    }

    private DeviceResponse problem(int status, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("status", status);
        body.put("title", status == 404 ? "Not found" : status == 405 ? "Method not allowed" : "Bad request");
        body.put("detail", detail);
        return write(status, "application/problem+json", body);
    }

    private DeviceResponse write(int status, String contentType, Map<String, Object> body) {
        try {
            return DeviceResponse.of(status, contentType, mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
