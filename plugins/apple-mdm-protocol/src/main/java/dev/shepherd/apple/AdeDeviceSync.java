package dev.shepherd.apple;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.PreRegistration;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Brings the devices Apple Business Manager assigned to this server into the kernel, for one server token: the first
 * run fetches the full list ({@code POST /server/devices}, pages of 1,000), later runs only the changes since
 * ({@code POST /devices/sync}) from the cursor kept in the plugin's storage; an expired or invalid cursor starts a
 * full fetch again. Devices of this plugin's platform that the kernel does not know become PENDING corporate devices
 * ({@link DeviceRegistry#preRegister}) with hardware identifier {@code serial}; Apple's description, colour, OS and
 * assignment go to inventory ({@code apple.ade.*}). A device deleted from the server's assignment (moved to another
 * MDM server, or released) is never removed: its inventory says {@code apple.ade.assigned=false}.
 *
 * <p>Plugin setting {@code adeUrl}: Apple's service by default; a stand-in in tests.
 */
public final class AdeDeviceSync {

    /** The hardware identifier kind pre-registered devices carry. */
    public static final String SERIAL = "serial";
    private static final String CURSOR_PREFIX = "ade/cursor/";
    private static final int PAGE = DeviceAssignmentClient.MAX_LIMIT;

    /** What one run did. */
    public record Result(String token, boolean fullFetch, int seen, int registered, int updated, int unassigned, int otherPlatform) {
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
        AdeServerTokens.Token token = tokens.token(tokenName)
                .orElseThrow(() -> new IllegalArgumentException("no server token is named " + tokenName));
        DeviceAssignmentClient client = new DeviceAssignmentClient(http, serviceUrl, token, clock);
        String cursorKey = CURSOR_PREFIX + token.name();
        Optional<String> cursor = storage.get(cursorKey).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        Counter counter = new Counter();
        boolean fullFetch = cursor.isEmpty();
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
        return new Result(token.name(), fullFetch, counter.seen, counter.registered, counter.updated, counter.unassigned, counter.otherPlatform);
    }

    /** Forgets a token's cursor, as when the token is removed. */
    public void forget(String tokenName) {
        storage.delete(CURSOR_PREFIX + tokenName);
    }

    private static final class Counter {
        int seen;
        int registered;
        int updated;
        int unassigned;
        int otherPlatform;
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

    private void apply(List<DeviceAssignmentClient.Device> devices, String tokenName, Counter counter) {
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
                    registry.recordInventory(found.id(), Map.of("apple.ade.assigned", "false", "apple.ade.token", tokenName));
                    counter.unassigned++;
                });
                continue;
            }
            if (known.isPresent()) {
                registry.recordInventory(known.get().id(), inventory(device, tokenName));
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
                registry.recordInventory(ids.get(i), inventory(freshDevices.get(i), tokenName));
            }
            counter.registered += ids.size();
        }
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
