package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * An app's managed configuration as JSON Schema (draft 2020-12), converted from the {@code managedProperties} Google
 * reports for it ({@code ManagedProperty}, the app's Android restrictions). The schema accepts exactly the JSON values
 * AMAPI's {@code ApplicationPolicy.managedConfiguration} documents per type: BOOL a boolean, STRING and HIDDEN a
 * string, INTEGER an integer, CHOICE one of the entries' values, MULTISELECT an array of them, BUNDLE an object of its
 * nested properties, BUNDLE_ARRAY an array of such objects (its one nested BUNDLE describes the items). Keys the app
 * does not declare are refused, as Google ignores them.
 *
 * <p>Google's answer is bounded before it is trusted: at most {@value #MAX_DEPTH} levels of bundles and
 * {@value #MAX_PROPERTIES} properties in all; an app beyond that gets no schema (its configuration cannot be checked,
 * so none is accepted) rather than an unbounded one.
 */
public final class ManagedConfigurationSchema {

    /** The deepest nesting of bundles converted; Android's restrictions rarely nest beyond three. */
    public static final int MAX_DEPTH = 8;
    /** The most properties converted, over every level. */
    public static final int MAX_PROPERTIES = 1000;

    private final ObjectMapper json = new ObjectMapper();

    /** Why Google's description of an app's properties could not be converted. */
    public static final class UnusableSchemaException extends Exception {
        private static final long serialVersionUID = 1L;

        UnusableSchemaException(String message) {
            super(message);
        }
    }

    /**
     * @param managedProperties the app's {@code managedProperties} as Google reports them (an array, or missing)
     * @return the schema, or empty when the app declares no managed configuration
     * @throws UnusableSchemaException when the properties are malformed or beyond the bounds
     */
    public Optional<ObjectNode> convert(JsonNode managedProperties) throws UnusableSchemaException {
        if (managedProperties == null || managedProperties.isMissingNode() || managedProperties.isNull()
                || managedProperties.isArray() && managedProperties.isEmpty()) {
            return Optional.empty();
        }
        if (!managedProperties.isArray()) {
            throw new UnusableSchemaException("managedProperties is not a list");
        }
        int[] counted = {0};
        ObjectNode schema = object(managedProperties, 1, counted);
        ObjectNode document = json.createObjectNode();
        document.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        document.setAll(schema);
        return Optional.of(document);
    }

    private ObjectNode object(JsonNode properties, int depth, int[] counted) throws UnusableSchemaException {
        if (depth > MAX_DEPTH) {
            throw new UnusableSchemaException("managed properties nest deeper than " + MAX_DEPTH + " levels");
        }
        ObjectNode object = json.createObjectNode();
        object.put("type", "object");
        object.put("additionalProperties", false);
        ObjectNode members = object.putObject("properties");
        for (JsonNode property : properties) {
            if (++counted[0] > MAX_PROPERTIES) {
                throw new UnusableSchemaException("the app declares more than " + MAX_PROPERTIES + " managed properties");
            }
            String key = property.path("key").asText("");
            if (key.isBlank() || key.length() > 255) {
                throw new UnusableSchemaException("a managed property has no usable key");
            }
            if (members.has(key)) {
                throw new UnusableSchemaException("the managed property " + key + " is declared twice");
            }
            members.set(key, property(property, key, depth, counted));
        }
        return object;
    }

    private ObjectNode property(JsonNode property, String key, int depth, int[] counted) throws UnusableSchemaException {
        String type = property.path("type").asText("");
        ObjectNode schema = switch (type) {
            case "BOOL" -> typed("boolean");
            case "STRING", "HIDDEN" -> typed("string");
            case "INTEGER" -> typed("integer");
            case "CHOICE" -> {
                ObjectNode choice = typed("string");
                choice.set("enum", entries(property, key));
                yield choice;
            }
            case "MULTISELECT" -> {
                ObjectNode multiselect = typed("array");
                multiselect.put("uniqueItems", true);
                multiselect.putObject("items").put("type", "string").set("enum", entries(property, key));
                yield multiselect;
            }
            case "BUNDLE" -> object(property.path("nestedProperties"), depth + 1, counted);
            case "BUNDLE_ARRAY" -> {
                // Android's bundle_array holds one bundle describing each item.
                JsonNode nested = property.path("nestedProperties");
                if (nested.size() != 1 || !"BUNDLE".equals(nested.get(0).path("type").asText(""))) {
                    throw new UnusableSchemaException("the managed property " + key + " is a BUNDLE_ARRAY without its one BUNDLE");
                }
                ObjectNode array = typed("array");
                array.set("items", object(nested.get(0).path("nestedProperties"), depth + 1, counted));
                yield array;
            }
            default -> throw new UnusableSchemaException("the managed property " + key + " has the unknown type '" + type + "'");
        };
        text(property, "title").ifPresent(title -> schema.put("title", title));
        text(property, "description").ifPresent(description -> schema.put("description", description));
        JsonNode defaultValue = property.get("defaultValue");
        if (defaultValue != null && !defaultValue.isNull() && !type.startsWith("BUNDLE")) {
            schema.set("default", defaultValue);
        }
        return schema;
    }

    private ObjectNode typed(String type) {
        return json.createObjectNode().put("type", type);
    }

    private ArrayNode entries(JsonNode property, String key) throws UnusableSchemaException {
        ArrayNode values = json.createArrayNode();
        for (JsonNode entry : property.path("entries")) {
            String value = entry.path("value").asText("");
            if (!value.isEmpty()) {
                values.add(value);
            }
        }
        if (values.isEmpty()) {
            throw new UnusableSchemaException("the managed property " + key + " offers no choices");
        }
        return values;
    }

    private static Optional<String> text(JsonNode node, String field) {
        String text = node.path(field).asText("");
        return text.isBlank() ? Optional.empty() : Optional.of(text);
    }
}
