package dev.shepherd.group;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Smart groups by directory group ({@code user.group}): a device belongs when its user is in the group directly or
 * through nested groups, and moves in and out as the identity provider changes the groups, taking its policy along.
 */
class DirectoryGroupRuleTest {

    @TempDir
    static Path home;
    private static TestKernel test;
    private static GroupService groups;
    private static UserDirectory ldap;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void open() {
        test = TestKernel.open(home);
        groups = test.kernel().groups();
        ldap = test.kernel().userDirectory().forPlugin("identity-ldap");
    }

    @AfterAll
    static void close() {
        test.close();
    }

    @Test
    void aDirectoryGroupNestedAtAnyDepthDrivesASmartGroupAndItsPolicy() throws IOException {
        String ana = ldap.putUser("corp", new ProvidedUser("e-ana", "ana", "Ana", "ana@corp.example", true));
        String bo = ldap.putUser("corp", new ProvidedUser("e-bo", "bo", "Bo", "bo@corp.example", true));
        DeviceId anasPhone = assignedDevice("ANA-1", ana);
        DeviceId bosPhone = assignedDevice("BO-1", bo);
        DeviceId nobodys = test.enrollId(Platform.IOS, "SPARE");
        ldap.putGroup("corp", new ProvidedGroup("g-sre", "SRE", Set.of("e-bo"), Set.of()));
        ldap.putGroup("corp", new ProvidedGroup("g-eng", "Engineering", Set.of("e-ana"), Set.of("g-sre")));

        Group engineering = groups.create(ADMIN, "Engineering devices", "", Optional.of(groups.codec().read(json.readTree("""
                {"attribute":"user.group","op":"eq","value":"corp:Engineering"}"""))));
        Group notEngineering = groups.create(ADMIN, "Everything else", "", Optional.of(groups.codec().read(json.readTree("""
                {"attribute":"user.group","op":"ne","value":"Engineering"}"""))));
        Policy passcode = test.kernel().policies().create(ADMIN, "Engineering passcode", "", List.of(
                new SettingInput("passcode", json.readTree("{\"minLength\": 12}"))));
        test.kernel().policies().assign(ADMIN, passcode.id(), engineering.id(), 0);

        assertThat(groups.memberIds(engineering.id())).containsExactlyInAnyOrder(anasPhone, bosPhone);
        assertThat(groups.memberIds(notEngineering.id())).containsExactly(nobodys);
        assertThat(settings(bosPhone)).containsExactly("passcode");

        // SRE leaves Engineering in the directory: Bo's phone leaves the smart group and loses the policy
        ldap.putGroup("corp", new ProvidedGroup("g-eng", "Engineering", Set.of("e-ana"), Set.of()));
        assertThat(groups.memberIds(engineering.id())).containsExactly(anasPhone);
        assertThat(groups.memberIds(notEngineering.id())).containsExactlyInAnyOrder(bosPhone, nobodys);
        assertThat(settings(bosPhone)).isEmpty();
        assertThat(settings(anasPhone)).containsExactly("passcode");

        // the group goes from the directory: so does every device it selected
        assertThat(ldap.removeGroup("corp", "g-eng")).isTrue();
        assertThat(groups.memberIds(engineering.id())).isEmpty();
        assertThat(settings(anasPhone)).isEmpty();

        // a device given to a person already in the group joins at once
        ldap.putGroup("corp", new ProvidedGroup("g-eng", "Engineering", Set.of(), Set.of("g-sre")));
        assertThat(groups.memberIds(engineering.id())).containsExactly(bosPhone);
        test.kernel().devices().update(ADMIN, nobodys, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(bo),
                Optional.empty(), Optional.empty()), OptionalLong.empty());
        assertThat(groups.memberIds(engineering.id())).containsExactlyInAnyOrder(bosPhone, nobodys);
    }

    @Test
    void aDirectoryGroupRuleIsCheckedLikeAnyOther() throws IOException {
        assertThatThrownBy(() -> groups.codec().read(json.readTree("{\"attribute\":\"user.group\",\"op\":\"startsWith\",\"value\":\"E\"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rule.op: user.group cannot be compared with 'startsWith'");
        assertThatThrownBy(() -> groups.codec().read(json.readTree("{\"attribute\":\"user.group\",\"op\":\"eq\",\"value\":\" \"}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rule.value");
        assertThat(groups.codec().read(json.readTree("{\"attribute\":\"user.group\",\"op\":\"in\",\"value\":[\"a\",\"corp:b\"]}")))
                .isEqualTo(new GroupRule.Condition("user.group", GroupRule.Operator.IN, List.of("a", "corp:b")));
    }

    private static DeviceId assignedDevice(String udid, String userId) {
        DeviceId device = test.enrollId(Platform.IOS, udid);
        test.kernel().devices().update(ADMIN, device, new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(userId),
                Optional.empty(), Optional.empty()), OptionalLong.empty());
        return device;
    }

    private static List<String> settings(DeviceId device) {
        return test.kernel().policies().effectiveSettings(device).stream().map(setting -> setting.setting().key()).toList();
    }
}
