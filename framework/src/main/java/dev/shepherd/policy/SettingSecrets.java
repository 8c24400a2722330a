package dev.shepherd.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.security.SecretBox;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * The secrets inside settings — the top-level fields a setting type's schema marks {@code writeOnly}, such as a Wi-Fi
 * password or a VPN's shared secret. They are sealed with the server's key before a policy is stored, stay sealed
 * through the kernel (effective settings, command parameters), are opened only when handed to a platform plugin, and
 * never appear in what admins read back: an admin editing a policy leaves a secret out to keep it.
 */
public final class SettingSecrets {

    private static final String PREFIX = "sealed:v1:";

    private final SecretBox box;

    public SettingSecrets(SecretBox box) {
        this.box = requireNonNull(box, "box is null");
    }

    /** @return the names of a type's secret fields */
    public static Set<String> fields(SettingType type) {
        Set<String> names = new TreeSet<>();
        type.schema().path("properties").fields().forEachRemaining(property -> {
            if (property.getValue().path("writeOnly").asBoolean(false)) {
                names.add(property.getKey());
            }
        });
        return names;
    }

    /**
     * A value whose secret fields are sealed, ready to be stored. A secret that is unchanged from the previous version
     * keeps its sealed form, so an edit that does not touch it does not make the setting look changed to devices.
     *
     * @param previous the same setting in the version being replaced; empty for a new one
     */
    public Map<String, Object> seal(SettingType type, Map<String, Object> value, Map<String, Object> previous) {
        Set<String> secret = fields(type);
        Map<String, Object> sealed = new LinkedHashMap<>(value);
        sealed.replaceAll((name, field) -> {
            if (!secret.contains(name) || !(field instanceof String text) || text.startsWith(PREFIX)) {
                return field;
            }
            if (previous.get(name) instanceof String before && before.startsWith(PREFIX) && text.equals(open(before))) {
                return before;
            }
            return PREFIX + box.encrypt(text);
        });
        return sealed;
    }

    /** A value with every sealed field opened, for a platform plugin. */
    public Object open(Object value) {
        if (value instanceof String text && text.startsWith(PREFIX)) {
            return box.decrypt(text.substring(PREFIX.length()));
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> opened = new LinkedHashMap<>();
            map.forEach((name, field) -> opened.put(String.valueOf(name), open(field)));
            return opened;
        }
        if (value instanceof List<?> list) {
            List<Object> opened = new ArrayList<>();
            list.forEach(item -> opened.add(open(item)));
            return opened;
        }
        return value;
    }

    /** @see #open(Object) */
    @SuppressWarnings("unchecked")
    public Map<String, Object> openMap(Map<String, Object> value) {
        return (Map<String, Object>) open(value);
    }

    /**
     * A value for admins to read: its secret fields left out, sealed or not (a clear one, stored by an older server,
     * may be read before {@link StoredSecretSweep} has sealed it).
     */
    public static Map<String, Object> hidden(Optional<SettingType> type, Map<String, Object> value) {
        Set<String> secret = type.map(SettingSecrets::fields).orElse(Set.of());
        Map<String, Object> shown = new LinkedHashMap<>();
        value.forEach((name, field) -> {
            if (!secret.contains(name) && !(field instanceof String text && text.startsWith(PREFIX))) {
                shown.put(name, field);
            }
        });
        return shown;
    }

    /**
     * An edited setting's input with the secrets the admin left out taken from the setting as stored, opened, so the
     * schema validates the whole value as before.
     */
    public JsonNode keep(SettingType type, JsonNode input, Map<String, Object> stored) {
        if (!(input instanceof ObjectNode object)) {
            return input;
        }
        ObjectNode kept = object.deepCopy();
        for (String name : fields(type)) {
            if (!kept.has(name) && stored.get(name) instanceof String text) {
                kept.put(name, text.startsWith(PREFIX) ? box.decrypt(text.substring(PREFIX.length())) : text);
            }
        }
        return kept;
    }
}
