package dev.shepherd.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.policy.Setting;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Combines the settings of the policies that apply to a device into its effective policy. The documented
 * conflict rules (docs/policies.md):
 * <ul>
 *   <li>Settings are matched by key; a key set by one policy only is taken as it is.</li>
 *   <li>For a field-wise type (passcode, encryption, screen lock, restrictions, data-loss prevention) each property
 *       combines across every policy that sets it by its own rule: {@code max} and {@code min} take the extreme,
 *       {@code min-positive} the smallest non-zero, {@code or} is true if any is, {@code and} only if all are
 *       (a restriction wins); a property without a rule comes from the highest-priority policy setting it.</li>
 *   <li>For any other type the highest-priority policy's value wins whole.</li>
 *   <li>Priorities tie-break by policy name, so the outcome never depends on storage order.</li>
 * </ul>
 */
public final class SettingMerger {

    /**
     * A policy's setting with its rank.
     *
     * @param setting the setting
     * @param policyId the policy
     * @param priority the assignment's priority (the highest, when the policy reaches the device through several groups)
     * @param policyName the policy's name, the tie-breaker
     */
    public record Ranked(Setting setting, String policyId, int priority, String policyName) {
    }

    private final SettingTypes types;
    private final ObjectMapper json;

    public SettingMerger(SettingTypes types, ObjectMapper json) {
        this.types = requireNonNull(types, "types is null");
        this.json = requireNonNull(json, "json is null");
    }

    public List<EffectiveSetting> merge(List<Ranked> settings) {
        List<Ranked> ordered = new ArrayList<>(settings);
        ordered.sort((a, b) -> a.priority() != b.priority() ? Integer.compare(b.priority(), a.priority())
                : a.policyName().compareTo(b.policyName()));
        Map<String, List<Ranked>> byKey = new LinkedHashMap<>();
        for (Ranked ranked : ordered) {
            byKey.computeIfAbsent(ranked.setting().key(), key -> new ArrayList<>()).add(ranked);
        }
        List<EffectiveSetting> effective = new ArrayList<>();
        for (List<Ranked> candidates : byKey.values()) {
            Ranked first = candidates.get(0);
            Set<String> policyIds = new LinkedHashSet<>();
            candidates.forEach(candidate -> policyIds.add(candidate.policyId()));
            Optional<SettingType> type = types.get(first.setting().type());
            if (candidates.size() == 1 || type.isEmpty() || !type.get().fieldwise()) {
                effective.add(new EffectiveSetting(first.setting(), type.isPresent() && !type.get().fieldwise()
                        ? List.of(first.policyId()) : List.copyOf(policyIds)));
            } else {
                effective.add(new EffectiveSetting(fieldwise(type.get(), candidates), List.copyOf(policyIds)));
            }
        }
        return effective;
    }

    private Setting fieldwise(SettingType type, List<Ranked> candidates) {
        ObjectNode merged = json.createObjectNode();
        Set<String> properties = new LinkedHashSet<>();
        for (Ranked candidate : candidates) {
            properties.addAll(candidate.setting().value().keySet());
        }
        for (String property : properties) {
            List<JsonNode> values = new ArrayList<>();
            for (Ranked candidate : candidates) {
                if (candidate.setting().value().containsKey(property)) {
                    values.add(json.valueToTree(candidate.setting().value().get(property)));
                }
            }
            merged.set(property, combine(type.mergeOf(property).orElse(""), values));
        }
        Map<String, Object> value = json.convertValue(merged, json.getTypeFactory().constructMapType(LinkedHashMap.class, String.class, Object.class));
        return new Setting(type.name(), candidates.get(0).setting().key(), value);
    }

    private static JsonNode combine(String rule, List<JsonNode> values) {
        JsonNode chosen = values.get(0);
        for (JsonNode value : values) {
            switch (rule) {
                case "max" -> chosen = value.asDouble() > chosen.asDouble() ? value : chosen;
                case "min" -> chosen = value.asDouble() < chosen.asDouble() ? value : chosen;
                case "min-positive" -> {
                    if (value.asDouble() > 0 && (chosen.asDouble() <= 0 || value.asDouble() < chosen.asDouble())) {
                        chosen = value;
                    }
                }
                case "or" -> chosen = value.asBoolean() ? value : chosen;
                case "and" -> chosen = !value.asBoolean() ? value : chosen;
                default -> {
                    return chosen; // no rule: the highest priority's value
                }
            }
        }
        return chosen;
    }
}
