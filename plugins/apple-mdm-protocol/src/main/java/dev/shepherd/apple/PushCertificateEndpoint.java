package dev.shepherd.apple;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/<plugin>/push-certificate}: admins upload (PUT, PEM certificate and private key), read
 * (GET: topic, expiry, days left, a warning within 30 days of expiry) and remove (DELETE) the APNs push certificate.
 * Each Apple platform plugin registers a subclass.
 */
public abstract class PushCertificateEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(PushCertificateEndpoint.class);

    private final PushCertificates certificates;

    protected PushCertificateEndpoint(PushCertificates certificates) {
        this.certificates = requireNonNull(certificates, "certificates is null");
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
            case "GET" -> certificates.status().map(PushCertificateEndpoint::json)
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

    private static DeviceResponse json(PushCertificates.Status status) {
        String body = "{\"topic\":" + quote(status.topic()) + ",\"subject\":" + quote(status.subject())
                + ",\"notAfter\":" + quote(status.notAfter().toString()) + ",\"daysLeft\":" + status.daysLeft()
                + status.warning().map(warning -> ",\"warning\":" + quote(warning)).orElse("") + "}";
        return DeviceResponse.of(200, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    private static DeviceResponse problem(int status, String detail) {
        String body = "{\"type\":\"about:blank\",\"status\":" + status + ",\"title\":" + quote(status == 404 ? "Not found"
                : status == 405 ? "Method not allowed" : "Bad request") + ",\"detail\":" + quote(detail) + "}";
        return DeviceResponse.of(status, "application/problem+json", body.getBytes(StandardCharsets.UTF_8));
    }

    /** A JSON string literal; the library bundles no JSON writer and these are short texts. */
    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
