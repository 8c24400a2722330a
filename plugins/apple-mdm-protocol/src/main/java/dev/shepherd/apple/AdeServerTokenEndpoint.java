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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/<plugin>/ade}: the server tokens of Automated Device Enrollment ({@link AdeServerTokens}).
 * {@code GET /ade/public-key} downloads the certificate to upload to Apple Business Manager;
 * {@code PUT /ade/tokens/<name>} takes the {@code .p7m} token file Apple gives back; {@code GET /ade/tokens} lists
 * the tokens (name, consumer key, expiry, days left, a warning within 30 days of expiry), {@code GET} and
 * {@code DELETE /ade/tokens/<name>} read and remove one; {@code POST /ade/tokens/<name>/sync} brings the devices Apple
 * assigned to this server into the kernel ({@link AdeDeviceSync}) and gives each its ADE profile.
 *
 * <p>ADE profiles ({@link AdeProfiles}): {@code GET /ade/tokens/<name>/profiles} lists a token's profiles with their
 * scope and how many devices hold each; {@code GET}, {@code PUT} and {@code DELETE /ade/tokens/<name>/profiles/<profile>}
 * read, define (or replace) and remove one. A profile's body holds Apple's fields ({@code profile_name},
 * {@code is_supervised}, {@code skip_setup_items}, ...; the {@code url} is the server's own) beside its scope:
 * {@code serials}, {@code groupId}, {@code default} and {@code priority}. A changed profile is defined at Apple again
 * (Apple's profiles cannot change) and every device is given the profile it is now for; a removed one's devices fall
 * back to the next match. {@code PUT /ade/tokens/<name>/profile} still defines the token's default profile, and
 * {@code GET} reads it. A refusal names the field as a JSON pointer ({@code /department: ...}). Secrets are never
 * returned. Each Apple platform plugin registers a subclass.
 */
public abstract class AdeServerTokenEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(AdeServerTokenEndpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PUBLIC_KEY = "/ade/public-key";
    private static final String TOKENS = "/ade/tokens";
    private static final String SYNC = "/sync";
    private static final String PROFILE = "profile";
    private static final String PROFILES = "profiles";
    /** The profile body's fields that are Shepherd's scope, not Apple's. */
    private static final Set<String> SCOPE_FIELDS = Set.of("priority", "default", "groupId", "serials");
    private static final Pattern SERIAL_NUMBER = Pattern.compile("[A-Za-z0-9]{1,64}");

    private static final Set<String> PROFILE_BOOLEANS = Set.of("is_supervised", "is_mandatory", "is_mdm_removable",
            "await_device_configured", "auto_advance_setup", "allow_pairing");
    /** Apple's text fields with the longest value Apple accepts (its Define a Profile reference's 400 codes). */
    private static final Map<String, Integer> PROFILE_STRINGS = Map.of("profile_name", 125, "department", 125, "support_phone_number", 50,
            "support_email_address", 250, "org_magic", 256, "language", 35, "region", 35);
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
        // A token file is a few kilobytes; a profile naming its most serial numbers (AdeProfiles.MAX_SERIALS) about 150.
        return 256 * 1024;
    }

    @Override
    public String summary() {
        return "Automated Device Enrollment server tokens: GET /ade/public-key for Apple Business Manager,"
                + " PUT /ade/tokens/{name} the .p7m token it returns, GET /ade/tokens their expiry, DELETE /ade/tokens/{name}, POST /ade/tokens/{name}/sync the devices assigned, PUT /ade/tokens/{name}/profile the default ADE profile,"
                + " GET /ade/tokens/{name}/profiles and PUT, DELETE /ade/tokens/{name}/profiles/{profile} the ADE profiles by serial number, group or default";
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
        String[] parts = path.substring(TOKENS.length() + 1).split("/", -1);
        String name = parts[0];
        if (parts.length == 2 && parts[1].equals(PROFILE)) {
            return profile(request, name);
        }
        if (parts.length == 2 && parts[1].equals(PROFILES)) {
            return request.method().equals("GET") ? profiles(name) : notAllowed("GET");
        }
        if (parts.length == 3 && parts[1].equals(PROFILES)) {
            return profile(request, name, parts[2]);
        }
        if (parts.length == 2 && ("/" + parts[1]).equals(SYNC)) {
            return request.method().equals("POST") ? sync(request, name) : notAllowed("POST");
        }
        if (parts.length != 1) {
            return DeviceResponse.problem(404, "Not found", "Use /ade/tokens/{name}, …/sync, …/profile or …/profiles/{profile}");
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

    /** {@code GET …/profiles}: the token's profiles, by priority, with their scope and devices. */
    private DeviceResponse profiles(String token) {
        if (!AdeServerTokens.NAME.matcher(token).matches() || tokens.status(token).isEmpty()) {
            return noToken(token);
        }
        Map<String, Integer> counts = sync.deviceCounts(token);
        return json(200, Map.of("profiles", sync.profiles(token).stream().map(profile -> json(profile, counts)).toList()));
    }

    /** {@code GET}, {@code PUT} or {@code DELETE …/profiles/<profile>}. */
    private DeviceResponse profile(AdminRequest request, String token, String name) {
        if (!AdeServerTokens.NAME.matcher(token).matches() || tokens.status(token).isEmpty()) {
            return noToken(token);
        }
        if (!AdeProfiles.NAME.matcher(name).matches()) {
            return DeviceResponse.problem(400, "Bad request",
                    "A profile's name is 1 to 63 letters, digits, dots, dashes and underscores, starting with a letter or digit");
        }
        try {
            return switch (request.method()) {
                case "GET" -> sync.profiles(token).stream().filter(profile -> profile.name().equals(name)).findFirst()
                        .map(profile -> json(200, json(profile, sync.deviceCounts(token))))
                        .orElseGet(() -> noProfile(token, name));
                case "PUT" -> putProfile(request, token, name);
                case "DELETE" -> sync.removeProfile(token, name).map(assignment -> {
                    log.info("ADE profile {} of token {} removed by {}: {}", name, token, request.adminUsername(), assignment);
                    return json(200, Map.of("assignment", assignment));
                }).orElseGet(() -> noProfile(token, name));
                default -> notAllowed("GET, PUT, DELETE");
            };
        } catch (DeviceAssignmentClient.DeviceAssignmentException e) {
            return refusedByApple(e);
        }
    }

    private DeviceResponse putProfile(AdminRequest request, String token, String name) {
        AdeProfiles.Profile profile;
        try {
            profile = validScopedProfile(name, JSON.readTree(request.body()));
        } catch (IOException e) {
            return DeviceResponse.problem(400, "Malformed JSON", "The body is not JSON");
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        AdeDeviceSync.PutProfile put;
        try {
            put = sync.putProfile(token, profile);
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        }
        log.info("ADE profile {} of token {} defined by {} as {}: {}", name, token, request.adminUsername(), put.profile().uuid(), put.assignment());
        Map<String, Object> body = json(put.profile(), sync.deviceCounts(token));
        body.put("assignment", put.assignment());
        return json(200, body);
    }

    /** A profile's body: its scope, checked here, beside Apple's fields ({@link #validProfile}). */
    private AdeProfiles.Profile validScopedProfile(String name, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new IllegalArgumentException("Send the profile as a JSON object, such as {\"profile_name\": \"iPads\", \"groupId\": \"…\", \"priority\": 10}");
        }
        ObjectNode apple = ((ObjectNode) body).deepCopy();
        apple.remove(SCOPE_FIELDS);
        JsonNode priority = body.path("priority");
        if (!priority.isMissingNode() && (!priority.canConvertToInt() || !priority.isIntegralNumber() || priority.asInt() < 0 || priority.asInt() > 1000)) {
            throw new IllegalArgumentException("/priority: is a whole number from 0 to 1000; lower is tried first");
        }
        JsonNode isDefault = body.path("default");
        if (!isDefault.isMissingNode() && !isDefault.isBoolean()) {
            throw new IllegalArgumentException("/default: is true or false");
        }
        Optional<String> groupId = Optional.empty();
        JsonNode group = body.path("groupId");
        if (!group.isMissingNode() && !group.isNull() && !(group.isTextual() && group.asText().isEmpty())) {
            if (!group.isTextual() || sync.groupNameOf(group.asText()).isEmpty()) {
                throw new IllegalArgumentException("/groupId: names no group; pick one of the server's groups");
            }
            groupId = Optional.of(group.asText());
        }
        List<String> serials = new ArrayList<>();
        JsonNode listed = body.path("serials");
        if (!listed.isMissingNode() && !listed.isNull()) {
            if (!listed.isArray() || listed.size() > AdeProfiles.MAX_SERIALS) {
                throw new IllegalArgumentException("/serials: lists at most " + AdeProfiles.MAX_SERIALS + " serial numbers");
            }
            for (JsonNode serial : listed) {
                if (!serial.isTextual() || !SERIAL_NUMBER.matcher(serial.asText()).matches()) {
                    throw new IllegalArgumentException("/serials: holds serial numbers, letters and digits such as \"DMPX1234ABCD\"");
                }
                if (!serials.contains(serial.asText())) {
                    serials.add(serial.asText());
                }
            }
        }
        return new AdeProfiles.Profile(name, priority.isMissingNode() ? 100 : priority.asInt(), isDefault.asBoolean(false), groupId, serials,
                validProfile(apple));
    }

    /** A profile as the API shows it: Apple's fields under {@code profile}, beside its scope and its devices. */
    private Map<String, Object> json(AdeProfiles.Profile profile, Map<String, Integer> counts) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", profile.name());
        body.put("priority", profile.priority());
        body.put("default", profile.isDefault());
        profile.groupId().ifPresent(id -> body.put("group", Map.of("id", id, "name", sync.groupNameOf(id).orElse(""))));
        body.put("serials", profile.serials());
        body.put("devices", counts.getOrDefault(profile.name(), 0));
        body.put("profile_uuid", profile.uuid());
        body.put("profile", profile.apple());
        return body;
    }

    private static DeviceResponse noProfile(String token, String name) {
        return DeviceResponse.problem(404, "Not found", "The server token " + token + " has no ADE profile named " + name);
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
                    throw new IllegalArgumentException("/" + key + ": is true or false");
                }
                profile.put(key, value.asBoolean());
            } else if (PROFILE_STRINGS.containsKey(key)) {
                if (!value.isTextual() || value.asText().isBlank() || value.asText().length() > PROFILE_STRINGS.get(key)) {
                    throw new IllegalArgumentException("/" + key + ": is text of 1 to " + PROFILE_STRINGS.get(key) + " characters");
                }
                profile.put(key, value.asText());
            } else if (key.equals(AdeWebView.REQUIRE_SIGN_IN)) {
                requireSignIn(profile, value);
            } else if (key.equals("skip_setup_items")) {
                if (!value.isArray() || value.size() > 100) {
                    throw new IllegalArgumentException("/skip_setup_items: lists at most 100 Setup Assistant panes, such as \"Location\"");
                }
                ArrayNode items = profile.putArray(key);
                for (JsonNode item : value) {
                    if (!item.isTextual() || !SKIP_ITEM.matcher(item.asText()).matches()) {
                        throw new IllegalArgumentException("/skip_setup_items: holds pane names such as \"Location\"");
                    }
                    items.add(item.asText());
                }
            } else {
                throw new IllegalArgumentException("unknown profile field " + (key.length() > 64 ? key.substring(0, 64) : key)
                        + "; the url is the server's own, and the profile_uuid Apple's");
            }
        }
        if (profile.path("profile_name").asText("").isBlank()) {
            throw new IllegalArgumentException("/profile_name: is required");
        }
        // Apple refuses (FLAGS_INVALID) a profile that cannot be removed unless it also supervises.
        if (!profile.path("is_mdm_removable").asBoolean(true) && !profile.path("is_supervised").asBoolean(false)) {
            throw new IllegalArgumentException("/is_mdm_removable: can be false only in a supervised profile (is_supervised true)");
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
            throw new IllegalArgumentException("/" + AdeWebView.REQUIRE_SIGN_IN + ": is true or false");
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
            body.put("profileFailed", result.profileFailed());
            body.put("profileRemoved", result.profileRemoved());
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
