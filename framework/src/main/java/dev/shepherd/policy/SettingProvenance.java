package dev.shepherd.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.group.Group;
import dev.shepherd.group.GroupService;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Where each of a device's effective settings comes from: every policy that sets it (through the device's groups, at
 * its priority), which of them won by the conflict rules of {@link SettingMerger}, and the setting's state on the
 * device. Values are shown without their secret fields, which are named instead.
 */
public final class SettingProvenance {

    /** How a setting's value was decided among the policies that set it. */
    public enum Decision {
        /** One policy sets it. */
        SINGLE,
        /** Several do; the highest-priority one's value is taken whole (ties go to the policy name first in order). */
        PRIORITY,
        /** Several do; each field is combined by its own rule (the strictest wins) or else comes from the highest priority. */
        FIELDWISE
    }

    /**
     * A policy that sets the setting.
     *
     * @param policyId the policy
     * @param policyName its name
     * @param priority its priority for this device (the highest of its assignments to the device's groups)
     * @param value its value, secret fields left out
     * @param secretFields the secret fields its value sets, which are not shown
     * @param won whether its value (or, for a field-wise setting, some field of it) is what the device gets
     * @param wonFields for a field-wise setting, the fields whose effective value comes from this policy
     */
    public record Source(String policyId, String policyName, int priority, Map<String, Object> value, List<String> secretFields,
                         boolean won, List<String> wonFields) {
        public Source {
            requireNonNull(policyId, "policyId is null");
            requireNonNull(policyName, "policyName is null");
            value = Collections.unmodifiableMap(new LinkedHashMap<>(value));
            secretFields = List.copyOf(secretFields);
            wonFields = List.copyOf(wonFields);
        }
    }

    /**
     * One effective setting, explained.
     *
     * @param key the setting's key
     * @param type its setting type
     * @param value the effective value, secret fields left out
     * @param secretFields the secret fields the effective value sets, which are not shown
     * @param decision how the value was decided
     * @param sources the policies that set it, highest priority first
     * @param state its state on the device; empty until the device was first sent it
     * @param reason the device's own words for a failure, or why it is not supported
     * @param stateUpdatedAt when the state last changed
     */
    public record ExplainedSetting(String key, String type, Map<String, Object> value, List<String> secretFields, Decision decision,
                                   List<Source> sources, Optional<SettingState> state, Optional<String> reason, Optional<Instant> stateUpdatedAt) {
        public ExplainedSetting {
            requireNonNull(key, "key is null");
            requireNonNull(type, "type is null");
            value = Collections.unmodifiableMap(new LinkedHashMap<>(value));
            secretFields = List.copyOf(secretFields);
            requireNonNull(decision, "decision is null");
            sources = List.copyOf(sources);
            requireNonNull(state, "state is null");
            requireNonNull(reason, "reason is null");
            requireNonNull(stateUpdatedAt, "stateUpdatedAt is null");
        }
    }

    private final PolicyService policies;
    private final GroupService groups;
    private final ObjectMapper json;

    public SettingProvenance(PolicyService policies, GroupService groups, ObjectMapper json) {
        this.policies = requireNonNull(policies, "policies is null");
        this.groups = requireNonNull(groups, "groups is null");
        this.json = requireNonNull(json, "json is null");
    }

    /** The device's effective settings, each with the policies it comes from and its state on the device. */
    public List<ExplainedSetting> of(DeviceId device) {
        requireNonNull(device, "device is null");
        Map<String, Integer> priorities = new HashMap<>();
        for (Group group : groups.groupsOf(device)) {
            for (PolicyAssignment assignment : policies.assignments(Optional.empty(), Optional.of(group.id()))) {
                priorities.merge(assignment.policyId(), assignment.priority(), Math::max);
            }
        }
        // Ranked as SettingMerger ranks them: priority, then name.
        List<Ranked> ranked = new ArrayList<>();
        priorities.forEach((policyId, priority) -> policies.get(policyId).ifPresent(policy -> ranked.add(new Ranked(policy, priority))));
        ranked.sort(Comparator.comparingInt(Ranked::priority).reversed().thenComparing(candidate -> candidate.policy().name()));
        Map<String, DeviceSettingState> states = new HashMap<>();
        policies.settingStates(device).forEach(state -> states.put(state.settingKey(), state));

        List<ExplainedSetting> explained = new ArrayList<>();
        for (EffectiveSetting effective : policies.effectiveSettings(device)) {
            Setting setting = effective.setting();
            Optional<SettingType> type = policies.settingTypes().get(setting.type());
            List<Setting> candidates = new ArrayList<>();
            List<Ranked> setters = new ArrayList<>();
            for (Ranked candidate : ranked) {
                candidate.policy().settings().stream().filter(own -> own.key().equals(setting.key())).findFirst().ifPresent(own -> {
                    candidates.add(own);
                    setters.add(candidate);
                });
            }
            Decision decision = setters.size() <= 1 ? Decision.SINGLE
                    : type.isPresent() && type.get().fieldwise() ? Decision.FIELDWISE : Decision.PRIORITY;
            Map<String, String> fieldWinners = decision == Decision.FIELDWISE ? fieldWinners(setting, candidates, setters) : Map.of();
            List<Source> sources = new ArrayList<>();
            for (int index = 0; index < setters.size(); index++) {
                Ranked setter = setters.get(index);
                Map<String, Object> value = candidates.get(index).value();
                List<String> won = fieldWinners.entrySet().stream().filter(entry -> entry.getValue().equals(setter.policy().id()))
                        .map(Map.Entry::getKey).toList();
                Map<String, Object> shown = SettingSecrets.hidden(type, value);
                sources.add(new Source(setter.policy().id(), setter.policy().name(), setter.priority(), shown, notShown(value, shown), decision == Decision.FIELDWISE ? !won.isEmpty() : index == 0, won));
            }
            Optional<DeviceSettingState> state = Optional.ofNullable(states.get(setting.key()));
            Map<String, Object> shown = SettingSecrets.hidden(type, setting.value());
            explained.add(new ExplainedSetting(setting.key(), setting.type(), shown, notShown(setting.value(), shown), decision, sources, state.map(DeviceSettingState::state),
                    state.flatMap(DeviceSettingState::reason), state.map(DeviceSettingState::updatedAt)));
        }
        return explained;
    }

    /** For each field of a field-wise setting, the first policy in rank order whose value is the effective one. */
    private Map<String, String> fieldWinners(Setting effective, List<Setting> candidates, List<Ranked> setters) {
        Map<String, String> winners = new LinkedHashMap<>();
        effective.value().forEach((field, chosen) -> {
            JsonNode wanted = json.valueToTree(chosen);
            for (int index = 0; index < candidates.size(); index++) {
                Map<String, Object> value = candidates.get(index).value();
                if (value.containsKey(field) && same(wanted, json.valueToTree(value.get(field)))) {
                    winners.put(field, setters.get(index).policy().id());
                    return;
                }
            }
        });
        return winners;
    }

    /** Equal JSON values, numbers by their value (a merged 8 may be a long where the policy's is an int). */
    private static boolean same(JsonNode one, JsonNode other) {
        if (one.isNumber() && other.isNumber()) {
            return one.decimalValue().compareTo(other.decimalValue()) == 0;
        }
        return one.equals(other);
    }

    /** The fields left out of a value as secrets (declared so by the type's schema, or sealed). */
    private static List<String> notShown(Map<String, Object> value, Map<String, Object> shown) {
        return value.keySet().stream().filter(field -> !shown.containsKey(field)).sorted().toList();
    }

    private record Ranked(Policy policy, int priority) {
    }
}
