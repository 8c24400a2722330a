package dev.shepherd.apple;

import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.push.WakeQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
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

    private static final String REQUEST = "/push-certificate/request";
    private static final String VENDOR = "/push-certificate/vendor";
    private static final String DEFAULT_COMMON_NAME = "Shepherd MDM push certificate";

    private final PushCertificates certificates;
    private final PushCertificateRequests requests;
    private final ApnsPusher pusher;
    private final ObjectMapper mapper = new ObjectMapper();

    protected PushCertificateEndpoint(PushCertificates certificates, PushCertificateRequests requests, ApnsPusher pusher) {
        this.certificates = requireNonNull(certificates, "certificates is null");
        this.requests = requireNonNull(requests, "requests is null");
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
        return "The APNs push certificate: PUT it (PEM certificate and private key, or Apple's certificate for the request made here),"
                + " GET its topic and expiry, DELETE it; POST /request makes a key and CSR (signed as a push certificate request when"
                + " an MDM vendor signing certificate is set at /vendor: PUT, GET, DELETE)";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        if (request.path().equals(REQUEST)) {
            return certificateRequest(request);
        }
        if (request.path().equals(VENDOR)) {
            return vendor(request);
        }
        if (!request.path().equals(path())) {
            return problem(404, "No such push certificate resource: " + request.path() + ".");
        }
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

    /** POST: a new key pair and CSR; the answer holds the CSR and, with a vendor certificate set, the signed request. */
    private DeviceResponse certificateRequest(AdminRequest request) {
        if (!request.method().equals("POST")) {
            return problem(405, "Use POST.").withHeader("Allow", "POST");
        }
        String commonName = DEFAULT_COMMON_NAME;
        if (request.body().length > 0) {
            try {
                JsonNode body = mapper.readTree(request.body());
                if (body == null || !body.isObject()) {
                    return problem(400, "The body is a JSON object, such as {\"commonName\": \"Example Corp MDM\"}.");
                }
                if (body.has("commonName")) {
                    if (!body.path("commonName").isTextual()) {
                        return problem(400, "commonName: a string.");
                    }
                    commonName = body.path("commonName").asText();
                }
            } catch (IOException e) {
                return problem(400, "The body is not JSON: " + e.getMessage());
            }
        }
        try {
            PushCertificateRequests.CertificateRequest made = requests.newRequest(commonName);
            log.info("Push certificate request ({}) made by {}{}", commonName, request.adminUsername(),
                    made.pushCertificateRequest().isPresent() ? ", signed with the MDM vendor certificate" : "");
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("csr", made.csrPem());
            made.pushCertificateRequest().ifPresent(signed -> body.put("pushCertificateRequest", signed));
            body.put("next", made.pushCertificateRequest().isPresent()
                    ? "Upload pushCertificateRequest (saved as a file) at identity.apple.com, then upload the certificate Apple issues here."
                    : "Have your MDM vendor sign the CSR as a push certificate request, upload that at identity.apple.com, then upload the"
                    + " certificate Apple issues here; its private key is already on the server.");
            return write(200, "application/json", body);
        } catch (IllegalArgumentException e) {
            return problem(400, e.getMessage());
        }
    }

    private DeviceResponse vendor(AdminRequest request) {
        return switch (request.method()) {
            case "GET" -> requests.vendor().map(this::json).orElseGet(() -> problem(404, "No MDM vendor signing certificate is set."));
            case "PUT" -> {
                try {
                    PushCertificateRequests.Vendor vendor = requests.setVendor(new String(request.body(), StandardCharsets.UTF_8));
                    log.info("MDM vendor signing certificate {} set by {}", vendor.subject(), request.adminUsername());
                    yield json(vendor);
                } catch (IllegalArgumentException e) {
                    yield problem(400, e.getMessage());
                }
            }
            case "DELETE" -> requests.removeVendor() ? DeviceResponse.empty(204) : problem(404, "No MDM vendor signing certificate is set.");
            default -> problem(405, "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
        };
    }

    private DeviceResponse json(PushCertificateRequests.Vendor vendor) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("subject", vendor.subject());
        body.put("notAfter", vendor.notAfter().toString());
        body.put("chainLength", vendor.chainLength());
        return write(200, "application/json", body);
    }

    private DeviceResponse json(PushCertificates.Status status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("topic", status.topic());
        body.put("subject", status.subject());
        body.put("notAfter", status.notAfter().toString());
        body.put("daysLeft", status.daysLeft());
        status.warning().ifPresent(warning -> body.put("warning", warning));
        WakeQueue.Statistics pushes = pusher.statistics();
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
