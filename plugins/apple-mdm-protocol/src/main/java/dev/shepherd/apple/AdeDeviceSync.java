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
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.PreRegistration;
import dev.shepherd.api.group.GroupDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

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
 * <p>Each run then decides every device's ADE profile ({@link AdeProfiles#choose}: the profile naming its serial
 * number, else the first profile whose Shepherd group it is in, else the token's default) and tells Apple only what
 * differs from what Apple holds: {@code PUT /profile/devices} per profile in pages of 1,000, and
 * {@code DELETE /profile/devices} for devices nothing matches any more. Apple's answer for each device is kept in
 * inventory ({@code apple.ade.profile}, {@code apple.ade.profile_uuid}, {@code apple.ade.profile_status},
 * {@code apple.ade.profile_error}) and counted in the run's result; a refused device is tried again next run. The
 * same decision runs when an admin changes the profiles ({@link #putProfile}, {@link #removeProfile}); a change of a
 * device's groups is seen at the next run. A device that asks for its enrollment profile joins the plugin's group
 * {@code "ADE: <profile>"} of the profile it holds ({@link #enrolling}).
 *
 * <p>Runs and profile changes of one instance take turns, since each reads and writes what the token's devices hold.
 *
 * <p>Plugin setting {@code adeUrl}: Apple's service by default; a stand-in in tests.
 */
public final class AdeDeviceSync {

    /** The hardware identifier kind pre-registered devices carry. */
    public static final String SERIAL = "serial";
    private static final String CURSOR_PREFIX = "ade/cursor/";
    /** The prefix of the plugin's groups of devices by ADE profile. */
    public static final String GROUP_PREFIX = "ADE: ";
    /** Storage prefix of how each token's last sync went, shared by the nodes: the token page shows it. */
    private static final String STATUS_PREFIX = "ade/sync-status/";
    /** Storage prefix of the serial numbers Apple assigns to this server, each naming its token. */
    private static final String ASSIGNED_PREFIX = "ade/assigned/";
    /** Apple's serial numbers are letters and digits; anything else is never kept as a storage key. */
    private static final Pattern SERIAL_NUMBER = Pattern.compile("[A-Za-z0-9]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = DeviceAssignmentClient.MAX_LIMIT;
    private static final Logger log = LoggerFactory.getLogger(AdeDeviceSync.class);

    /**
     * What one run did.
     *
     * @param profileAssigned devices Apple assigned a profile to
     * @param profileFailed devices Apple refused a profile or its removal ({@code NOT_ACCESSIBLE}, {@code FAILED})
     * @param profileRemoved devices whose profile Apple removed, since no profile matches them
     */
    public record Result(String token, boolean fullFetch, int seen, int registered, int updated, int unassigned, int otherPlatform,
                         int profileAssigned, int profileFailed, int profileRemoved) {
    }

    /** What deciding the token's devices' profiles did. */
    public record Assignment(int assigned, int failed, int removed) {
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
    private final Optional<GroupDirectory> groups;
    private final AdeProfiles profiles;
    private final PluginStorage storage;
    private final Platform platform;
    private final URI serviceUrl;
    private final HttpClient http;
    private final Clock clock;

    /**
     * A sync that decides profiles by group too.
     *
     * @param groups the kernel's groups: which groups devices are in, and the plugin's {@code "ADE: "} groups
     */
    public AdeDeviceSync(AdeServerTokens tokens, DeviceRegistry registry, GroupDirectory groups, PluginStorage storage, PluginConfig config,
                         Platform platform) {
        this(tokens, registry, Optional.of(groups), storage, serviceUrl(config), platform,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build(), Clock.systemUTC());
    }

    /**
     * For reading what the syncs recorded ({@link #assignedToken}, {@link #profileOf}): without the kernel's groups,
     * it refuses to decide profiles scoped by group.
     */
    public AdeDeviceSync(AdeServerTokens tokens, DeviceRegistry registry, PluginStorage storage, PluginConfig config, Platform platform) {
        this(tokens, registry, Optional.empty(), storage, serviceUrl(config), platform,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20)).build(), Clock.systemUTC());
    }

    AdeDeviceSync(AdeServerTokens tokens, DeviceRegistry registry, Optional<GroupDirectory> groups, PluginStorage storage, URI serviceUrl,
                  Platform platform, HttpClient http, Clock clock) {
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.profiles = new AdeProfiles(storage);
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
    public synchronized Result sync(String tokenName) {
        AdeServerTokens.Token token = token(tokenName);
        DeviceAssignmentClient client = client(token);
        String cursorKey = CURSOR_PREFIX + token.name();
        Optional<String> cursor = storage.get(cursorKey).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        // Devices synced before profiles were decided per device are known by a full fetch only.
        boolean fullFetch = cursor.isEmpty() || profiles.states(token.name()).isEmpty();
        Counter counter = new Counter();
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
        Assignment assignment = assign(token, client, counter.listed, counter.deleted);
        return new Result(token.name(), fullFetch, counter.seen, counter.registered, counter.updated, counter.unassigned,
                counter.otherPlatform, assignment.assigned(), assignment.failed(), assignment.removed());
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
        profiles.forget(tokenName);
        for (String key : storage.keys(ASSIGNED_PREFIX)) {
            if (storage.get(key).map(bytes -> new String(bytes, StandardCharsets.UTF_8)).filter(tokenName::equals).isPresent()) {
                storage.delete(key);
            }
        }
    }

    /**
     * Defines the token's default ADE profile in Apple's service ({@code POST /profile}) and keeps it as the default
     * of its profiles (named {@value AdeProfiles#LEGACY_DEFAULT_NAME} unless a default exists), then assigns it to the
     * devices it is now for.
     *
     * @param profile the profile as Apple names its fields, {@code url} included
     * @return the profile as defined, with its {@code profile_uuid}
     * @throws IllegalArgumentException when there is no such token
     */
    public ObjectNode defineDefaultProfile(String tokenName, ObjectNode profile) {
        AdeProfiles.Profile current = profiles.list(token(tokenName).name()).stream().filter(AdeProfiles.Profile::isDefault).findFirst()
                .orElse(new AdeProfiles.Profile(AdeProfiles.LEGACY_DEFAULT_NAME, 100, true, Optional.empty(), List.of(), JSON.createObjectNode()));
        return putProfile(tokenName, new AdeProfiles.Profile(current.name(), current.priority(), true, current.groupId(), current.serials(),
                profile)).profile().apple();
    }

    /** @return the token's default profile as defined at Apple, when one was defined */
    public Optional<ObjectNode> defaultProfile(String tokenName) {
        return profiles.list(tokenName).stream().filter(AdeProfiles.Profile::isDefault).findFirst().map(AdeProfiles.Profile::apple);
    }

    /** @return the token's profiles, by priority then name */
    public List<AdeProfiles.Profile> profiles(String tokenName) {
        return profiles.list(token(tokenName).name());
    }

    /**
     * A profile put and applied: defined at Apple again when Apple's fields changed (Apple's profiles cannot be
     * changed, so it gets a new {@code profile_uuid}), else kept with its UUID; then every device of the token is given
     * the profile it is now for.
     *
     * @param profile defined the profile, with its {@code profile_uuid}
     * @param assignment what telling Apple did
     */
    public record PutProfile(AdeProfiles.Profile profile, Assignment assignment) {
    }

    /**
     * Puts a profile of a token, replacing the one of its name, and applies it (see {@link PutProfile}).
     *
     * @param profile Apple's fields without {@code profile_uuid}, {@code url} included
     * @throws IllegalArgumentException when there is no such token, or the scope clashes with another profile's
     * @throws IllegalStateException when the profile is scoped by group and this instance reads no groups
     * @throws DeviceAssignmentClient.DeviceAssignmentException when Apple refuses
     */
    public synchronized PutProfile putProfile(String tokenName, AdeProfiles.Profile profile) {
        AdeServerTokens.Token token = token(tokenName);
        if (profile.groupId().isPresent() && groups.isEmpty()) {
            throw new IllegalStateException("this sync reads no groups; it cannot scope a profile by group");
        }
        DeviceAssignmentClient client = client(token);
        Optional<AdeProfiles.Profile> current = profiles.find(token.name(), profile.name());
        ObjectNode apple = profile.apple();
        apple.remove("profile_uuid");
        if (current.isPresent() && current.get().sameAtApple(apple)) {
            apple = current.get().apple();
        } else {
            apple.put("profile_uuid", client.defineProfile(apple));
        }
        AdeProfiles.Profile defined = new AdeProfiles.Profile(profile.name(), profile.priority(), profile.isDefault(), profile.groupId(),
                profile.serials(), apple);
        profiles.put(token.name(), defined);
        return new PutProfile(defined, assign(token, client, Map.of(), Set.of()));
    }

    /**
     * Removes a profile of a token; its devices get the profile they are now for, or none.
     *
     * @return what telling Apple did; empty when the token has no profile of that name
     */
    public synchronized Optional<Assignment> removeProfile(String tokenName, String name) {
        AdeServerTokens.Token token = token(tokenName);
        if (!profiles.remove(token.name(), name)) {
            return Optional.empty();
        }
        return Optional.of(assign(token, client(token), Map.of(), Set.of()));
    }

    /** @return how many of the token's devices hold each of its profiles at Apple, by profile name */
    public Map<String, Integer> deviceCounts(String tokenName) {
        Map<String, Integer> counts = new TreeMap<>();
        profiles.states(tokenName).values().stream().filter(state -> !state.profile().isEmpty())
                .forEach(state -> counts.merge(state.profile(), 1, Integer::sum));
        return counts;
    }

    /**
     * @return the profile of the token a device holds at Apple, as the syncs so far saw it; else the token's default
     *         (a device the syncs have not decided yet)
     */
    public Optional<AdeProfiles.Profile> profileOf(String tokenName, String serialNumber) {
        List<AdeProfiles.Profile> defined = profiles.list(tokenName);
        Optional<AdeProfiles.DeviceState> state = Optional.ofNullable(profiles.states(tokenName).get(serialNumber));
        if (state.isPresent() && !state.get().uuid().isEmpty()) {
            return defined.stream().filter(profile -> profile.uuid().equals(state.get().uuid())).findFirst();
        }
        return defined.stream().filter(AdeProfiles.Profile::isDefault).findFirst();
    }

    /** @return the name of a kernel group, for a profile scoped by it; empty when there is no such group (or no groups here) */
    public Optional<String> groupNameOf(String groupId) {
        return groups.flatMap(directory -> directory.groupName(groupId));
    }

    /** @return the name of the plugin's group of the devices that hold a profile */
    public static String groupName(String profileName) {
        return GROUP_PREFIX + profileName;
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

    /**
     * Decides every device of the token's profile and tells Apple what differs from what it holds; then records
     * Apple's answers.
     *
     * @param listed devices this run's pages listed, with what Apple holds for them
     * @param deleted serial numbers Apple no longer assigns here
     */
    private Assignment assign(AdeServerTokens.Token token, DeviceAssignmentClient client, Map<String, Listed> listed, Set<String> deleted) {
        Map<String, AdeProfiles.DeviceState> before = profiles.states(token.name());
        Map<String, AdeProfiles.DeviceState> states = new TreeMap<>(before);
        deleted.forEach(states::remove);
        listed.forEach((serial, device) -> states.put(serial, Optional.ofNullable(states.get(serial))
                .orElse(new AdeProfiles.DeviceState(device.device().toString(), "", "", ""))
                .withDevice(device.device().toString(), device.profileUuid().orElse(""))));
        List<AdeProfiles.Profile> defined = profiles.list(token.name());
        Map<DeviceId, Set<String>> memberships = memberships(defined, states.values());
        Map<String, AdeProfiles.Profile> byUuid = new LinkedHashMap<>();
        Map<String, List<String>> toAssign = new LinkedHashMap<>();
        List<String> toRemove = new ArrayList<>();
        for (Map.Entry<String, AdeProfiles.DeviceState> entry : states.entrySet()) {
            AdeProfiles.DeviceState state = entry.getValue();
            Optional<AdeProfiles.Profile> chosen = AdeProfiles.choose(defined, entry.getKey(),
                    memberships.getOrDefault(DeviceId.parse(state.device()), Set.of()));
            if (chosen.isPresent() && chosen.get().uuid().equals(state.uuid())) {
                entry.setValue(state.held(state.uuid(), chosen.get().name(), state.outcome()));
            } else if (chosen.isPresent()) {
                byUuid.put(chosen.get().uuid(), chosen.get());
                toAssign.computeIfAbsent(chosen.get().uuid(), uuid -> new ArrayList<>()).add(entry.getKey());
            } else if (!state.uuid().isEmpty()) {
                toRemove.add(entry.getKey());
            } else {
                entry.setValue(state.held("", "", state.outcome()));
            }
        }
        Map<DeviceId, Map<String, String>> inventories = new LinkedHashMap<>();
        int assigned = 0;
        int failed = 0;
        int removed = 0;
        for (Map.Entry<String, List<String>> profile : toAssign.entrySet()) {
            AdeProfiles.Profile chosen = byUuid.get(profile.getKey());
            for (List<String> serials : pagesOf(profile.getValue())) {
                Map<String, String> answers = client.assignProfile(chosen.uuid(), serials);
                for (String serial : serials) {
                    AdeProfiles.DeviceState state = states.get(serial);
                    String answer = answers.getOrDefault(serial, "FAILED");
                    if (answer.equals("SUCCESS")) {
                        states.put(serial, state.held(chosen.uuid(), chosen.name(), answer));
                        inventories.put(DeviceId.parse(state.device()), Map.of("apple.ade.profile", chosen.name(), "apple.ade.profile_uuid", chosen.uuid(),
                                "apple.ade.profile_status", "assigned", "apple.ade.profile_error", ""));
                        assigned++;
                    } else {
                        states.put(serial, state.refused(answer));
                        inventories.put(DeviceId.parse(state.device()), Map.of("apple.ade.profile_error",
                                answer + ": Apple did not assign the ADE profile " + chosen.name()));
                        failed++;
                    }
                }
            }
        }
        for (List<String> serials : pagesOf(toRemove)) {
            Map<String, String> answers = client.removeProfile(serials);
            for (String serial : serials) {
                AdeProfiles.DeviceState state = states.get(serial);
                String answer = answers.getOrDefault(serial, "FAILED");
                if (answer.equals("SUCCESS")) {
                    states.put(serial, state.held("", "", answer));
                    inventories.put(DeviceId.parse(state.device()), Map.of("apple.ade.profile", "", "apple.ade.profile_uuid", "",
                            "apple.ade.profile_status", "empty", "apple.ade.profile_error", ""));
                    removed++;
                } else {
                    states.put(serial, state.refused(answer));
                    inventories.put(DeviceId.parse(state.device()), Map.of("apple.ade.profile_error",
                            answer + ": Apple did not remove the device's ADE profile, which none of the token's profiles is for any more"));
                    failed++;
                }
            }
        }
        registry.recordInventories(inventories);
        profiles.saveStates(token.name(), before, states);
        return new Assignment(assigned, failed, removed);
    }

    /** The groups of the devices, read only when a profile is scoped by group. */
    private Map<DeviceId, Set<String>> memberships(List<AdeProfiles.Profile> defined, Collection<AdeProfiles.DeviceState> states) {
        if (defined.stream().noneMatch(profile -> profile.groupId().isPresent())) {
            return Map.of();
        }
        GroupDirectory directory = groups.orElseThrow(() -> new IllegalStateException("this sync reads no groups; it cannot decide profiles scoped by group"));
        List<DeviceId> devices = states.stream().map(state -> DeviceId.parse(state.device())).distinct().toList();
        Map<DeviceId, Set<String>> memberships = new HashMap<>();
        for (List<DeviceId> page : pagesOf(devices)) {
            memberships.putAll(directory.memberships(page));
        }
        return memberships;
    }

    /**
     * A device of the token asks for its enrollment profile ({@link AdeEnrollment}): its pending record joins the
     * plugin's group of the ADE profile it holds ({@link #groupName}), and leaves the plugin's other groups, so that
     * what admins assign to that group is there at its first check-in; it stays in that group once enrolled. When the
     * group's name is an admin's (or the other Apple plugin's), the platform is added to it.
     *
     * @return the profile it holds, as {@link #profileOf} says
     */
    public Optional<AdeProfiles.Profile> enrolling(String tokenName, String serialNumber) {
        Optional<AdeProfiles.Profile> profile = profileOf(tokenName, serialNumber);
        Optional<DeviceId> pending = registry.findByHardwareId(platform, SERIAL, serialNumber)
                .filter(device -> device.status() == DeviceStatus.PENDING).map(Device::id);
        if (groups.isPresent() && pending.isPresent()) {
            try {
                Set<String> joined = profile.map(held -> Set.of(profileGroup(groups.get(), tokenName, held.name()))).orElse(Set.of());
                groups.get().setGroups(pending.get(), joined);
            } catch (IllegalArgumentException e) {
                // Both names taken by others: the device enrolls all the same, outside the profile's group.
                log.warn("ADE device {} not put in the group of its profile {}: {}", serialNumber, profile.map(AdeProfiles.Profile::name).orElse(""),
                        e.getMessage());
            }
        }
        return profile;
    }

    private String profileGroup(GroupDirectory directory, String tokenName, String profileName) {
        String description = "Devices Apple's Automated Device Enrollment set up with the ADE profile " + profileName + " (server token "
                + tokenName + ", " + platform.id() + ")";
        try {
            return directory.ensureGroup(groupName(profileName), description);
        } catch (IllegalArgumentException taken) {
            return directory.ensureGroup(groupName(profileName) + " (" + platform.id() + ")", description);
        }
    }

    private static <T> List<List<T>> pagesOf(List<T> items) {
        List<List<T>> pages = new ArrayList<>();
        for (int from = 0; from < items.size(); from += PAGE) {
            pages.add(items.subList(from, Math.min(items.size(), from + PAGE)));
        }
        return pages;
    }

    private AdeServerTokens.Token token(String tokenName) {
        return tokens.token(tokenName).orElseThrow(() -> new IllegalArgumentException("no server token is named " + tokenName));
    }

    private DeviceAssignmentClient client(AdeServerTokens.Token token) {
        return new DeviceAssignmentClient(http, serviceUrl, token, clock);
    }

    private static final class Counter {
        /** This platform's devices Apple listed (and the kernel knows), with the profile Apple holds for each. */
        final Map<String, Listed> listed = new LinkedHashMap<>();
        /** Serial numbers Apple no longer assigns to this server. */
        final Set<String> deleted = new HashSet<>();
        int seen;
        int registered;
        int updated;
        int unassigned;
        int otherPlatform;
    }

    /** A device as a page listed it: the kernel's id, and the profile Apple holds for it. */
    private record Listed(DeviceId device, Optional<String> profileUuid) {
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
                counter.listed.remove(device.serialNumber());
                counter.deleted.add(device.serialNumber());
                continue;
            }
            rememberAssignment(device.serialNumber(), tokenName);
            counter.deleted.remove(device.serialNumber());
            if (known.isPresent()) {
                inventories.put(known.get().id(), inventory(device, tokenName));
                counter.listed.put(device.serialNumber(), new Listed(known.get().id(), device.profileUuid()));
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
                counter.listed.put(freshDevices.get(i).serialNumber(), new Listed(ids.get(i), freshDevices.get(i).profileUuid()));
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
