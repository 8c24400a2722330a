package dev.shepherd.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.shepherd.api.policy.SettingTypeDefinition;
import dev.shepherd.api.policy.SettingTypeProvider;
import dev.shepherd.plugin.ExtensionRegistry;
import dev.shepherd.plugin.PluginCallException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The setting types of the policy model: the kernel's own, and those plugins add while they run. Values are
 * validated against each type's JSON Schema (draft 2020-12).
 */
public final class SettingTypes implements ExtensionRegistry.Listener {

    private static final Logger log = LoggerFactory.getLogger(SettingTypes.class);
    public static final List<String> BUILT_IN = List.of("passcode", "encryption", "screen_lock", "wifi", "vpn", "certificate",
            "email", "restrictions", "os_update", "app_config", "dlp", "raw_payload");
    private static final Set<String> FIELD_MERGES = Set.of("max", "min", "min-positive", "or", "and");
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_.-]{0,99}");

    private final ObjectMapper json;
    private final SchemaRegistry schemas = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final Map<String, SettingType> types = new ConcurrentHashMap<>();
    private final Map<ExtensionRegistry.Registration<?>, List<String>> contributed = new ConcurrentHashMap<>();

    public SettingTypes(ObjectMapper json) {
        this.json = requireNonNull(json, "json is null");
        for (String name : BUILT_IN) {
            try (InputStream in = SettingTypes.class.getResourceAsStream("settings/" + name + ".json")) {
                if (in == null) {
                    throw new IllegalStateException("the schema of setting type " + name + " is missing");
                }
                types.put(name, define(name, json.readTree(in), "kernel"));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the schema of setting type " + name, e);
            }
        }
    }

    public Optional<SettingType> get(String name) {
        return Optional.ofNullable(types.get(name));
    }

    /** @return every type, by name */
    public Map<String, SettingType> all() {
        return new TreeMap<>(types);
    }

    /**
     * Validates a value against its type's schema.
     *
     * @return the problems, each as {@code path: message}; empty when valid
     */
    public List<String> validate(SettingType type, JsonNode value) {
        List<String> problems = new ArrayList<>();
        for (Error error : type.validator().validate(value)) {
            String location = error.getInstanceLocation() == null ? "" : error.getInstanceLocation().toString();
            problems.add((location.isEmpty() ? "/" : location) + ": " + error.getMessage());
        }
        return problems;
    }

    /**
     * Checks and compiles a type definition.
     *
     * @throws IllegalArgumentException when the schema is unusable
     */
    public SettingType define(String name, JsonNode schema, String source) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("setting type names are lower case letters, digits, '_', '.' and '-': " + name);
        }
        if (!schema.isObject() || !"object".equals(schema.path("type").asText())) {
            throw new IllegalArgumentException("the schema of setting type " + name + " must describe an object");
        }
        String merge = schema.path("x-shepherd-merge").asText("highest-priority");
        if (!merge.equals("highest-priority") && !merge.equals("fieldwise")) {
            throw new IllegalArgumentException("x-shepherd-merge of " + name + " is highest-priority or fieldwise, not " + merge);
        }
        Optional<String> key = schema.hasNonNull("x-shepherd-key") ? Optional.of(schema.get("x-shepherd-key").asText()) : Optional.empty();
        if (key.isPresent() && !schema.path("properties").has(key.get())) {
            throw new IllegalArgumentException("x-shepherd-key of " + name + " names no property: " + key.get());
        }
        if (merge.equals("fieldwise")) {
            Iterator<Map.Entry<String, JsonNode>> properties = schema.path("properties").fields();
            while (properties.hasNext()) {
                Map.Entry<String, JsonNode> property = properties.next();
                String fieldMerge = property.getValue().path("x-shepherd-merge").asText("");
                if (!fieldMerge.isEmpty() && !FIELD_MERGES.contains(fieldMerge)) {
                    throw new IllegalArgumentException(name + "." + property.getKey() + ": x-shepherd-merge is one of " + FIELD_MERGES);
                }
            }
        }
        Schema validator;
        try {
            validator = schemas.getSchema(schema);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the schema of setting type " + name + " is not a valid JSON Schema: " + e.getMessage(), e);
        }
        return new SettingType(name, schema, validator, key, merge.equals("fieldwise"), source);
    }

    @Override
    public void registered(ExtensionRegistry.Registration<?> registration) {
        if (registration.point() != SettingTypeProvider.class) {
            return;
        }
        SettingTypeProvider provider = (SettingTypeProvider) registration.extension();
        String pluginId = registration.owner().id();
        List<SettingTypeDefinition> definitions;
        try {
            definitions = registration.owner().call("SettingTypeProvider.settingTypes", provider::settingTypes);
        } catch (PluginCallException e) {
            return;
        }
        List<String> added = new ArrayList<>();
        for (SettingTypeDefinition definition : definitions == null ? List.<SettingTypeDefinition>of() : definitions) {
            try {
                if (!definition.name().startsWith(pluginId + ".")) {
                    throw new IllegalArgumentException("plugin setting types are named " + pluginId + ".<name>");
                }
                SettingType type = define(definition.name(), json.readTree(definition.jsonSchema()), pluginId);
                types.put(type.name(), type);
                added.add(type.name());
                log.info("Plugin {} added setting type {}", pluginId, type.name());
            } catch (IOException | RuntimeException e) {
                log.warn("Plugin {} offered an unusable setting type {}: {}", pluginId, definition.name(), e.getMessage());
            }
        }
        contributed.put(registration, added);
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
        List<String> names = contributed.remove(registration);
        if (names != null) {
            names.forEach(types::remove);
        }
    }
}
