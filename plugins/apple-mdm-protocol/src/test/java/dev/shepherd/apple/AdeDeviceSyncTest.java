package dev.shepherd.apple;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which ADE profile the sync gives each device, over a real kernel store and the stand-in of Apple's service: a
 * device an admin moves into a profile's group gets that profile at the next sync, and one nothing matches any more
 * has its profile removed at Apple; the one default profile of earlier versions keeps working.
 */
class AdeDeviceSyncTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Actor ADMIN = Actor.admin("admin");

    @TempDir
    Path home;
    private TestKernel test;
    private LocalDeviceAssignment apple;
    private MemoryPluginStorage storage;
    private AdeDeviceSync sync;

    @BeforeEach
    void start() throws Exception {
        test = TestKernel.open(home);
        AdeTokenFiles.Credentials credentials = AdeTokenFiles.Credentials.expiring("decide", Instant.now().plus(Duration.ofDays(300)));
        apple = LocalDeviceAssignment.start(credentials, Clock.systemUTC());
        storage = new MemoryPluginStorage();
        AdeServerTokens tokens = new AdeServerTokens(storage, new TestSealer(), Clock.systemUTC());
        tokens.upload("abm", AdeTokenFiles.tokenFile(tokens.publicKeyPem(), credentials));
        sync = AdeTestSyncs.iosSync(test.kernel(), tokens, storage, apple);
    }

    @AfterEach
    void stop() {
        if (apple != null) {
            apple.close();
        }
        if (test != null) {
            test.close();
        }
    }

    @Test
    void aDeviceMovedIntoAProfilesGroupGetsItAtTheNextSyncAndOneNothingMatchesLosesItsProfileAtApple() {
        Kernel kernel = test.kernel();
        apple.assign("DMPKIOSK1", "iPad (10th generation)", "iPad Wi-Fi", "SILVER", "iPadOS");
        apple.assign("DMPSPARE1", "iPad (10th generation)", "iPad Wi-Fi", "SILVER", "iPadOS");
        String kiosks = kernel.groups().create(ADMIN, "Kiosks", "", Optional.empty()).id();
        String kioskUuid = sync.putProfile("abm", profile("kiosk", Optional.of(kiosks), List.of())).profile().uuid();
        String spareUuid = sync.putProfile("abm", profile("spares", Optional.empty(), List.of("DMPSPARE1"))).profile().uuid();

        AdeDeviceSync.Result first = sync.sync("abm");
        assertThat(first.profileAssigned()).as("the spare by its serial number; the kiosk is in no group yet, and there is no default").isEqualTo(1);
        assertThat(apple.device("DMPSPARE1").path("profile_uuid").asText()).isEqualTo(spareUuid);
        assertThat(apple.device("DMPKIOSK1").has("profile_uuid")).isFalse();

        DeviceId kiosk = kernel.devices().idByHardwareId(Platform.IOS, "serial", "DMPKIOSK1").orElseThrow();
        kernel.groups().addMembers(ADMIN, kiosks, List.of(kiosk));
        AdeDeviceSync.Result second = sync.sync("abm");
        assertThat(second.fullFetch()).as("from the cursor: nothing changed at Apple, only the kiosk's group").isFalse();
        assertThat(second.profileAssigned()).isEqualTo(1);
        assertThat(apple.device("DMPKIOSK1").path("profile_uuid").asText()).isEqualTo(kioskUuid);
        assertThat(sync.deviceCounts("abm")).containsEntry("kiosk", 1).containsEntry("spares", 1);

        AdeDeviceSync.Assignment removed = sync.removeProfile("abm", "spares").orElseThrow();
        assertThat(removed.removed()).as("nothing else matches the spare: Apple forgets its profile").isEqualTo(1);
        assertThat(apple.device("DMPSPARE1").has("profile_uuid")).isFalse();
        assertThat(apple.profileChanges().get(apple.profileChanges().size() - 1).path("method").asText()).isEqualTo("DELETE");
        DeviceId spare = kernel.devices().idByHardwareId(Platform.IOS, "serial", "DMPSPARE1").orElseThrow();
        assertThat(kernel.devices().inventory(spare)).containsEntry("apple.ade.profile_status", "empty").containsEntry("apple.ade.profile", "");
        assertThat(sync.removeProfile("abm", "spares")).isEmpty();

        assertThat(sync.enrolling("abm", "DMPKIOSK1")).map(AdeProfiles.Profile::name).hasValue("kiosk");
        assertThat(kernel.groups().groupsOf(kiosk)).extracting(Group::name).containsExactlyInAnyOrder("Kiosks", "ADE: kiosk");
    }

    @Test
    void theOneDefaultProfileOfEarlierVersionsIsTheDefaultOfTheListAndItsRouteStillDefinesIt() {
        storage.put("ade/profile/abm", """
                {"profile_name": "Corporate", "url": "https://mdm.example.com/mdm/apple-ios/ade/enroll", "profile_uuid": "OLD-UUID"}"""
                .getBytes(StandardCharsets.UTF_8));
        assertThat(sync.defaultProfile("abm")).hasValueSatisfying(profile -> assertThat(profile.path("profile_uuid").asText()).isEqualTo("OLD-UUID"));

        ObjectNode redefined = sync.defineDefaultProfile("abm", JSON.createObjectNode().put("profile_name", "Corporate 2")
                .put("url", "https://mdm.example.com/mdm/apple-ios/ade/enroll"));
        assertThat(redefined.path("profile_uuid").asText()).isNotEqualTo("OLD-UUID");
        assertThat(sync.profiles("abm")).singleElement().satisfies(profile -> {
            assertThat(profile.name()).isEqualTo(AdeProfiles.LEGACY_DEFAULT_NAME);
            assertThat(profile.isDefault()).isTrue();
            assertThat(profile.uuid()).isEqualTo(redefined.path("profile_uuid").asText());
        });
    }

    private static AdeProfiles.Profile profile(String name, Optional<String> group, List<String> serials) {
        return new AdeProfiles.Profile(name, 100, false, group, serials, JSON.createObjectNode().put("profile_name", name)
                .put("url", "https://mdm.example.com/mdm/apple-ios/ade/enroll").put("is_supervised", true));
    }
}
