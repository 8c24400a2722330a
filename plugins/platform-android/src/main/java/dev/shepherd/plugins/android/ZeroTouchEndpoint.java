package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleException;
import dev.shepherd.google.JsonResponses;
import dev.shepherd.google.ServiceAccount;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/android/zero-touch}: Android zero-touch enrollment ({@link ZeroTouch}).
 * <ul>
 *   <li>{@code GET}: the linked customer account, its DPC, and the service account to add to it; {@code PUT
 *       {"customerId": "…"}} links one, {@code DELETE} forgets it.</li>
 *   <li>{@code GET /configurations}; {@code POST /configurations} creates one and {@code PUT /configurations/{id}}
 *       replaces one's definition: {@code configurationName}, {@code companyName}, {@code contactEmail},
 *       {@code contactPhone}, optional {@code customMessage}, {@code isDefault}, {@code enrollmentToken} (the secret
 *       of a corporate Shepherd enrollment token) and {@code workProfile} (COPE); {@code DELETE /configurations/{id}}.</li>
 *   <li>{@code GET /devices?pageSize=&pageToken=}: one page of the customer's devices;
 *       {@code PUT /devices/{id}/configuration {"configurationId": "…"}} applies one, {@code DELETE} removes it;
 *       {@code POST /devices/{id}/unclaim}.</li>
 * </ul>
 */
@Extension
public final class ZeroTouchEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(ZeroTouchEndpoint.class);
    private static final String ROOT = "/zero-touch";
    private static final Pattern CONFIGURATION = Pattern.compile(ROOT + "/configurations/([^/]+)");
    private static final Pattern DEVICE_CONFIGURATION = Pattern.compile(ROOT + "/devices/([^/]+)/configuration");
    private static final Pattern DEVICE_UNCLAIM = Pattern.compile(ROOT + "/devices/([^/]+)/unclaim");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}\\.[^@\\s]+");
    /** "Accepts numerals, spaces, the plus sign, hyphens, and parentheses" (Configuration.contactPhone). */
    private static final Pattern PHONE = Pattern.compile("[0-9 +()-]{3,40}");
    private static final int MAX_TEXT = 500;

    private final ZeroTouch zeroTouch;
    private final AndroidServiceAccountKeys keys;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public ZeroTouchEndpoint(ZeroTouch zeroTouch, AndroidServiceAccountKeys keys) {
        this.zeroTouch = requireNonNull(zeroTouch, "zeroTouch is null");
        this.keys = requireNonNull(keys, "keys is null");
    }

    @Override
    public String path() {
        return ROOT;
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public String summary() {
        return "Android zero-touch enrollment: the customer account (GET, PUT, DELETE), its configurations bound to enrollment tokens, "
                + "and its devices (paged; apply or remove a configuration, unclaim)";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        String path = request.path();
        String method = request.method();
        try {
            if (path.equals(ROOT)) {
                return switch (method) {
                    case "GET" -> JsonResponses.json(200, status());
                    case "PUT" -> link(request);
                    case "DELETE" -> zeroTouch.unlink() ? DeviceResponse.empty(204)
                            : JsonResponses.problem(404, "Not found", "No zero-touch customer account is linked.");
                    default -> notAllowed("GET, PUT, DELETE");
                };
            }
            if (path.equals(ROOT + "/configurations")) {
                return switch (method) {
                    case "GET" -> JsonResponses.json(200, Map.of("configurations", zeroTouch.configurations()));
                    case "POST" -> save(request, Optional.empty());
                    default -> notAllowed("GET, POST");
                };
            }
            Matcher configuration = CONFIGURATION.matcher(path);
            if (configuration.matches()) {
                String id = configuration.group(1);
                if (!ZeroTouchApi.isNumericId(id)) {
                    return JsonResponses.problem(404, "Not found", "A configuration id is a number.");
                }
                return switch (method) {
                    case "PUT" -> save(request, Optional.of(id));
                    case "DELETE" -> deleteConfiguration(request, id);
                    default -> notAllowed("PUT, DELETE");
                };
            }
            if (path.equals(ROOT + "/devices")) {
                return method.equals("GET") ? devices(request) : notAllowed("GET");
            }
            Matcher deviceConfiguration = DEVICE_CONFIGURATION.matcher(path);
            if (deviceConfiguration.matches()) {
                return deviceConfiguration(request, deviceConfiguration.group(1));
            }
            Matcher unclaim = DEVICE_UNCLAIM.matcher(path);
            if (unclaim.matches()) {
                if (!method.equals("POST")) {
                    return notAllowed("POST");
                }
                if (!ZeroTouchApi.isNumericId(unclaim.group(1))) {
                    return JsonResponses.problem(404, "Not found", "A zero-touch device id is a number.");
                }
                zeroTouch.unclaim(unclaim.group(1));
                log.info("{} unclaimed zero-touch device {}", request.adminUsername(), unclaim.group(1));
                return DeviceResponse.empty(204);
            }
            return JsonResponses.problem(404, "Not found", "No such resource: " + path);
        } catch (GoogleException e) {
            if (e.status() == 404) {
                return JsonResponses.problem(404, "Not found", "Google knows no such configuration or device: " + e.getMessage());
            }
            return Problems.google(e);
        }
    }

    private DeviceResponse link(AdminRequest request) throws GoogleException {
        Optional<JsonNode> body = body(request);
        String customerId = body.map(node -> node.path("customerId").asText("")).orElse("");
        if (!ZeroTouchApi.isCustomerId(customerId)) {
            return JsonResponses.problem(400, "Bad request", "customerId: the zero-touch customer id, a number shown in the zero-touch portal.");
        }
        try {
            zeroTouch.link(customerId);
        } catch (GoogleException e) {
            if (e.status() == 403 || e.status() == 404) {
                return JsonResponses.problem(400, "Bad request", "Google does not let the service account manage zero-touch customer "
                        + customerId + " (" + e.getMessage() + "): check the id and link the service account to the customer "
                        + "account; nothing was linked.");
            }
            throw e;
        } catch (IllegalStateException e) {
            return JsonResponses.problem(409, "Conflict", e.getMessage());
        }
        log.info("{} linked zero-touch customer {}", request.adminUsername(), customerId);
        return JsonResponses.json(200, status());
    }

    private DeviceResponse save(AdminRequest request, Optional<String> configurationId) throws GoogleException {
        Optional<JsonNode> parsed = body(request);
        if (parsed.isEmpty() || !parsed.get().isObject()) {
            return JsonResponses.problem(400, "Bad request", "The body is a JSON object defining the configuration.");
        }
        JsonNode body = parsed.get();
        String name = text(body, "configurationName");
        String company = text(body, "companyName");
        String email = text(body, "contactEmail");
        String phone = text(body, "contactPhone");
        String message = text(body, "customMessage");
        String token = text(body, "enrollmentToken");
        if (name.isBlank() || name.length() > 100) {
            return invalid("configurationName: 1 to 100 characters, shown to IT admins in the zero-touch portal.");
        }
        if (company.isBlank() || company.length() > 100) {
            return invalid("companyName: 1 to 100 characters, shown to the device's user during setup.");
        }
        if (email.length() > 320 || !EMAIL.matcher(email).matches()) {
            return invalid("contactEmail: the e-mail address device users contact for help.");
        }
        if (!PHONE.matcher(phone).matches()) {
            return invalid("contactPhone: numerals, spaces, the plus sign, hyphens and parentheses.");
        }
        if (message.length() > MAX_TEXT) {
            return invalid("customMessage: at most " + MAX_TEXT + " characters.");
        }
        if (token.isBlank() || token.length() > MAX_TEXT) {
            return invalid("enrollmentToken: the secret of a corporate Shepherd enrollment token (the end of its enrollment URL).");
        }
        for (String flag : new String[] {"isDefault", "workProfile"}) {
            if (body.has(flag) && !body.get(flag).isBoolean()) {
                return invalid(flag + ": true or false.");
            }
        }
        ZeroTouch.ConfigurationInput input = new ZeroTouch.ConfigurationInput(name, company, email, phone,
                message.isBlank() ? Optional.empty() : Optional.of(message), body.path("isDefault").asBoolean(false), token,
                body.path("workProfile").asBoolean(false));
        try {
            JsonNode saved = zeroTouch.save(configurationId, input);
            log.info("{} saved zero-touch configuration {}", request.adminUsername(), saved.path("configurationId").asText());
            return JsonResponses.json(configurationId.isPresent() ? 200 : 201, saved);
        } catch (IllegalArgumentException e) {
            return invalid(e.getMessage());
        }
    }

    private DeviceResponse deleteConfiguration(AdminRequest request, String id) throws GoogleException {
        try {
            zeroTouch.delete(id);
        } catch (GoogleException e) {
            if (e.status() == 400) {
                // FAILED_PRECONDITION: "If the configuration is applied to any devices, the API call fails."
                return JsonResponses.problem(409, "Conflict", "Google refuses to delete the configuration: " + e.getMessage()
                        + " Remove it from its devices first.");
            }
            if (e.status() == 404) {
                return JsonResponses.problem(404, "Not found", "Google knows no configuration " + id + ".");
            }
            throw e;
        }
        log.info("{} deleted zero-touch configuration {}", request.adminUsername(), id);
        return DeviceResponse.empty(204);
    }

    private DeviceResponse devices(AdminRequest request) throws GoogleException {
        int pageSize;
        try {
            pageSize = Integer.parseInt(request.queryParameter("pageSize").orElse("100"));
        } catch (NumberFormatException e) {
            pageSize = 0;
        }
        if (pageSize < 1 || pageSize > 100) {
            return invalid("pageSize: 1 to 100.");
        }
        Optional<String> pageToken = request.queryParameter("pageToken").filter(token -> !token.isBlank());
        if (pageToken.filter(token -> token.length() > 1000).isPresent()) {
            return invalid("pageToken: the nextPageToken of the previous page.");
        }
        return JsonResponses.json(200, zeroTouch.devices(pageSize, pageToken));
    }

    private DeviceResponse deviceConfiguration(AdminRequest request, String deviceId) throws GoogleException {
        if (!ZeroTouchApi.isNumericId(deviceId)) {
            return JsonResponses.problem(404, "Not found", "A zero-touch device id is a number.");
        }
        switch (request.method()) {
            case "PUT" -> {
                String configurationId = body(request).map(node -> node.path("configurationId").asText("")).orElse("");
                if (!ZeroTouchApi.isNumericId(configurationId)) {
                    return invalid("configurationId: the id of one of the customer's configurations.");
                }
                zeroTouch.apply(deviceId, configurationId);
                log.info("{} applied zero-touch configuration {} to device {}", request.adminUsername(), configurationId, deviceId);
                return DeviceResponse.empty(204);
            }
            case "DELETE" -> {
                zeroTouch.removeConfiguration(deviceId);
                log.info("{} removed the zero-touch configuration of device {}", request.adminUsername(), deviceId);
                return DeviceResponse.empty(204);
            }
            default -> {
                return notAllowed("PUT, DELETE");
            }
        }
    }

    private Map<String, Object> status() {
        Map<String, Object> body = new LinkedHashMap<>();
        Optional<ZeroTouch.Link> link = zeroTouch.link();
        body.put("customerId", link.map(ZeroTouch.Link::customerId).orElse(null));
        body.put("dpcResourcePath", link.map(ZeroTouch.Link::dpcResourcePath).orElse(null));
        body.put("serviceAccount", keys.current().map(ServiceAccount::clientEmail).orElse(null));
        return body;
    }

    private Optional<JsonNode> body(AdminRequest request) {
        try {
            return Optional.ofNullable(json.readTree(request.body()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.path(field);
        return value.isTextual() ? value.asText().strip() : "";
    }

    private static DeviceResponse invalid(String detail) {
        return JsonResponses.problem(400, "Bad request", detail);
    }

    private static DeviceResponse notAllowed(String allowed) {
        return JsonResponses.problem(405, "Method not allowed", "Use " + allowed + ".").withHeader("Allow", allowed);
    }
}
