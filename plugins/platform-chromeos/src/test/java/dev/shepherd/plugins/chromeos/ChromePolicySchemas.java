package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.google.discovery.FieldViolation;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Google's Chrome policy schemas as published ({@code src/test/resources/chrome-policy}, see its README): which schema
 * names exist, and which fields each takes with which types. The discovery document cannot say this (a policy value is
 * an untyped object there), so {@link LocalGoogle} asks this class, and refuses what Google would refuse.
 */
final class ChromePolicySchemas {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final Pattern ENUM_PREFIX = Pattern.compile("[A-Z0-9_]*ENUM_");

    private final JsonNode schemas;

    private ChromePolicySchemas(JsonNode schemas) {
        this.schemas = schemas;
    }

    /** The schemas checked into the test resources. */
    static ChromePolicySchemas published() {
        try (InputStream in = ChromePolicySchemas.class.getResourceAsStream("/chrome-policy/schemas.json")) {
            return new ChromePolicySchemas(JSON.readTree(requireNonNull(in, "chrome-policy/schemas.json is not on the class path")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether Google lists a schema of this name. */
    boolean exists(String schema) {
        return schemas.has(schema);
    }

    /** Whether any schema lies in this namespace, such as {@code chrome.users}. */
    boolean namespaceExists(String namespace) {
        Iterator<String> names = schemas.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (name.startsWith(namespace + ".") && name.indexOf('.', namespace.length() + 1) < 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether the schema has a top-level field of this name. */
    boolean hasField(String schema, String field) {
        return schemas.path(schema).has(field);
    }

    /**
     * Everything wrong with a policy value of a schema: an unknown schema, unknown fields, values of the wrong type or
     * outside an enum.
     *
     * @param schema the policy schema's name
     * @param value the value object
     * @param at where the value sits in the request, such as {@code requests[0].policyValue}
     */
    List<FieldViolation> check(String schema, JsonNode value, String at) {
        List<FieldViolation> violations = new ArrayList<>();
        if (!exists(schema)) {
            violations.add(new FieldViolation(at + ".policySchema", "Policy schema " + schema + " does not exist."));
            return violations;
        }
        checkMessage(schemas.get(schema), value, at + ".value", schema, violations);
        return violations;
    }

    private void checkMessage(JsonNode fields, JsonNode value, String at, String schema, List<FieldViolation> violations) {
        if (!value.isObject()) {
            violations.add(new FieldViolation(at, "Expected an object for " + schema + ", got " + value + "."));
            return;
        }
        if (fields.size() == 2 && fields.has("key") && fields.has("value")) {
            return; // a map entry message: the JSON object's keys are the map's keys
        }
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            String path = at + "." + entry.getKey();
            JsonNode spec = fields.get(entry.getKey());
            if (spec == null) {
                violations.add(new FieldViolation(path, "Unknown field " + entry.getKey() + " in " + schema + "."));
            } else if (!entry.getValue().isNull()) {
                checkField(spec, entry.getValue(), path, schema, violations);
            }
        }
    }

    private void checkField(JsonNode spec, JsonNode value, String at, String schema, List<FieldViolation> violations) {
        String type = spec.path("type").asText();
        boolean valid = switch (type) {
            case "BOOL" -> value.isBoolean();
            case "STRING" -> value.isTextual();
            case "INT32" -> integer(value);
            case "INT64" -> integer(value) || wrapped(value, "duration") || wrapped(value, "value");
            case "NULLABLE_DURATION" -> wrapped(value, "duration");
            case "ENUM" -> value.isTextual() && enumValue(spec.path("values"), value.asText());
            case "LIST" -> value.isArray() && allText(value);
            case "MESSAGE" -> {
                checkMessage(spec.path("fields"), value, at, schema, violations);
                yield true;
            }
            default -> true;
        };
        if (!valid) {
            violations.add(new FieldViolation(at, "Invalid value " + value + " for a " + type
                    + (type.equals("ENUM") ? " of " + spec.path("values") : "") + " field of " + schema + "."));
        }
    }

    private static boolean integer(JsonNode value) {
        return value.isIntegralNumber() || value.isTextual() && INTEGER.matcher(value.asText()).matches();
    }

    private static boolean wrapped(JsonNode value, String field) {
        return value.isObject() && value.size() == 1 && value.has(field) && integer(value.get(field));
    }

    private static boolean enumValue(JsonNode values, String value) {
        for (JsonNode known : values) {
            String name = known.asText();
            if (value.equals(name) || value.endsWith("_" + name)
                    && ENUM_PREFIX.matcher(value.substring(0, value.length() - name.length())).matches()) {
                return true;
            }
        }
        return false;
    }

    private static boolean allText(JsonNode array) {
        for (JsonNode item : array) {
            if (!item.isTextual()) {
                return false;
            }
        }
        return true;
    }
}
