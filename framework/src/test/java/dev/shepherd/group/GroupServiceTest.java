package dev.shepherd.group;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Static and smart groups through a real Derby store. */
class GroupServiceTest {

    @TempDir
    Path home;
    private TestKernel test;
    private GroupService groups;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        groups = test.kernel().groups();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void aStaticGroupHoldsExactlyTheDevicesAddedToIt() {
        DeviceId first = test.enrollId(Platform.IOS, "S1");
        DeviceId second = test.enrollId(Platform.IOS, "S2");
        Group group = groups.create(ADMIN, "Front desk", "Reception iPads", Optional.empty());

        assertThat(groups.addMembers(ADMIN, group.id(), List.of(first, second, first))).isEqualTo(2);
        assertThat(groups.addMembers(ADMIN, group.id(), List.of(first))).isZero();
        assertThat(groups.removeMembers(ADMIN, group.id(), List.of(second))).isEqualTo(1);

        assertThat(groups.memberIds(group.id())).containsExactly(first);
        assertThat(groups.get(group.id()).orElseThrow().members()).isEqualTo(1);
        assertThat(groups.groupsOf(first)).extracting(Group::name).containsExactly("Front desk");
        assertThatThrownBy(() -> groups.addMembers(ADMIN, group.id(), List.of(DeviceId.random())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("no such device");
        assertThatThrownBy(() -> groups.create(ADMIN, "Front desk", "", Optional.empty())).isInstanceOf(GroupConflictException.class);
    }

    @Test
    void aSmartGroupFollowsItsRuleAsDevicesChange() throws IOException {
        DeviceId oldIphone = test.enrollId(Platform.IOS, "OLD");
        DeviceId newIphone = test.enrollId(Platform.IOS, "NEW");
        DeviceId android = test.enrollId(Platform.ANDROID, "DROID");
        test.kernel().devices().recordInventory(ADMIN, oldIphone, Map.of("os.version", "16.7.2"));
        test.kernel().devices().recordInventory(ADMIN, newIphone, Map.of("os.version", "17.5"));
        test.kernel().devices().recordInventory(ADMIN, android, Map.of("os.version", "13"));

        Group outdated = groups.create(ADMIN, "Outdated iOS", "", Optional.of(rule("""
                {"all":[{"attribute":"platform","op":"eq","value":"ios"},{"attribute":"osVersion","op":"lt","value":"17"}]}""")));

        assertThat(groups.memberIds(outdated.id())).containsExactly(oldIphone);

        test.kernel().devices().recordInventory(ADMIN, oldIphone, Map.of("os.version", "17.0.1"));
        test.kernel().devices().recordInventory(ADMIN, newIphone, Map.of("os.version", "16.9"));

        assertThat(groups.memberIds(outdated.id())).containsExactly(newIphone);
    }

    @Test
    void rulesCoverTagsAttributesOwnershipAndNegation() throws IOException {
        DeviceId kiosk = test.enroll(Platform.ANDROID, "K", Ownership.CORPORATE).device().id();
        DeviceId byod = test.enroll(Platform.ANDROID, "B", Ownership.PERSONAL).device().id();
        test.kernel().devices().update(ADMIN, kiosk, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(Set.of("kiosk")), Optional.of(Map.of("site", "Berlin"))), OptionalLong.empty());

        Group kiosks = groups.create(ADMIN, "Kiosks", "", Optional.of(rule("""
                {"any":[{"attribute":"tag","op":"has","value":"kiosk"},{"attribute":"attribute.site","op":"eq","value":"Paris"}]}""")));
        Group notPersonal = groups.create(ADMIN, "Corporate", "", Optional.of(rule("""
                {"not":{"attribute":"ownership","op":"eq","value":"personal"}}""")));

        assertThat(groups.memberIds(kiosks.id())).containsExactly(kiosk);
        assertThat(groups.memberIds(notPersonal.id())).containsExactly(kiosk);

        test.kernel().devices().update(ADMIN, byod, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(Map.of("site", "Paris"))), OptionalLong.empty());
        assertThat(groups.memberIds(kiosks.id())).containsExactlyInAnyOrder(kiosk, byod);
        assertThatThrownBy(() -> groups.addMembers(ADMIN, kiosks.id(), List.of(byod))).isInstanceOf(GroupConflictException.class);
    }

    @Test
    void changingTheRuleRecomputesMembershipAndThePreviewSavesNothing() throws IOException {
        DeviceId ios = test.enrollId(Platform.IOS, "P1");
        DeviceId mac = test.enrollId(Platform.MACOS, "P2");
        Group group = groups.create(ADMIN, "Apple", "", Optional.of(rule("{\"attribute\":\"platform\",\"op\":\"eq\",\"value\":\"ios\"}")));

        GroupService.RulePreview preview = groups.preview(rule("{\"attribute\":\"platform\",\"op\":\"in\",\"value\":[\"ios\",\"macos\"]}"), 10);
        assertThat(preview.matching()).isEqualTo(2);
        assertThat(groups.memberIds(group.id())).containsExactly(ios);

        groups.update(ADMIN, group.id(), Optional.empty(), Optional.empty(),
                Optional.of(rule("{\"attribute\":\"platform\",\"op\":\"in\",\"value\":[\"ios\",\"macos\"]}")), OptionalLong.empty());

        assertThat(groups.memberIds(group.id())).containsExactlyInAnyOrder(ios, mac);
        assertThatThrownBy(() -> groups.update(ADMIN, group.id(), Optional.of("Apple devices"), Optional.empty(), Optional.empty(),
                OptionalLong.of(1))).isInstanceOf(GroupConflictException.class);
    }

    @Test
    void badRulesAreRefusedWithThePathToTheMistake() {
        assertThatThrownBy(() -> rule("{\"all\":[{\"attribute\":\"platform\",\"op\":\"equals\",\"value\":\"ios\"}]}"))
                .hasMessage("rule.all[0].op: unknown operator 'equals'");
        assertThatThrownBy(() -> rule("{\"attribute\":\"colour\",\"op\":\"eq\",\"value\":\"red\"}"))
                .hasMessageStartingWith("rule.attribute: unknown attribute 'colour'");
        assertThatThrownBy(() -> rule("{\"attribute\":\"ownership\",\"op\":\"eq\",\"value\":\"rented\"}"))
                .hasMessage("rule.value: 'rented' is not a valid ownership");
        assertThatThrownBy(() -> rule("{\"attribute\":\"tag\",\"op\":\"eq\",\"value\":\"x\"}"))
                .hasMessageStartingWith("rule.op: tag cannot be compared with 'eq'");
        assertThatThrownBy(() -> rule("{\"any\":[]}")).hasMessage("rule.any: expected a non-empty array of rules");
        assertThatThrownBy(() -> rule("{\"attribute\":\"platform\",\"op\":\"eq\",\"value\":\"ios\",\"extra\":1}"))
                .hasMessage("rule: unexpected field 'extra'");
    }

    @Test
    void aDeviceEnrollingWithAGroupBoundTokenJoinsThatGroup() {
        Group group = groups.create(ADMIN, "Warehouse", "", Optional.empty());
        String secret = test.kernel().enrollmentTokens().create(ADMIN, new NewEnrollmentToken("warehouse", Ownership.CORPORATE,
                Optional.empty(), Optional.of(group.id()), Optional.empty(), OptionalInt.empty(),
                Instant.now().plus(Duration.ofHours(1)))).secret();

        DeviceId device = test.kernel().devices().enroll(TestKernel.ADMIN, TestKernel.claim(secret, Platform.ANDROID, "W1")).device().id();

        assertThat(groups.memberIds(group.id())).containsExactly(device);
    }

    @Test
    void deletingAGroupRemovesItsMemberships() {
        DeviceId device = test.enrollId(Platform.IOS, "D1");
        Group group = groups.create(ADMIN, "Temporary", "", Optional.empty());
        groups.addMembers(ADMIN, group.id(), List.of(device));

        assertThat(groups.delete(ADMIN, group.id())).isTrue();

        assertThat(groups.groupsOf(device)).isEmpty();
        assertThat(groups.delete(ADMIN, group.id())).isFalse();
    }

    private GroupRule rule(String text) throws IOException {
        return groups.codec().read(json.readTree(text));
    }
}
