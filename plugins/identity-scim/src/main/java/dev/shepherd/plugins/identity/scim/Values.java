package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.plugins.identity.scim.Attribute.Mutability;
import dev.shepherd.plugins.identity.scim.Attribute.Type;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Brings what clients send into the one form the service stores, compares and returns: attribute names spelled as
 * the schema spells them whatever case the client used, extension attributes under their schema's URN, values of the
 * schema's type (Entra ID sends booleans as the strings {@code "True"} and {@code "False"} in places: they become
 * booleans), nulls and empty values dropped (RFC 7643 §2.5: unassigned), read-only attributes ignored (RFC 7644
 * §3.3), and the password discarded unseen. A value of the wrong type is refused as {@code invalidValue}.
 */
final class Values {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Values() {
    }

    /** @return the key of an object's field named in any case */
    static Optional<String> keyOf(JsonNode object, String name) {
        if (object == null || !object.isObject()) {
            return Optional.empty();
        }
        if (object.has(name)) {
            return Optional.of(name);
        }
        String wanted = name.toLowerCase(Locale.ROOT);
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            if (key.toLowerCase(Locale.ROOT).equals(wanted)) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    /** @return an object's field named in any case, or null */
    static JsonNode field(JsonNode object, String name) {
        return keyOf(object, name).map(object::get).orElse(null);
    }

    /** A boolean, from a JSON boolean or the strings {@code true} and {@code false} in any case. */
    static Optional<Boolean> bool(JsonNode node) {
        if (node.isBoolean()) {
            return Optional.of(node.booleanValue());
        }
        if (node.isTextual()) {
            String text = node.textValue().trim().toLowerCase(Locale.ROOT);
            if (text.equals("true") || text.equals("false")) {
                return Optional.of(text.equals("true"));
            }
        }
        return Optional.empty();
    }

    /**
     * @param input a resource's attributes as a client sent them (a POST or PUT body, or the result of a PATCH)
     * @param type the resource's type
     * @return the canonical attributes, without {@code schemas}, {@code id} and {@code meta}
     */
    static ObjectNode canonical(ObjectNode input, ResourceType type) {
        ObjectNode output = NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> fields = input.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            if (name.equalsIgnoreCase("schemas")) {
                continue;
            }
            Optional<Attribute> attribute = type.attribute(name);
            if (attribute.isPresent()) {
                put(output, attribute.get(), field.getValue());
                continue;
            }
            Optional<ResourceSchema> extension = type.extension(name);
            if (extension.isPresent()) {
                JsonNode value = field.getValue();
                if (value.isNull()) {
                    continue;
                }
                if (!value.isObject()) {
                    throw ScimException.invalidValue("'" + extension.get().id() + "' holds the attributes of that extension as an object.");
                }
                ObjectNode extensionOutput = NODES.objectNode();
                for (Iterator<Map.Entry<String, JsonNode>> extensionFields = value.fields(); extensionFields.hasNext(); ) {
                    Map.Entry<String, JsonNode> extensionField = extensionFields.next();
                    Optional<Attribute> extensionAttribute = extension.get().attribute(extensionField.getKey());
                    if (extensionAttribute.isPresent()) {
                        put(extensionOutput, extensionAttribute.get(), extensionField.getValue());
                    }
                }
                if (!extensionOutput.isEmpty()) {
                    output.set(extension.get().id(), extensionOutput);
                }
            }
            // Attributes of schemas this service does not have are ignored, as RFC 7644 §3.3 allows.
        }
        return output;
    }

    private static void put(ObjectNode output, Attribute attribute, JsonNode value) {
        if (attribute.mutability() == Mutability.READ_ONLY || attribute.mutability() == Mutability.WRITE_ONLY) {
            return;
        }
        JsonNode converted = convert(attribute, value);
        if (converted != null) {
            output.set(attribute.name(), converted);
        }
    }

    /**
     * @return the value in canonical form for the attribute (an array for a multi-valued one), or null when it is
     *         unassigned
     */
    static JsonNode convert(Attribute attribute, JsonNode value) {
        return attribute.multiValued() ? multiple(attribute, value) : single(attribute, value, attribute.name());
    }

    /** @return one value of the attribute (one element of a multi-valued one) in canonical form, or null when empty */
    static JsonNode convertOne(Attribute attribute, JsonNode value) {
        return single(attribute, value, attribute.name());
    }

    private static JsonNode multiple(Attribute attribute, JsonNode value) {
        if (value.isNull()) {
            return null;
        }
        ArrayNode values = NODES.arrayNode();
        for (JsonNode element : value.isArray() ? value : List.of(value)) {
            JsonNode converted = single(attribute, element, attribute.name());
            if (converted != null && !contains(values, converted)) {
                values.add(converted);
            }
        }
        return values.isEmpty() ? null : values;
    }

    private static boolean contains(ArrayNode values, JsonNode value) {
        for (JsonNode existing : values) {
            if (existing.equals(value)) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode single(Attribute attribute, JsonNode value, String where) {
        if (value == null || value.isNull()) {
            return null;
        }
        return switch (attribute.type()) {
            case COMPLEX -> complex(attribute, value, where);
            case BOOLEAN -> NODES.booleanNode(bool(value).orElseThrow(() -> wrongType(where, "a boolean")));
            case INTEGER, DECIMAL -> number(attribute, value, where);
            case DATE_TIME -> {
                String text = text(value, where);
                try {
                    OffsetDateTime.parse(text);
                } catch (DateTimeParseException e) {
                    throw ScimException.invalidValue("'" + where + "' is a date and time such as 2024-01-31T08:00:00Z.");
                }
                yield NODES.textNode(text);
            }
            case STRING, REFERENCE -> {
                String text = text(value, where);
                yield text.isEmpty() ? null : NODES.textNode(text);
            }
        };
    }

    private static JsonNode complex(Attribute attribute, JsonNode value, String where) {
        if (!value.isObject()) {
            throw wrongType(where, "an object");
        }
        ObjectNode output = NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> fields = value.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            Optional<Attribute> sub = attribute.subAttribute(field.getKey());
            if (sub.isPresent() && sub.get().mutability() != Mutability.READ_ONLY) {
                JsonNode converted = single(sub.get(), field.getValue(), where + "." + sub.get().name());
                if (converted != null) {
                    output.set(sub.get().name(), converted);
                }
            }
        }
        return output.isEmpty() ? null : output;
    }

    private static JsonNode number(Attribute attribute, JsonNode value, String where) {
        try {
            BigDecimal number = value.isNumber() ? value.decimalValue() : new BigDecimal(text(value, where).trim());
            if (attribute.type() == Type.INTEGER) {
                return NODES.numberNode(number.toBigIntegerExact());
            }
            return NODES.numberNode(number);
        } catch (NumberFormatException | ArithmeticException e) {
            throw wrongType(where, attribute.type() == Type.INTEGER ? "an integer" : "a number");
        }
    }

    private static String text(JsonNode value, String where) {
        if (!value.isTextual()) {
            throw wrongType(where, "a string");
        }
        return value.textValue();
    }

    private static ScimException wrongType(String where, String expected) {
        return ScimException.invalidValue("'" + where + "' must be " + expected + ".");
    }
}
