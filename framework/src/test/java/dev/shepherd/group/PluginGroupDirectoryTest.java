package dev.shepherd.group;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A plugin mirroring an outside structure as groups, in real Derby: its own groups only. */
class PluginGroupDirectoryTest {

    @TempDir
    Path home;
    private TestKernel test;
    private GroupService groups;
    private PluginGroupDirectory chromeos;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        groups = test.kernel().groups();
        chromeos = new PluginGroupDirectory("chromeos", groups);
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void aPluginsGroupIsCreatedOnceAndFoundAgainByName() {
        String sales = chromeos.ensureGroup("ChromeOS /Sales", "the Sales org unit");
        assertThat(chromeos.ensureGroup("ChromeOS /Sales", "the Sales org unit")).isEqualTo(sales);
        assertThat(groups.get(sales).orElseThrow().description()).isEqualTo("the Sales org unit");
    }

    @Test
    void aDeviceIsMovedBetweenThePluginsGroupsAndKeepsItsOthers() {
        DeviceId device = test.enroll(Platform.CHROMEOS, "CB-1", Ownership.CORPORATE).device().id();
        String sales = chromeos.ensureGroup("ChromeOS /Sales", "");
        String support = chromeos.ensureGroup("ChromeOS /Support", "");
        String pilots = groups.create(ADMIN, "Pilot users", "", Optional.empty()).id();
        groups.addMembers(ADMIN, pilots, List.of(device));

        chromeos.setGroups(device, Set.of(sales));
        assertThat(groups.groupsOf(device)).extracting(Group::id).containsExactlyInAnyOrder(sales, pilots);

        chromeos.setGroups(device, Set.of(support));
        assertThat(groups.groupsOf(device)).extracting(Group::id).as("moved, and the admin's group untouched")
                .containsExactlyInAnyOrder(support, pilots);

        chromeos.setGroups(device, Set.of());
        assertThat(groups.groupsOf(device)).extracting(Group::id).containsExactly(pilots);
    }

    @Test
    void aPluginCannotTakeOverOrMoveDevicesIntoGroupsThatAreNotItsOwn() {
        String admins = groups.create(ADMIN, "ChromeOS /Sales", "made by an admin", Optional.empty()).id();
        assertThatThrownBy(() -> chromeos.ensureGroup("ChromeOS /Sales", "")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not created by plugin chromeos");

        DeviceId device = test.enroll(Platform.CHROMEOS, "CB-2", Ownership.CORPORATE).device().id();
        assertThatThrownBy(() -> chromeos.setGroups(device, Set.of(admins))).isInstanceOf(IllegalArgumentException.class);
        String androids = new PluginGroupDirectory("android", groups).ensureGroup("Android work profiles", "");
        assertThatThrownBy(() -> chromeos.setGroups(device, Set.of(androids))).as("not another plugin's either")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(groups.groupsOf(device)).isEmpty();
    }
}
