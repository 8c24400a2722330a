package dev.shepherd.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.policy.Setting;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import static java.util.Objects.requireNonNull;

/**
 * What changed between two versions of a policy, in the words of the settings' forms: each setting added, removed
 * or changed, and within it each field with its schema title. Secret fields ({@code writeOnly}, or sealed at rest)
 * never carry their values here, only whether they changed.
 *
 * @param policyId the policy
 * @param from the older side of the comparison (any version; "from" and "to" may be in either order)
 * @param to the other side
 * @param name the policy's name, when it differs between the two versions
 * @param settings the settings that differ, in the order of the "to" version, then those only in "from"
 */
public record PolicyDiff(String policyId, long from, long to, Optional<FieldChange> name, List<SettingChange> settings) {

    /** How a setting or field differs. */
    public enum Change { ADDED, REMOVED, CHANGED }

    /**
     * One field of a setting (or the policy's name) that differs.
     *
     * @param field the property's name in the setting's value
     * @param label the property's title in the setting type's schema, or its name when it has none
     * @param change added (only in "to"), removed (only in "from") or changed
     * @param secret whether it is a secret: then before and after are empty
     * @param before its value in "from"
     * @param after its value in "to"
     */
    public record FieldChange(String field, String label, Change change, boolean secret, Optional<Object> before,
                              Optional<Object> after) {
        public FieldChange {
            requireNonNull(field, "field is null");
            requireNonNull(label, "label is null");
            requireNonNull(change, "change is null");
            requireNonNull(before, "before is null");
            requireNonNull(after, "after is null");
        }
    }

    /**
     * One setting that differs.
     *
     * @param key the setting's key (its type, or type/name for repeatable types)
     * @param type its setting type
     * @param title the type's title
     * @param change added, removed or changed
     * @param fields the fields that differ (for an added or removed setting, every field it sets)
     */
    public record SettingChange(String key, String type, String title, Change change, List<FieldChange> fields) {
        public SettingChange {
            requireNonNull(key, "key is null");
            requireNonNull(type, "type is null");
            requireNonNull(title, "title is null");
            requireNonNull(change, "change is null");
            fields = List.copyOf(fields);
        }
    }

    public PolicyDiff {
        requireNonNull(policyId, "policyId is null");
        requireNonNull(name, "name is null");
        settings = List.copyOf(settings);
    }

    private static final String SEALED = "sealed:";

    /**
     * Compares two versions of one policy, labelling fields from the setting types known now.
     *
     * @param opened a sealed secret's clear value, so that a secret sealed twice (a different ciphertext each time)
     *        compares as what it holds; only compared, never shown
     */
    static PolicyDiff between(Policy from, Policy to, SettingTypes types, UnaryOperator<Object> opened) {
        Map<String, Setting> before = byKey(from.settings());
        Map<String, Setting> after = byKey(to.settings());
        Set<String> keys = new LinkedHashSet<>(after.keySet());
        keys.addAll(before.keySet());
        List<SettingChange> changes = new ArrayList<>();
        for (String key : keys) {
            Setting old = before.get(key);
            Setting now = after.get(key);
            Setting either = now != null ? now : old;
            Optional<SettingType> type = types.get(either.type());
            Change change = old == null ? Change.ADDED : now == null ? Change.REMOVED : Change.CHANGED;
            List<FieldChange> fields = fields(type, old == null ? Map.of() : old.value(), now == null ? Map.of() : now.value(), opened);
            if (change != Change.CHANGED || !fields.isEmpty()) {
                changes.add(new SettingChange(key, either.type(), type.map(SettingType::title).orElse(either.type()), change, fields));
            }
        }
        Optional<FieldChange> name = from.name().equals(to.name()) ? Optional.empty()
                : Optional.of(new FieldChange("name", "Name", Change.CHANGED, false, Optional.of(from.name()), Optional.of(to.name())));
        return new PolicyDiff(to.id(), from.version(), to.version(), name, changes);
    }

    private static List<FieldChange> fields(Optional<SettingType> type, Map<String, Object> before, Map<String, Object> after,
                                            UnaryOperator<Object> opened) {
        Set<String> secret = type.map(SettingSecrets::fields).orElse(Set.of());
        Set<String> names = new LinkedHashSet<>();
        // The schema's order first, as the form shows the fields; then anything the schema no longer names.
        type.ifPresent(known -> known.schema().path("properties").fieldNames().forEachRemaining(names::add));
        names.addAll(after.keySet());
        names.addAll(before.keySet());
        List<FieldChange> fields = new ArrayList<>();
        for (String field : names) {
            boolean inBefore = before.containsKey(field);
            boolean inAfter = after.containsKey(field);
            boolean hidden = secret.contains(field) || isSealed(before.get(field)) || isSealed(after.get(field));
            boolean same = inBefore && inAfter && (hidden
                    ? Objects.equals(opened.apply(before.get(field)), opened.apply(after.get(field)))
                    : Objects.equals(before.get(field), after.get(field)));
            if ((!inBefore && !inAfter) || same) {
                continue;
            }
            Change change = !inBefore ? Change.ADDED : !inAfter ? Change.REMOVED : Change.CHANGED;
            fields.add(new FieldChange(field, label(type, field), change, hidden,
                    hidden || !inBefore ? Optional.empty() : Optional.ofNullable(before.get(field)),
                    hidden || !inAfter ? Optional.empty() : Optional.ofNullable(after.get(field))));
        }
        return fields;
    }

    private static String label(Optional<SettingType> type, String field) {
        JsonNode title = type.map(known -> known.schema().path("properties").path(field).path("title")).orElse(null);
        return title != null && title.isTextual() && !title.asText().isBlank() ? title.asText() : field;
    }

    private static boolean isSealed(Object value) {
        return value instanceof String text && text.startsWith(SEALED);
    }

    private static Map<String, Setting> byKey(List<Setting> settings) {
        Map<String, Setting> byKey = new LinkedHashMap<>();
        settings.forEach(setting -> byKey.put(setting.key(), setting));
        return byKey;
    }
}
