package dev.shepherd.apple;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.testing.MemoryPluginStorage;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which ADE profile a device gets, and how a token's profiles and its devices' profiles are kept. */
class AdeProfilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AdeProfiles.Profile CLASSROOM_IPADS = profile("classroom-ipads", 10, false, Optional.of("group-ipads"), List.of());
    private static final AdeProfiles.Profile STAFF = profile("staff", 20, false, Optional.of("group-staff"), List.of());
    private static final AdeProfiles.Profile LOANERS = profile("loaners", 500, false, Optional.empty(), List.of("DMPLOAN01"));
    private static final AdeProfiles.Profile CORPORATE = profile("corporate", 100, true, Optional.empty(), List.of());
    private static final List<AdeProfiles.Profile> PROFILES = List.of(CORPORATE, LOANERS, STAFF, CLASSROOM_IPADS);

    @Test
    void aSerialNumberNamedByAProfileGetsItWhateverItsGroups() {
        assertThat(AdeProfiles.choose(PROFILES, "DMPLOAN01", Set.of("group-ipads", "group-staff"))).hasValue(LOANERS);
    }

    @Test
    void elseTheFirstProfileByPriorityWhoseGroupHasTheDevice() {
        assertThat(AdeProfiles.choose(PROFILES, "DMP1", Set.of("group-staff", "group-ipads"))).as("priority 10 before 20").hasValue(CLASSROOM_IPADS);
        assertThat(AdeProfiles.choose(PROFILES, "DMP1", Set.of("group-staff", "group-other"))).hasValue(STAFF);
    }

    @Test
    void elseTheDefaultElseNone() {
        assertThat(AdeProfiles.choose(PROFILES, "DMP1", Set.of("group-other"))).hasValue(CORPORATE);
        assertThat(AdeProfiles.choose(List.of(STAFF, LOANERS), "DMP1", Set.of())).isEmpty();
        assertThat(AdeProfiles.choose(List.of(), "DMP1", Set.of("group-staff"))).isEmpty();
    }

    @Test
    void profilesAreKeptInOrderAndAScopeThatClashesWithAnothersIsRefused() {
        AdeProfiles profiles = new AdeProfiles(new MemoryPluginStorage());
        PROFILES.forEach(profile -> profiles.put("abm", profile));

        assertThat(profiles.list("abm")).extracting(AdeProfiles.Profile::name).containsExactly("classroom-ipads", "staff", "corporate", "loaners");
        assertThat(profiles.find("abm", "staff")).hasValue(STAFF);
        assertThat(profiles.list("school")).as("each token its own").isEmpty();
        assertThatThrownBy(() -> profiles.put("abm", profile("other-default", 1, true, Optional.empty(), List.of())))
                .hasMessageStartingWith("default: the profile corporate is the default already");
        assertThatThrownBy(() -> profiles.put("abm", profile("more-loaners", 1, false, Optional.empty(), List.of("DMPLOAN02", "DMPLOAN01"))))
                .hasMessageStartingWith("serials: DMPLOAN01 is named by the profile loaners already");
        profiles.put("abm", profile("corporate", 100, true, Optional.empty(), List.of("DMPLOAN02")));
        assertThat(profiles.find("abm", "corporate").orElseThrow().serials()).as("replaced under its name").containsExactly("DMPLOAN02");

        assertThat(profiles.remove("abm", "staff")).isTrue();
        assertThat(profiles.remove("abm", "staff")).isFalse();
        assertThat(profiles.list("abm")).extracting(AdeProfiles.Profile::name).containsExactly("classroom-ipads", "corporate", "loaners");
    }

    @Test
    void theOneDefaultProfileOfEarlierVersionsIsListedAsTheDefaultUntilTheListIsSaved() throws Exception {
        MemoryPluginStorage storage = new MemoryPluginStorage();
        storage.put("ade/profile/abm", """
                {"profile_name": "Corporate iPhones", "is_supervised": true, "await_device_configured": true, "profile_uuid": "ABC123"}"""
                .getBytes(StandardCharsets.UTF_8));
        AdeProfiles profiles = new AdeProfiles(storage);

        AdeProfiles.Profile legacy = profiles.list("abm").get(0);
        assertThat(legacy.name()).isEqualTo(AdeProfiles.LEGACY_DEFAULT_NAME);
        assertThat(legacy.isDefault()).isTrue();
        assertThat(legacy.uuid()).isEqualTo("ABC123");
        assertThat(legacy.awaitsConfiguration()).isTrue();

        profiles.put("abm", STAFF);
        assertThat(profiles.list("abm")).extracting(AdeProfiles.Profile::name).containsExactly("staff", "default");
        assertThat(storage.get("ade/profile/abm")).as("moved into the list").isEmpty();
    }

    @Test
    void devicesStatesAreWrittenOnlyInTheShardsThatChanged() {
        CountingPluginStorage storage = new CountingPluginStorage();
        AdeProfiles profiles = new AdeProfiles(storage);
        Map<String, AdeProfiles.DeviceState> states = new TreeMap<>();
        for (int i = 0; i < 360; i++) {
            String serial = "DMP%04dX%s".formatted(i, Integer.toString(i % 36, 36).toUpperCase());
            states.put(serial, new AdeProfiles.DeviceState("device-" + i, "UUID-A", "corporate", "SUCCESS"));
        }
        profiles.saveStates("abm", Map.of(), states);
        assertThat(storage.writes()).as("one write per shard: the serial number's last character").isEqualTo(36);
        assertThat(profiles.states("abm")).isEqualTo(states);

        Map<String, AdeProfiles.DeviceState> changed = new TreeMap<>(states);
        changed.put("DMP0001X1", changed.get("DMP0001X1").held("UUID-B", "staff", "SUCCESS"));
        changed.remove("DMP0002X2");
        storage.resetCounts();
        profiles.saveStates("abm", states, changed);
        assertThat(storage.writes()).isEqualTo(2);
        assertThat(profiles.states("abm")).isEqualTo(changed);

        profiles.forget("abm");
        assertThat(profiles.states("abm")).isEmpty();
    }

    private static AdeProfiles.Profile profile(String name, int priority, boolean isDefault, Optional<String> group, List<String> serials) {
        ObjectNode apple = JSON.createObjectNode().put("profile_name", name).put("url", "https://mdm.example/mdm/apple-ios/ade/enroll")
                .put("profile_uuid", name.toUpperCase());
        return new AdeProfiles.Profile(name, priority, isDefault, group, serials, apple);
    }
}
