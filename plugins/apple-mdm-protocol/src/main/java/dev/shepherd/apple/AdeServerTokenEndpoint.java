package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/<plugin>/ade}: the server tokens of Automated Device Enrollment ({@link AdeServerTokens}).
 * {@code GET /ade/public-key} downloads the certificate to upload to Apple Business Manager;
 * {@code PUT /ade/tokens/<name>} takes the {@code .p7m} token file Apple gives back; {@code GET /ade/tokens} lists
 * the tokens (name, consumer key, expiry, days left, a warning within 30 days of expiry), {@code GET} and
 * {@code DELETE /ade/tokens/<name>} read and remove one; {@code POST /ade/tokens/<name>/sync} brings the devices Apple
 * assigned to this server into the kernel ({@link AdeDeviceSync}); {@code PUT /ade/tokens/<name>/profile} defines the
 * token's default ADE profile in Apple's service (which the sync assigns), {@code GET} reads it. Secrets are never
 * returned. Each Apple platform plugin
 * registers a subclass.
 */
public abstract class AdeServerTokenEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(AdeServerTokenEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PUBLIC_KEY = "/ade/public-key";
    private static final String TOKENS = "/ade/tokens";
    private static final String SYNC = "/sync";
    private static final String PROFILE = "/profile";

    private static final Set<String> PROFILE_BOOLEANS = Set.of("is_supervised", "is_mandatory", "is_mdm_removable",
            "await_device_configured", "auto_advance_setup", "allow_pairing");
    private static final Set<String> PROFILE_STRINGS = Set.of("profile_name", "department", "support_phone_number",
            "support_email_address", "org_magic", "language", "region");
    private static final Pattern SKIP_ITEM = Pattern.compile("[A-Za-z]{1,64}");

    private final AdeServerTokens tokens;
    private final AdeDeviceSync sync;
    private final String enrollmentUrl;
    private final String webViewUrl;

    protected AdeServerTokenEndpoint(AdeServerTokens tokens, AdeDeviceSync sync, AdeSyncScheduler schedule, ServerAddress address,
                                     PluginIdentity identity) {
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.sync = requireNonNull(sync, "sync is null");
        requireNonNull(schedule, "schedule is null").schedule(sync);
        // Where ADE devices ask for their enrollment profile, sent to Apple as the profile's url.
        this.enrollmentUrl = requireNonNull(address, "address is null").publicUrl()
                + requireNonNull(identity, "identity is null").devicePath() + "/ade/enroll";
        // Where Setup Assistant opens the web view of a profile that requires sign-in (AdeWebView).
        this.webViewUrl = address.publicUrl() + identity.devicePath() + AdeWebView.PATH;
    }

    @Override
    public String path() {
        return "/ade";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public int maxBodyBytes() {
        // A token file is a few kilobytes.
        return 64 * 1024;
    }

    @Override
    public String summary() {
        return "Automated Device Enrollment server tokens: GET /ade/public-key for Apple Business Manager,"
                + " PUT /ade/tokens/{name} the .p7m token it returns, GET /ade/tokens their expiry, DELETE /ade/tokens/{name}, POST /ade/tokens/{name}/sync the devices assigned, PUT /ade/tokens/{name}/profile the default ADE profile";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) {
        String path = request.path();
        if (path.equals(PUBLIC_KEY)) {
            return request.method().equals("GET")
                    ? DeviceResponse.of(200, "application/x-pem-file", tokens.publicKeyPem().getBytes(StandardCharsets.US_ASCII))
                    .withHeader("Content-Disposition", "attachment; filename=\"shepherd-ade-public-key.pem\"")
                    : notAllowed("GET");
        }
        if (path.equals(TOKENS) || path.equals(TOKENS + "/")) {
            return request.method().equals("GET")
                    ? json(200, Map.of("tokens", tokens.statuses().stream().map(this::json).toList()))
                    : notAllowed("GET");
        }
        if (!path.startsWith(TOKENS + "/")) {
            return DeviceResponse.problem(404, "Not found", "Use /ade/public-key or /ade/tokens");
        }
        String name = path.substring(TOKENS.length() + 1);
        if (name.endsWith(PROFILE)) {
            return profile(request, name.substring(0, name.length() - PROFILE.length()));
        }
        if (name.endsWith(SYNC)) {
            return request.method().equals("POST") ? sync(request, name.substring(0, name.length() - SYNC.length())) : notAllowed("POST");
        }
        if (!AdeServerTokens.NAME.matcher(name).matches()) {
            return DeviceResponse.problem(400, "Bad request",
                    "A token's name is 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit");
        }
        return switch (request.method()) {
            case "GET" -> tokens.status(name).map(status -> json(200, json(status))).orElseGet(() -> noToken(name));
            case "PUT" -> upload(request, name);
            case "DELETE" -> {
                if (!tokens.remove(name)) {
                    yield noToken(name);
                }
                sync.forget(name);
                log.info("ADE server token {} removed by {}", name, request.adminUsername());
                yield DeviceResponse.empty(204);
            }
            default -> notAllowed("GET, PUT, DELETE");
        };
    }

    /** {@code GET} the token's default ADE profile, or {@code PUT} one: defined in Apple's service, then kept. */
    private DeviceResponse profile(AdminRequest request, String name) {
        if (!AdeServerTokens.NAME.matcher(name).matches() || tokens.status(name).isEmpty()) {
            return noToken(name);
        }
        if (request.method().equals("GET")) {
            return sync.defaultProfile(name).map(profile -> json(200, profile))
                    .orElseGet(() -> DeviceResponse.problem(404, "Not found", "No default ADE profile is defined for " + name));
        }
        if (!request.method().equals("PUT")) {
            return notAllowed("GET, PUT");
        }
        ObjectNode profile;
        try {
            profile = validProfile(JSON.readTree(request.body()));
        } catch (IOException e) {
            return DeviceResponse.problem(400, "Malformed JSON", "The body is not JSON");
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        try {
            ObjectNode defined = sync.defineDefaultProfile(name, profile);
            log.info("ADE profile {} defined for token {} by {}", defined.path("profile_uuid").asText(), name, request.adminUsername());
            return json(200, defined);
        } catch (DeviceAssignmentClient.DeviceAssignmentException e) {
            return refusedByApple(e);
        }
    }

    /** The admin's profile, checked field by field, with the server's enrollment URL. */
    private ObjectNode validProfile(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("Send the profile as a JSON object, such as {\"profile_name\": \"Corporate\", \"is_supervised\": true}");
        }
        ObjectNode profile = JSON.createObjectNode();
        for (Map.Entry<String, JsonNode> field : (Iterable<Map.Entry<String, JsonNode>>) body::fields) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (PROFILE_BOOLEANS.contains(key)) {
                if (!value.isBoolean()) {
                    throw new IllegalArgumentException(key + " is true or false");
                }
                profile.put(key, value.asBoolean());
            } else if (PROFILE_STRINGS.contains(key)) {
                if (!value.isTextual() || value.asText().length() > 255) {
                    throw new IllegalArgumentException(key + " is text of at most 255 characters");
                }
                profile.put(key, value.asText());
            } else if (key.equals(AdeWebView.REQUIRE_SIGN_IN)) {
                requireSignIn(profile, value);
            } else if (key.equals("skip_setup_items")) {
                if (!value.isArray() || value.size() > 100) {
                    throw new IllegalArgumentException("skip_setup_items lists at most 100 Setup Assistant panes, such as \"Location\"");
                }
                ArrayNode items = profile.putArray(key);
                for (JsonNode item : value) {
                    if (!item.isTextual() || !SKIP_ITEM.matcher(item.asText()).matches()) {
                        throw new IllegalArgumentException("skip_setup_items holds pane names such as \"Location\"");
                    }
                    items.add(item.asText());
                }
            } else {
                throw new IllegalArgumentException("unknown profile field " + (key.length() > 64 ? key.substring(0, 64) : key)
                        + "; the url is the server's own");
            }
        }
        if (profile.path("profile_name").asText("").isBlank()) {
            throw new IllegalArgumentException("profile_name is required");
        }
        profile.put("url", enrollmentUrl);
        return profile;
    }

    /**
     * Shepherd's {@value AdeWebView#REQUIRE_SIGN_IN} (never sent to Apple): {@code true} sets the profile's
     * {@code configuration_web_url} to this plugin's web view ({@link AdeWebView}), where Setup Assistant has the
     * person sign in before the device gets its enrollment profile; the {@code url} stays, as Apple requires it.
     */
    private void requireSignIn(ObjectNode profile, JsonNode value) {
        if (!value.isBoolean()) {
            throw new IllegalArgumentException(AdeWebView.REQUIRE_SIGN_IN + " is true or false");
        }
        if (value.asBoolean()) {
            profile.put("configuration_web_url", webViewUrl);
        }
    }

    private static DeviceResponse refusedByApple(DeviceAssignmentClient.DeviceAssignmentException e) {
        // Apple's refusal is the admin's to act on (terms to accept in Apple Business Manager, a token to renew, a wait).
        DeviceResponse problem = DeviceResponse.problem(502, "Bad gateway", "Apple's device assignment service refused: " + e.getMessage());
        return e.retryAfter().map(wait -> problem.withHeader("Retry-After", Long.toString(wait.toSeconds()))).orElse(problem);
    }

    private DeviceResponse sync(AdminRequest request, String name) {
        if (!AdeServerTokens.NAME.matcher(name).matches() || tokens.status(name).isEmpty()) {
            return noToken(name);
        }
        try {
            AdeDeviceSync.Result result = sync.syncAndRecord(name);
            log.info("ADE devices of token {} synchronised by {}: {}", name, request.adminUsername(), result);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("token", result.token());
            body.put("fullFetch", result.fullFetch());
            body.put("seen", result.seen());
            body.put("registered", result.registered());
            body.put("updated", result.updated());
            body.put("unassigned", result.unassigned());
            body.put("otherPlatform", result.otherPlatform());
            body.put("profileAssigned", result.profileAssigned());
            return json(200, body);
        } catch (DeviceAssignmentClient.DeviceAssignmentException e) {
            return refusedByApple(e);
        } catch (IllegalStateException e) {
            // Another node registered some of the same devices meanwhile; the next run finds them known.
            return DeviceResponse.problem(409, "Conflict", "Devices were registered by another sync meanwhile; sync again");
        }
    }

    private DeviceResponse upload(AdminRequest request, String name) {
        if (request.body().length == 0) {
            return DeviceResponse.problem(400, "Bad request", "Send the .p7m token file from Apple Business Manager as the body");
        }
        try {
            AdeServerTokens.Status status = tokens.upload(name, request.body());
            log.info("ADE server token {} (consumer key {}) uploaded by {}, valid until {}", name, status.consumerKey(),
                    request.adminUsername(), status.expiry());
            status.warning().ifPresent(warning -> log.warn("{}", warning));
            return json(200, json(status));
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
    }

    /** A token as the API shows it: never a secret; with how its last sync went, when one ran. */
    private Map<String, Object> json(AdeServerTokens.Status status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", status.name());
        body.put("consumerKey", status.consumerKey());
        body.put("expiry", status.expiry().toString());
        body.put("daysLeft", status.daysLeft());
        body.put("uploaded", status.uploaded().toString());
        status.warning().ifPresent(warning -> body.put("warning", warning));
        sync.lastSync(status.name()).ifPresent(last -> {
            Map<String, Object> lastSync = new LinkedHashMap<>();
            lastSync.put("at", last.at().toString());
            last.result().ifPresent(result -> lastSync.put("result", result));
            last.error().ifPresent(error -> lastSync.put("error", error));
            last.retryAfter().ifPresent(until -> lastSync.put("retryAfter", until.toString()));
            body.put("lastSync", lastSync);
        });
        return body;
    }

    private static DeviceResponse noToken(String name) {
        return DeviceResponse.problem(404, "Not found", "No server token is named " + name);
    }

    private static DeviceResponse notAllowed(String methods) {
        return DeviceResponse.problem(405, "Method not allowed", "Use " + methods).withHeader("Allow", methods);
    }

    private static DeviceResponse json(int status, Object body) {
        try {
            return DeviceResponse.of(status, "application/json", JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
