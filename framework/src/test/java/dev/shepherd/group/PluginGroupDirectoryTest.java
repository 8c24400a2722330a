package dev.shepherd.group;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.device.DeviceImport;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A plugin mirroring an outside structure as groups, in a real database: it changes its own groups only, and reads all. */
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

    @Test
    void aPluginReadsEveryGroupAPreRegisteredDeviceIsInRuleGroupsIncludedAndChangesNone() {
        String ipads = groups.create(ADMIN, "iPads", "", Optional.of(new GroupRule.Condition("model", GroupRule.Operator.STARTS_WITH,
                List.of("iPad")))).id();
        String firstSerials = groups.create(ADMIN, "First serials", "", Optional.of(new GroupRule.Condition("serialNumber",
                GroupRule.Operator.STARTS_WITH, List.of("DMP")))).id();
        String pilots = groups.create(ADMIN, "Pilot devices", "", Optional.empty()).id();
        String mirrored = chromeos.ensureGroup("ChromeOS /Pilots", "");
        Actor apple = Actor.plugin("apple-ios");
        // As Apple's device assignment sync pre-registers them: PENDING, with Apple's serial number and model.
        List<DeviceId> pending = test.kernel().devices().importDevices(apple, List.of(
                new DeviceImport(Platform.IOS, "DMPX001", "iPad Pro 11-inch", "", Ownership.CORPORATE, Map.of("serial", "DMPX001"), Set.of()),
                new DeviceImport(Platform.IOS, "F2LX002", "iPhone 15", "", Ownership.CORPORATE, Map.of("serial", "F2LX002"), Set.of())));
        DeviceId ipad = pending.get(0);
        DeviceId iphone = pending.get(1);
        groups.addMembers(ADMIN, pilots, List.of(iphone));
        chromeos.setGroups(iphone, Set.of(mirrored));
        DeviceId unknown = DeviceId.random();

        PluginGroupDirectory reader = new PluginGroupDirectory("apple-ios", groups);
        Map<DeviceId, Set<String>> memberships = reader.memberships(List.of(ipad, iphone, unknown));

        assertThat(memberships).as("smart groups evaluated for PENDING devices by model and serial").containsEntry(ipad, Set.of(ipads, firstSerials))
                .as("an admin's static group and another plugin's group").containsEntry(iphone, Set.of(pilots, mirrored))
                .containsEntry(unknown, Set.of());
        assertThat(reader.groupName(ipads)).hasValue("iPads");
        assertThat(reader.groupName(DeviceId.random().toString())).isEmpty();
        assertThat(reader.groupName("x".repeat(300))).isEmpty();
        assertThatThrownBy(() -> reader.setGroups(ipad, Set.of(ipads))).as("reading is not owning").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> reader.memberships(Collections.nCopies(1001, ipad))).isInstanceOf(IllegalArgumentException.class);
        assertThat(groups.groupsOf(ipad)).extracting(Group::id).containsExactlyInAnyOrder(ipads, firstSerials);
    }
}
