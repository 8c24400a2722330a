package dev.shepherd.group;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.device.DeviceScope;
import dev.shepherd.device.DeviceService;
import dev.shepherd.device.OsVersion;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.directory.UserDirectoryService;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The groups a device is in and why: a static group because it was put there (and since when), a smart group because
 * of its rule, shown with the device's own values of the attributes the rule tests.
 */
public final class DeviceMemberships {

    /**
     * One group of the device.
     *
     * @param groupId the group
     * @param name its name
     * @param description what it is for
     * @param kind {@code static} or {@code smart}
     * @param rule a smart group's rule, as its JSON
     * @param memberSince since when the device is in it
     * @param conditions a smart group's conditions with the device's values; empty for a static group
     */
    public record Membership(String groupId, String name, String description, String kind, Optional<JsonNode> rule, Instant memberSince,
                             List<ConditionValues> conditions) {
        public Membership {
            requireNonNull(groupId, "groupId is null");
            requireNonNull(name, "name is null");
            requireNonNull(description, "description is null");
            requireNonNull(kind, "kind is null");
            requireNonNull(rule, "rule is null");
            requireNonNull(memberSince, "memberSince is null");
            conditions = List.copyOf(conditions);
        }
    }

    /**
     * A condition of a smart group's rule beside the device's value of what it tests.
     *
     * @param attribute what the condition tests, such as {@code osVersion} or {@code attribute.costCentre}
     * @param operator how, as the rule writes it ({@code eq}, {@code lt}, {@code has}, …)
     * @param values the values the rule compares with
     * @param deviceValues the device's values of the attribute (several for tags and directory groups), empty when it has none
     * @param negated whether the condition sits under a {@code not}, so the rule wants it not to hold
     */
    public record ConditionValues(String attribute, String operator, List<String> values, List<String> deviceValues, boolean negated) {
        public ConditionValues {
            requireNonNull(attribute, "attribute is null");
            requireNonNull(operator, "operator is null");
            values = List.copyOf(values);
            deviceValues = List.copyOf(deviceValues);
        }
    }

    private final GroupService groups;
    private final DeviceService devices;
    private final DirectoryService directory;
    private final UserDirectoryService userDirectory;

    public DeviceMemberships(GroupService groups, DeviceService devices, DirectoryService directory, UserDirectoryService userDirectory) {
        this.groups = requireNonNull(groups, "groups is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.userDirectory = requireNonNull(userDirectory, "userDirectory is null");
    }

    /**
     * The device's groups that the scope includes, by name.
     *
     * @return empty when no device has the id
     */
    public Optional<List<Membership>> of(DeviceId id, DeviceScope scope) {
        requireNonNull(scope, "scope is null");
        Optional<Device> found = devices.get(requireNonNull(id, "id is null")).map(record -> record.device());
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Device device = found.get();
        Map<String, Instant> since = groups.memberSince(id);
        // The person is read once, and only when some rule tests them.
        Lazy<Optional<DirectoryUser>> user = new Lazy<>(() -> device.userId().flatMap(directory::get));
        Lazy<List<String>> userGroups = new Lazy<>(() -> device.userId().map(userId -> userDirectory.groupsOf(userId, true).stream()
                .map(group -> group.provider() + ":" + group.name()).toList()).orElse(List.of()));
        List<Membership> memberships = new ArrayList<>();
        for (Group group : groups.groupsOf(id)) {
            if (!scope.includesGroup(group.id())) {
                continue;
            }
            List<ConditionValues> conditions = new ArrayList<>();
            group.rule().ifPresent(rule -> collect(rule, false, device, user, userGroups, conditions));
            memberships.add(new Membership(group.id(), group.name(), group.description(), group.isSmart() ? "smart" : "static",
                    group.rule().map(rule -> groups.codec().write(rule)), since.getOrDefault(group.id(), group.createdAt()), conditions));
        }
        return Optional.of(memberships);
    }

    private static void collect(GroupRule rule, boolean negated, Device device, Lazy<Optional<DirectoryUser>> user, Lazy<List<String>> userGroups,
                                List<ConditionValues> into) {
        if (rule instanceof GroupRule.All all) {
            all.rules().forEach(part -> collect(part, negated, device, user, userGroups, into));
        } else if (rule instanceof GroupRule.Any any) {
            any.rules().forEach(part -> collect(part, negated, device, user, userGroups, into));
        } else if (rule instanceof GroupRule.Not not) {
            collect(not.rule(), !negated, device, user, userGroups, into);
        } else if (rule instanceof GroupRule.Condition condition) {
            // The rule keeps OS versions as sortable keys (OsVersion); they are shown as versions.
            List<String> values = RuleAttribute.of(condition.attribute()) == RuleAttribute.OS_VERSION
                    ? condition.values().stream().map(OsVersion::fromKey).toList() : condition.values();
            into.add(new ConditionValues(condition.attribute(), condition.operator().json(), values,
                    valuesOf(condition.attribute(), device, user, userGroups), negated));
        }
    }

    /** The device's values of a rule attribute, as the rule's SQL ({@link RuleSql}) reads them. */
    private static List<String> valuesOf(String attribute, Device device, Lazy<Optional<DirectoryUser>> user, Lazy<List<String>> userGroups) {
        return switch (RuleAttribute.of(attribute)) {
            case PLATFORM -> List.of(device.platform().id());
            case OWNERSHIP -> List.of(device.ownership().name());
            case STATUS -> List.of(device.status().name());
            case COMPLIANCE -> List.of(device.compliance().name());
            case ENROLLMENT_METHOD -> device.enrollmentMethod().map(method -> List.of(method.name())).orElse(List.of());
            case MODEL -> present(device.model());
            case NAME -> present(device.name());
            case SERIAL_NUMBER -> present(device.serialNumber());
            case OS_VERSION -> present(device.osVersion());
            case TAG -> device.tags().stream().sorted().toList();
            case USER -> device.userId().map(List::of).orElse(List.of());
            case USER_EMAIL -> user.get().map(person -> present(person.email())).orElse(List.of());
            case USER_USERNAME -> user.get().map(person -> List.of(person.username())).orElse(List.of());
            case USER_GROUP -> userGroups.get();
            case ATTRIBUTE -> Optional.ofNullable(device.attributes().get(attribute.substring("attribute.".length()))).map(List::of).orElse(List.of());
        };
    }

    private static List<String> present(String value) {
        return value.isEmpty() ? List.of() : List.of(value);
    }

    /** A value read at most once, on first use. */
    private static final class Lazy<T> implements Supplier<T> {
        private final Supplier<T> source;
        private T value;
        private boolean done;

        Lazy(Supplier<T> source) {
            this.source = source;
        }

        @Override
        public T get() {
            if (!done) {
                value = source.get();
                done = true;
            }
            return value;
        }
    }
}
