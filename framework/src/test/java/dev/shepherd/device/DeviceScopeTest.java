package dev.shepherd.device;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A scope is the whole fleet or the members of some device groups; it only ever narrows. */
class DeviceScopeTest {

    private static final String PARIS = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private static final String LYON = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    @Test
    void theWholeFleetCoversEveryScopeAndAScopeOfGroupsCoversOnlyItsSubsets() {
        DeviceScope both = DeviceScope.groups(List.of(LYON, PARIS));
        DeviceScope paris = DeviceScope.groups(List.of(PARIS));

        assertThat(DeviceScope.FLEET.covers(both)).isTrue();
        assertThat(both.covers(paris)).isTrue();
        assertThat(paris.covers(both)).isFalse();
        assertThat(paris.covers(DeviceScope.FLEET)).as("nobody scoped grants the whole fleet").isFalse();
        assertThat(paris.includesGroup(PARIS)).isTrue();
        assertThat(paris.includesGroup(LYON)).isFalse();
        assertThat(DeviceScope.FLEET.includesGroup(LYON)).isTrue();
    }

    @Test
    void aScopeIsStoredAsItsSortedGroupsAndTheFleetAsNull() {
        DeviceScope scope = DeviceScope.groups(List.of(PARIS, LYON, PARIS));

        assertThat(scope.json()).containsExactly(PARIS, LYON);
        assertThat(DeviceScope.FLEET.stored()).isNull();
        assertThat(DeviceScope.fromStored(null)).isEqualTo(DeviceScope.FLEET);
        assertThat(DeviceScope.fromStored(scope.stored())).isEqualTo(scope);
        assertThat(DeviceScope.fromStored("").groupIds()).as("groups all gone: nothing, never the fleet").contains(List.of());
    }

    @Test
    void theSqlConditionIsASemiJoinOnMembershipAndAScopeOfNoGroupMatchesNothing() {
        StringBuilder sql = new StringBuilder("SELECT d.id FROM device d WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        DeviceScope.groups(List.of(PARIS, LYON)).appendCondition("d.id", sql, parameters);
        assertThat(sql.toString()).endsWith(" AND d.id IN (SELECT scope_member.device_id FROM group_member scope_member"
                + " WHERE scope_member.group_id IN (?, ?))");
        assertThat(parameters).containsExactly(PARIS, LYON);

        StringBuilder fleet = new StringBuilder();
        DeviceScope.FLEET.appendCondition("d.id", fleet, parameters);
        assertThat(fleet).isEmpty();
        StringBuilder none = new StringBuilder();
        DeviceScope.groups(List.of()).appendCondition("d.id", none, parameters);
        assertThat(none.toString()).isEqualTo(" AND 1 = 0");
    }

    @Test
    void malformedOrTooManyGroupsAreRefused() {
        assertThatThrownBy(() -> DeviceScope.groups(List.of("x' OR 1=1 --"))).isInstanceOf(IllegalArgumentException.class);
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= DeviceScope.MAX_GROUPS; i++) {
            many.add(String.format("00000000-0000-0000-0000-%012d", i));
        }
        assertThatThrownBy(() -> DeviceScope.groups(many)).isInstanceOf(IllegalArgumentException.class);
    }
}
