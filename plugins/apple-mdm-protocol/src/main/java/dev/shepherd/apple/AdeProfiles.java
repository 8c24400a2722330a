package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The ADE profiles of each server token and which of them each device of the token holds at Apple, kept in the
 * plugin's storage.
 *
 * <p>A token has several profiles, each with a Shepherd name, Apple's fields as defined at Apple (with the
 * {@code profile_uuid} Apple answered) and a scope: serial numbers named outright, a Shepherd group, or being the
 * token's default. {@link #choose} decides which one a device gets: the profile naming its serial number; else the
 * first profile, by priority then name, whose group the device is in; else the default; else none.
 *
 * <p>Which profile each device holds at Apple is kept per device, in shards by the serial number's last character, so
 * a sync reads a token's devices in a few dozen look-ups rather than one per device, and writes only the shards that
 * changed. Before profiles were a list, a token had one default profile under {@code ade/profile/<token>}; it is
 * read as the default named {@value #LEGACY_DEFAULT_NAME} until the list is first saved.
 */
public final class AdeProfiles {

    /** A profile's Shepherd name: it appears in admin URLs and in its group's name. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    /** The name the one default profile of earlier versions is listed under. */
    public static final String LEGACY_DEFAULT_NAME = "default";
    static final int MAX_PROFILES = 50;
    static final int MAX_SERIALS = 10_000;
    private static final String PROFILES_PREFIX = "ade/profiles/";
    private static final String LEGACY_DEFAULT_PREFIX = "ade/profile/";
    private static final String STATES_PREFIX = "ade/profile-states/";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * An ADE profile of a token.
     *
     * @param name Shepherd's name for it
     * @param priority the order in which group-scoped profiles are tried, lowest first
     * @param isDefault whether devices that nothing else matches get it
     * @param groupId the Shepherd group whose devices get it
     * @param serials serial numbers that get it whatever their groups
     * @param apple the profile as defined at Apple: Apple's fields, {@code url} and {@code profile_uuid} included
     */
    public record Profile(String name, int priority, boolean isDefault, Optional<String> groupId, List<String> serials, ObjectNode apple) {
        public Profile {
            requireNonNull(name, "name is null");
            requireNonNull(groupId, "groupId is null");
            serials = List.copyOf(serials);
            apple = requireNonNull(apple, "apple is null").deepCopy();
        }

        /** @return the UUID Apple gave the profile */
        public String uuid() {
            return apple.path("profile_uuid").asText("");
        }

        /** @return a copy of Apple's fields, {@code profile_uuid} included */
        @Override
        public ObjectNode apple() {
            return apple.deepCopy();
        }

        /** @return whether Setup Assistant waits for the server's {@code DeviceConfigured} */
        public boolean awaitsConfiguration() {
            return apple.path("await_device_configured").asBoolean(false);
        }

        /** @return whether Apple's fields are these, the UUID aside; if not, Apple must define the profile again (its profiles are immutable) */
        boolean sameAtApple(ObjectNode fields) {
            ObjectNode mine = apple.deepCopy();
            mine.remove("profile_uuid");
            ObjectNode theirs = fields.deepCopy();
            theirs.remove("profile_uuid");
            return mine.equals(theirs);
        }
    }

    /**
     * What Shepherd knows of one device of a token at Apple.
     *
     * @param device the kernel's id of the device
     * @param uuid the profile Apple holds for it, as last listed or assigned; empty for none
     * @param profile the Shepherd name of that profile; empty when none of the token's profiles
     * @param outcome Apple's answer to the last assignment or removal ({@code SUCCESS}, {@code NOT_ACCESSIBLE},
     *        {@code FAILED}); empty before any
     */
    public record DeviceState(String device, String uuid, String profile, String outcome) {
        public DeviceState {
            requireNonNull(device, "device is null");
            requireNonNull(uuid, "uuid is null");
            requireNonNull(profile, "profile is null");
            requireNonNull(outcome, "outcome is null");
        }

        DeviceState withDevice(String newDevice, String newUuid) {
            return new DeviceState(newDevice, newUuid, newUuid.equals(uuid) ? profile : "", outcome);
        }

        DeviceState held(String newUuid, String newProfile, String newOutcome) {
            return new DeviceState(device, newUuid, newProfile, newOutcome);
        }

        DeviceState refused(String newOutcome) {
            return new DeviceState(device, uuid, profile, newOutcome);
        }
    }

    private final PluginStorage storage;

    public AdeProfiles(PluginStorage storage) {
        this.storage = requireNonNull(storage, "storage is null");
    }

    /**
     * The profile a device gets: the one naming its serial number; else the first, by priority then name, whose group
     * the device is in; else the default; else none.
     *
     * @param profiles the token's profiles, in any order
     * @param groupIds the groups the device is in
     */
    public static Optional<Profile> choose(List<Profile> profiles, String serialNumber, Set<String> groupIds) {
        requireNonNull(serialNumber, "serialNumber is null");
        requireNonNull(groupIds, "groupIds is null");
        List<Profile> ordered = ordered(profiles);
        return ordered.stream().filter(profile -> profile.serials().contains(serialNumber)).findFirst()
                .or(() -> ordered.stream().filter(profile -> profile.groupId().filter(groupIds::contains).isPresent()).findFirst())
                .or(() -> ordered.stream().filter(Profile::isDefault).findFirst());
    }

    /** @return the token's profiles, by priority then name */
    public List<Profile> list(String tokenName) {
        Optional<byte[]> stored = storage.get(PROFILES_PREFIX + tokenName);
        if (stored.isPresent()) {
            try {
                List<Profile> profiles = new ArrayList<>();
                for (JsonNode profile : JSON.readTree(stored.get())) {
                    List<String> serials = new ArrayList<>();
                    profile.path("serials").forEach(serial -> serials.add(serial.asText()));
                    profiles.add(new Profile(profile.path("name").asText(), profile.path("priority").asInt(), profile.path("default").asBoolean(),
                            Optional.ofNullable(profile.get("groupId")).map(JsonNode::asText), serials, (ObjectNode) profile.get("apple")));
                }
                return ordered(profiles);
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("the stored ADE profiles of " + tokenName + " are unreadable", e);
            }
        }
        return storage.get(LEGACY_DEFAULT_PREFIX + tokenName).map(bytes -> {
            try {
                return List.of(new Profile(LEGACY_DEFAULT_NAME, 100, true, Optional.empty(), List.of(), (ObjectNode) JSON.readTree(bytes)));
            } catch (IOException | ClassCastException e) {
                throw new IllegalStateException("the stored ADE profile of " + tokenName + " is unreadable", e);
            }
        }).orElse(List.of());
    }

    /** @return the token's profile of that name */
    public Optional<Profile> find(String tokenName, String name) {
        return list(tokenName).stream().filter(profile -> profile.name().equals(name)).findFirst();
    }

    /**
     * Puts a profile in the token's list, replacing the one of its name.
     *
     * @throws IllegalArgumentException when the scope clashes with another profile's (a second default, a serial
     *         number another profile names) or the list would be too long
     */
    public void put(String tokenName, Profile profile) {
        List<Profile> profiles = new ArrayList<>(list(tokenName));
        profiles.removeIf(other -> other.name().equals(profile.name()));
        if (profiles.size() >= MAX_PROFILES) {
            throw new IllegalArgumentException("a server token has at most " + MAX_PROFILES + " ADE profiles");
        }
        for (Profile other : profiles) {
            if (profile.isDefault() && other.isDefault()) {
                throw new IllegalArgumentException("default: the profile " + other.name() + " is the default already; make it not the default first");
            }
            Set<String> shared = new HashSet<>(other.serials());
            shared.retainAll(profile.serials());
            if (!shared.isEmpty()) {
                throw new IllegalArgumentException("serials: " + shared.iterator().next() + " is named by the profile " + other.name() + " already");
            }
        }
        profiles.add(profile);
        save(tokenName, profiles);
    }

    /** @return whether the token had a profile of that name to remove */
    public boolean remove(String tokenName, String name) {
        List<Profile> profiles = new ArrayList<>(list(tokenName));
        boolean removed = profiles.removeIf(profile -> profile.name().equals(name));
        if (removed) {
            save(tokenName, profiles);
        }
        return removed;
    }

    /** Forgets a token's profiles and what its devices hold, as when the token is removed. */
    public void forget(String tokenName) {
        storage.delete(PROFILES_PREFIX + tokenName);
        storage.delete(LEGACY_DEFAULT_PREFIX + tokenName);
        storage.keys(STATES_PREFIX + tokenName + "/").forEach(storage::delete);
    }

    /** @return what Shepherd knows of each device of the token at Apple, by serial number */
    public Map<String, DeviceState> states(String tokenName) {
        Map<String, DeviceState> states = new TreeMap<>();
        for (String key : storage.keys(STATES_PREFIX + tokenName + "/")) {
            storage.get(key).ifPresent(bytes -> {
                try {
                    JSON.readTree(bytes).fields().forEachRemaining(entry -> {
                        JsonNode state = entry.getValue();
                        states.put(entry.getKey(), new DeviceState(state.path("device").asText(), state.path("uuid").asText(),
                                state.path("profile").asText(), state.path("outcome").asText()));
                    });
                } catch (IOException e) {
                    throw new IllegalStateException("the stored ADE device states " + key + " are unreadable", e);
                }
            });
        }
        return states;
    }

    /** Writes the shards in which the states differ from those read before. */
    public void saveStates(String tokenName, Map<String, DeviceState> before, Map<String, DeviceState> after) {
        Set<String> changedShards = new HashSet<>();
        before.forEach((serial, state) -> {
            if (!state.equals(after.get(serial))) {
                changedShards.add(shard(serial));
            }
        });
        after.forEach((serial, state) -> {
            if (!state.equals(before.get(serial))) {
                changedShards.add(shard(serial));
            }
        });
        for (String shard : changedShards) {
            ObjectNode stored = JSON.createObjectNode();
            after.forEach((serial, state) -> {
                if (shard(serial).equals(shard)) {
                    stored.putObject(serial).put("device", state.device()).put("uuid", state.uuid()).put("profile", state.profile())
                            .put("outcome", state.outcome());
                }
            });
            String key = STATES_PREFIX + tokenName + "/" + shard;
            if (stored.isEmpty()) {
                storage.delete(key);
            } else {
                storage.put(key, bytes(stored));
            }
        }
    }

    private void save(String tokenName, List<Profile> profiles) {
        ArrayNode stored = JSON.createArrayNode();
        for (Profile profile : ordered(profiles)) {
            ObjectNode json = stored.addObject().put("name", profile.name()).put("priority", profile.priority()).put("default", profile.isDefault());
            profile.groupId().ifPresent(group -> json.put("groupId", group));
            profile.serials().forEach(json.putArray("serials")::add);
            json.set("apple", profile.apple());
        }
        storage.put(PROFILES_PREFIX + tokenName, bytes(stored));
        storage.delete(LEGACY_DEFAULT_PREFIX + tokenName);
    }

    private static List<Profile> ordered(List<Profile> profiles) {
        return profiles.stream().sorted(Comparator.comparingInt(Profile::priority).thenComparing(Profile::name)).toList();
    }

    /** Apple's serial numbers are letters and digits; the last one spreads them over a few dozen shards. */
    private static String shard(String serialNumber) {
        char last = serialNumber.isEmpty() ? '_' : serialNumber.toUpperCase(Locale.ROOT).charAt(serialNumber.length() - 1);
        return Character.isLetterOrDigit(last) && last < 128 ? String.valueOf(last) : "_";
    }

    private static byte[] bytes(JsonNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
