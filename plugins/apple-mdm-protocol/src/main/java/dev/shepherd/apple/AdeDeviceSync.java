package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.PreRegistration;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Brings the devices Apple Business Manager assigned to this server into the kernel, for one server token: the first
 * run fetches the full list ({@code POST /server/devices}, pages of 1,000), later runs only the changes since
 * ({@code POST /devices/sync}) from the cursor kept in the plugin's storage; an expired or invalid cursor starts a
 * full fetch again. Devices of this plugin's platform that the kernel does not know become PENDING corporate devices
 * ({@link DeviceRegistry#preRegister}) with hardware identifier {@code serial}; Apple's description, colour, OS and
 * assignment go to inventory ({@code apple.ade.*}). A device deleted from the server's assignment (moved to another
 * MDM server, or released) is never removed: its inventory says {@code apple.ade.assigned=false}. With a default
 * profile defined ({@link #defineDefaultProfile}), every device of this platform Apple lists without it is assigned
 * to it.
 *
 * <p>Plugin setting {@code adeUrl}: Apple's service by default; a stand-in in tests.
 */
public final class AdeDeviceSync {

    /** The hardware identifier kind pre-registered devices carry. */
    public static final String SERIAL = "serial";
    private static final String CURSOR_PREFIX = "ade/cursor/";
    private static final String PROFILE_PREFIX = "ade/profile/";
    /** Storage prefix of how each token's last sync went, shared by the nodes: the token page shows it. */
    private static final String STATUS_PREFIX = "ade/sync-status/";
    /** Storage prefix of the serial numbers Apple assigns to this server, each naming its token. */
    private static final String ASSIGNED_PREFIX = "ade/assigned/";
    /** Apple's serial numbers are letters and digits; anything else is never kept as a storage key. */
    private static final Pattern SERIAL_NUMBER = Pattern.compile("[A-Za-z0-9]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = DeviceAssignmentClient.MAX_LIMIT;

    /** What one run did. */
    public record Result(String token, boolean fullFetch, int seen, int registered, int updated, int unassigned, int otherPlatform,
                         int profileAssigned) {
    }

    /**
     * How a token's last sync went, kept for the token page and the schedule ({@link AdeSyncScheduler}).
     *
     * @param at when it ran
     * @param result what it did, when it succeeded
     * @param error why it failed, in Apple's words, when it failed
     * @param retryAfter until when Apple asked not to be called again (429, 503), when it did
     */
    public record SyncStatus(Instant at, Optional<Result> result, Optional<String> error, Optional<Instant> retryAfter) {
        public SyncStatus {
            requireNonNull(at, "at is null");
            requireNonNull(result, "result is null");
            requireNonNull(error, "error is null");
            requireNonNull(retryAfter, "retryAfter is null");
        }
    }

    private final AdeServerTokens tokens;
    private final DeviceRegistry registry;
    private final PluginStorage storage;
    private final Platform platform;
    private final URI serviceUrl;
    private final HttpClient http;
    private final Clock clock;

    public AdeDeviceSync(AdeServerTokens tokens, DeviceRegistry registry, PluginStorage storage, PluginConfig config, Platform platform) {
        this(tokens, registry, storage, serviceUrl(config), platform, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build(),
                Clock.systemUTC());
    }

    AdeDeviceSync(AdeServerTokens tokens, DeviceRegistry registry, PluginStorage storage, URI serviceUrl, Platform platform,
                  HttpClient http, Clock clock) {
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.serviceUrl = requireNonNull(serviceUrl, "serviceUrl is null");
        this.platform = requireNonNull(platform, "platform is null");
        this.http = requireNonNull(http, "http is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    private static URI serviceUrl(PluginConfig config) {
        URI url;
        try {
            url = URI.create(config.get("adeUrl", DeviceAssignmentClient.APPLE.toString()).replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("plugin setting 'adeUrl' is not a URL: " + e.getMessage(), e);
        }
        if (url.getHost() == null || !(url.getScheme().equals("https") || url.getScheme().equals("http"))) {
            throw new IllegalArgumentException("plugin setting 'adeUrl' must be an http(s) URL with a host: " + url);
        }
        return url;
    }

    /**
     * Runs once for a token.
     *
     * @throws IllegalArgumentException when there is no such token
     * @throws DeviceAssignmentClient.DeviceAssignmentException when Apple's service refuses (with when to retry)
     */
    public Result sync(String tokenName) {
        AdeServerTokens.Token token = token(tokenName);
        DeviceAssignmentClient client = client(token);
        Optional<String> defaultProfile = defaultProfile(token.name()).map(profile -> profile.path("profile_uuid").asText());
        String cursorKey = CURSOR_PREFIX + token.name();
        Optional<String> cursor = storage.get(cursorKey).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        boolean fullFetch = cursor.isEmpty();
        Counter counter = new Counter(defaultProfile);
        if (!fullFetch) {
            try {
                cursor = Optional.of(pages(cursor.get(), client, false, token.name(), counter));
            } catch (DeviceAssignmentClient.DeviceAssignmentException e) {
                if (!Set.of("EXPIRED_CURSOR", "INVALID_CURSOR").contains(e.code())) {
                    throw e;
                }
                // Apple forgets a cursor after a while: start again from the full list.
                fullFetch = true;
            }
        }
        if (fullFetch) {
            cursor = Optional.of(pages(null, client, true, token.name(), counter));
        }
        storage.put(cursorKey, cursor.get().getBytes(StandardCharsets.UTF_8));
        if (defaultProfile.isPresent()) {
            for (int from = 0; from < counter.withoutProfile.size(); from += PAGE) {
                List<String> serials = counter.withoutProfile.subList(from, Math.min(counter.withoutProfile.size(), from + PAGE));
                counter.profileAssigned += (int) client.assignProfile(defaultProfile.get(), serials).values().stream()
                        .filter("SUCCESS"::equals).count();
            }
        }
        return new Result(token.name(), fullFetch, counter.seen, counter.registered, counter.updated, counter.unassigned,
                counter.otherPlatform, counter.profileAssigned);
    }

    /**
     * Runs once for a token, as {@link #sync} does, and keeps how it went ({@link #lastSync}): what it did, or Apple's
     * refusal and, for throttling, until when to wait.
     *
     * @throws IllegalArgumentException when there is no such token
     * @throws DeviceAssignmentClient.DeviceAssignmentException when Apple's service refuses (kept first)
     */
    public Result syncAndRecord(String tokenName) {
        Instant started = clock.instant();
        try {
            Result result = sync(tokenName);
            record(tokenName, new SyncStatus(started, Optional.of(result), Optional.empty(), Optional.empty()));
            return result;
        } catch (DeviceAssignmentClient.DeviceAssignmentException e) {
            record(tokenName, new SyncStatus(started, Optional.empty(), Optional.of(e.getMessage()),
                    e.retryAfter().map(wait -> clock.instant().plus(wait))));
            throw e;
        }
    }

    /** @return how the token's last recorded sync went; empty when none ran yet */
    public Optional<SyncStatus> lastSync(String tokenName) {
        return storage.get(STATUS_PREFIX + tokenName).map(bytes -> {
            try {
                JsonNode stored = JSON.readTree(bytes);
                Optional<Result> result = stored.hasNonNull("result")
                        ? Optional.of(JSON.treeToValue(stored.get("result"), Result.class)) : Optional.empty();
                return new SyncStatus(Instant.parse(stored.path("at").asText()), result,
                        Optional.ofNullable(stored.get("error")).map(JsonNode::asText),
                        Optional.ofNullable(stored.get("retryAfter")).map(JsonNode::asText).map(Instant::parse));
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("the stored sync status of " + tokenName + " is unreadable", e);
            }
        });
    }

    /** @return the platform whose devices this sync registers */
    public Platform platform() {
        return platform;
    }

    /** @return the names of the tokens uploaded now */
    public List<String> tokenNames() {
        return tokens.statuses().stream().map(AdeServerTokens.Status::name).toList();
    }

    private void record(String tokenName, SyncStatus status) {
        ObjectNode stored = JSON.createObjectNode().put("at", status.at().toString());
        status.result().ifPresent(result -> stored.set("result", JSON.valueToTree(result)));
        status.error().ifPresent(error -> stored.put("error", error));
        status.retryAfter().ifPresent(until -> stored.put("retryAfter", until.toString()));
        try {
            storage.put(STATUS_PREFIX + tokenName, JSON.writeValueAsBytes(stored));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Forgets a token's cursor, default profile and devices, as when the token is removed: they no longer enroll by it. */
    public void forget(String tokenName) {
        storage.delete(STATUS_PREFIX + tokenName);
        storage.delete(CURSOR_PREFIX + tokenName);
        storage.delete(PROFILE_PREFIX + tokenName);
        for (String key : storage.keys(ASSIGNED_PREFIX)) {
            if (storage.get(key).map(bytes -> new String(bytes, StandardCharsets.UTF_8)).filter(tokenName::equals).isPresent()) {
                storage.delete(key);
            }
        }
    }

    /**
     * Defines the token's default ADE profile in Apple's service ({@code POST /profile}) and keeps it: every device
     * of this platform a later sync finds without it is assigned to it ({@code PUT /profile/devices}).
     *
     * @param profile the profile as Apple names its fields, {@code url} included
     * @return the profile as defined, with its {@code profile_uuid}
     * @throws IllegalArgumentException when there is no such token
     */
    public ObjectNode defineDefaultProfile(String tokenName, ObjectNode profile) {
        AdeServerTokens.Token token = token(tokenName);
        String uuid = client(token).defineProfile(profile);
        ObjectNode stored = profile.deepCopy();
        stored.put("profile_uuid", uuid);
        try {
            storage.put(PROFILE_PREFIX + token.name(), JSON.writeValueAsBytes(stored));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return stored;
    }

    /** @return the token's default profile, when one was defined */
    public Optional<ObjectNode> defaultProfile(String tokenName) {
        return storage.get(PROFILE_PREFIX + tokenName).map(bytes -> {
            try {
                return (ObjectNode) JSON.readTree(bytes);
            } catch (IOException | ClassCastException e) {
                throw new IllegalStateException("the stored ADE profile of " + tokenName + " is unreadable", e);
            }
        });
    }

    /**
     * @return the name of the token whose server Apple assigned the device to, as the syncs so far saw it; empty for
     *         a serial number Apple never assigned here, or moved away since
     */
    public Optional<String> assignedToken(String serialNumber) {
        if (!SERIAL_NUMBER.matcher(serialNumber).matches()) {
            return Optional.empty();
        }
        return storage.get(ASSIGNED_PREFIX + serialNumber).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    private void rememberAssignment(String serialNumber, String tokenName) {
        if (SERIAL_NUMBER.matcher(serialNumber).matches()
                && !assignedToken(serialNumber).filter(tokenName::equals).isPresent()) {
            storage.put(ASSIGNED_PREFIX + serialNumber, tokenName.getBytes(StandardCharsets.UTF_8));
        }
    }

    private void forgetAssignment(String serialNumber) {
        if (SERIAL_NUMBER.matcher(serialNumber).matches()) {
            storage.delete(ASSIGNED_PREFIX + serialNumber);
        }
    }

    private AdeServerTokens.Token token(String tokenName) {
        return tokens.token(tokenName).orElseThrow(() -> new IllegalArgumentException("no server token is named " + tokenName));
    }

    private DeviceAssignmentClient client(AdeServerTokens.Token token) {
        return new DeviceAssignmentClient(http, serviceUrl, token, clock);
    }

    private static final class Counter {
        final Optional<String> defaultProfile;
        /** This platform's devices Apple lists without the default profile, to assign it to. */
        final List<String> withoutProfile = new ArrayList<>();
        int profileAssigned;
        int seen;
        int registered;
        int updated;
        int unassigned;
        int otherPlatform;

        Counter(Optional<String> defaultProfile) {
            this.defaultProfile = defaultProfile;
        }
    }

    /** Follows pages to the end and applies each; answers the cursor to sync from next. */
    private String pages(String start, DeviceAssignmentClient client, boolean fetch, String tokenName, Counter counter) {
        Optional<String> cursor = Optional.ofNullable(start);
        DeviceAssignmentClient.DevicePage page;
        do {
            page = fetch ? client.fetchDevices(cursor, PAGE) : client.syncDevices(cursor.orElseThrow(), PAGE);
            apply(page.devices(), tokenName, counter);
            cursor = Optional.of(page.cursor());
        } while (page.moreToFollow() && !page.cursor().isEmpty());
        return cursor.orElseThrow();
    }

    /**
     * Applies one page: the devices new to the kernel pre-registered together, then every device's inventory written
     * together ({@link DeviceRegistry#recordInventories}), a page in a few transactions rather than one per device.
     */
    private void apply(List<DeviceAssignmentClient.Device> devices, String tokenName, Counter counter) {
        Map<DeviceId, Map<String, String>> inventories = new LinkedHashMap<>();
        List<PreRegistration> fresh = new ArrayList<>();
        List<DeviceAssignmentClient.Device> freshDevices = new ArrayList<>();
        for (DeviceAssignmentClient.Device device : devices) {
            counter.seen++;
            if (!platform.equals(platformOf(device))) {
                counter.otherPlatform++;
                continue;
            }
            Optional<Device> known = registry.findByHardwareId(platform, SERIAL, device.serialNumber());
            if (device.opType().filter("deleted"::equals).isPresent()) {
                known.ifPresent(found -> {
                    inventories.put(found.id(), Map.of("apple.ade.assigned", "false", "apple.ade.token", tokenName));
                    counter.unassigned++;
                });
                forgetAssignment(device.serialNumber());
                continue;
            }
            if (counter.defaultProfile.isPresent() && !device.profileUuid().equals(counter.defaultProfile)
                    && !counter.withoutProfile.contains(device.serialNumber())) {
                counter.withoutProfile.add(device.serialNumber());
            }
            rememberAssignment(device.serialNumber(), tokenName);
            if (known.isPresent()) {
                inventories.put(known.get().id(), inventory(device, tokenName));
                counter.updated++;
            } else if (freshDevices.stream().noneMatch(other -> other.serialNumber().equals(device.serialNumber()))) {
                fresh.add(new PreRegistration(platform, device.serialNumber(), device.model(), "",
                        Map.of(SERIAL, device.serialNumber()), Set.of()));
                freshDevices.add(device);
            }
        }
        if (!fresh.isEmpty()) {
            List<DeviceId> ids = registry.preRegister(fresh);
            for (int i = 0; i < ids.size(); i++) {
                inventories.put(ids.get(i), inventory(freshDevices.get(i), tokenName));
            }
            counter.registered += ids.size();
        }
        registry.recordInventories(inventories);
    }

    private static Map<String, String> inventory(DeviceAssignmentClient.Device device, String tokenName) {
        Map<String, String> inventory = new LinkedHashMap<>();
        inventory.put("apple.ade.assigned", "true");
        inventory.put("apple.ade.token", tokenName);
        inventory.put("apple.ade.description", device.description());
        inventory.put("apple.ade.color", device.color());
        inventory.put("apple.ade.os", device.os());
        inventory.put("apple.ade.profile_status", device.profileStatus());
        device.profileUuid().ifPresent(uuid -> inventory.put("apple.ade.profile_uuid", uuid));
        return inventory;
    }

    /** Apple names the OS ({@code iOS}, {@code iPadOS}, {@code OSX}, {@code tvOS}) and the family. */
    private static Platform platformOf(DeviceAssignmentClient.Device device) {
        String os = device.os().isEmpty() ? device.deviceFamily() : device.os();
        return switch (os) {
            case "OSX", "macOS", "Mac" -> Platform.MACOS;
            case "iOS", "iPadOS", "iPhone", "iPad" -> Platform.IOS;
            // Apple TV, Apple Vision Pro: no plugin manages them yet.
            default -> null;
        };
    }
}
