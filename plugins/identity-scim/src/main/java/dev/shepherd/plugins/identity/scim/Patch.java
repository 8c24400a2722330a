package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.plugins.identity.scim.Attribute.Mutability;
import dev.shepherd.plugins.identity.scim.Attribute.Type;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Applies an RFC 7644 §3.5.2 PATCH request ({@code urn:ietf:params:scim:api:messages:2.0:PatchOp}) to a resource's
 * attributes: {@code add}, {@code remove} and {@code replace} (in any case: Entra ID writes {@code Replace}), with
 * and without {@code path}, including value paths ({@code members[value eq "…"]},
 * {@code emails[type eq "work"].value}). The operations apply in order and all or none: the caller stores the result
 * only when every operation applied.
 *
 * <p>Where the RFC leaves room, the service follows what provisioning clients send: {@code remove} of
 * {@code members} with a {@code value} list removes those members only (Entra ID's documented shape); {@code remove}
 * through a filter that matches nothing changes nothing, so a retried request succeeds; {@code add} or
 * {@code replace} through a filter of {@code eq} comparisons that matches nothing adds a value made of those
 * comparisons ({@code emails[type eq "work"].value} on a user without a work address gives them one); a complex
 * attribute given as a bare string sets its {@code value}.
 */
final class Patch {

    static final String PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    private static final int MAX_OPERATIONS = 1000;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private enum Op { ADD, REMOVE, REPLACE }

    /** A PATCH {@code path}: an attribute, optionally a filter selecting some of its values, optionally a sub-attribute of those. */
    private record Target(AttributePath attribute, Optional<Filter> filter, Optional<String> subAttribute) {
    }

    private final ResourceType type;
    private final String id;
    private final ObjectNode attributes;

    private Patch(ResourceType type, String id, ObjectNode attributes) {
        this.type = type;
        this.id = id;
        this.attributes = attributes;
    }

    /**
     * @param type the resource's type
     * @param id the resource's id, which an operation may repeat but not change
     * @param current the resource's canonical attributes; not changed
     * @param request the PATCH body
     * @return the patched attributes, canonical
     * @throws ScimException when the request is malformed or an operation cannot apply
     */
    static ObjectNode apply(ResourceType type, String id, ObjectNode current, JsonNode request) {
        requireNonNull(request, "request is null");
        if (!request.isObject()) {
            throw ScimException.invalidSyntax("A PATCH body is a JSON object with 'schemas' and 'Operations'.");
        }
        JsonNode schemas = Values.field(request, "schemas");
        boolean patchOp = false;
        if (schemas != null && schemas.isArray()) {
            for (JsonNode schema : schemas) {
                patchOp |= schema.isTextual() && schema.textValue().equalsIgnoreCase(PATCH_OP);
            }
        }
        if (!patchOp) {
            throw ScimException.invalidSyntax("A PATCH body's 'schemas' lists " + PATCH_OP + ".");
        }
        JsonNode operations = Values.field(request, "Operations");
        if (operations == null || !operations.isArray() || operations.isEmpty()) {
            throw ScimException.invalidSyntax("A PATCH body has a non-empty 'Operations' array.");
        }
        if (operations.size() > MAX_OPERATIONS) {
            throw ScimException.invalidSyntax("A PATCH body has at most " + MAX_OPERATIONS + " operations.");
        }
        Patch patch = new Patch(type, id, current.deepCopy());
        for (JsonNode operation : operations) {
            patch.apply(operation);
        }
        return Values.canonical(patch.attributes, type);
    }

    private void apply(JsonNode operation) {
        if (!operation.isObject()) {
            throw ScimException.invalidSyntax("Each PATCH operation is an object with 'op', and 'path' or 'value'.");
        }
        JsonNode opNode = Values.field(operation, "op");
        Op op;
        try {
            op = Op.valueOf(opNode == null || !opNode.isTextual() ? "" : opNode.textValue().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ScimException.invalidSyntax("A PATCH operation's 'op' is add, remove or replace.");
        }
        JsonNode pathNode = Values.field(operation, "path");
        JsonNode value = Values.field(operation, "value");
        if (pathNode == null || pathNode.isNull() || pathNode.isTextual() && pathNode.textValue().isBlank()) {
            if (op == Op.REMOVE) {
                throw ScimException.noTarget("A remove operation names its target in 'path'.");
            }
            if (value == null || !value.isObject()) {
                throw ScimException.invalidValue("An " + op.name().toLowerCase(Locale.ROOT)
                        + " operation without 'path' has an object of attributes as its 'value'.");
            }
            applyWithoutPath(op, (ObjectNode) value);
            return;
        }
        if (!pathNode.isTextual()) {
            throw ScimException.invalidPath("A PATCH operation's 'path' is a string.");
        }
        if (op != Op.REMOVE && (value == null || value.isNull())) {
            throw ScimException.invalidValue("An " + op.name().toLowerCase(Locale.ROOT) + " operation has a 'value'.");
        }
        applyToPath(op, target(pathNode.textValue()), value);
    }

    private void applyWithoutPath(Op op, ObjectNode value) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = value.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            Optional<ResourceSchema> extension = type.extension(name);
            if (extension.isPresent() && field.getValue().isObject()) {
                ObjectNode container = extensionContainer(extension.get());
                for (Iterator<Map.Entry<String, JsonNode>> extensionFields = field.getValue().fields(); extensionFields.hasNext(); ) {
                    Map.Entry<String, JsonNode> extensionField = extensionFields.next();
                    Optional<Attribute> attribute = extension.get().attribute(extensionField.getKey());
                    if (attribute.isPresent()) {
                        set(op, container, attribute.get(), extensionField.getValue());
                    }
                }
                dropIfEmpty(attributes, extension.get().id());
                continue;
            }
            if (name.equalsIgnoreCase("schemas") || name.equalsIgnoreCase("meta")) {
                continue;
            }
            Optional<Attribute> attribute = type.attribute(name);
            if (attribute.isEmpty()) {
                continue; // an attribute of a schema this service does not have, ignored as in a POST
            }
            set(op, attributes, attribute.get(), field.getValue());
        }
    }

    private void applyToPath(Op op, Target target, JsonNode value) {
        AttributePath path = target.attribute();
        ObjectNode container = attributes;
        Optional<Attribute> attribute;
        Optional<ResourceSchema> extension = Optional.empty();
        if (path.schema().isPresent() && !type.core().isNamed(path.schema().get())) {
            extension = type.extension(path.schema().get());
            if (extension.isEmpty()) {
                return; // a schema this service does not have: its attributes are ignored, as in a POST
            }
            attribute = extension.get().attribute(path.attribute());
            container = extensionContainer(extension.get());
        } else {
            attribute = type.attribute(path.attribute());
        }
        if (attribute.isEmpty()) {
            throw ScimException.invalidPath("'" + path + "' is not an attribute of a " + type.typeName() + ".");
        }
        Attribute definition = attribute.get();
        if (definition.mutability() == Mutability.WRITE_ONLY) {
            return; // the password: accepted and discarded, never kept
        }
        if (definition.mutability() == Mutability.READ_ONLY) {
            throw ScimException.mutability("'" + path + "' is read-only.");
        }
        if (target.filter().isPresent()) {
            applyToValues(op, container, definition, target.filter().get(), target.subAttribute(), value);
        } else if (path.subAttribute().isPresent()) {
            applyToSubAttribute(op, container, definition, path.subAttribute().get(), value);
        } else if (op == Op.REMOVE) {
            remove(container, definition, value);
        } else {
            set(op, container, definition, value);
        }
        extension.ifPresent(schema -> dropIfEmpty(attributes, schema.id()));
    }

    /** add or replace of a whole attribute: multi-valued ones gain values (add) or are replaced, complex ones merge. */
    private void set(Op op, ObjectNode container, Attribute attribute, JsonNode value) {
        if (attribute.name().equals("id")) {
            if (!value.isTextual() || !value.textValue().equals(id)) {
                throw ScimException.mutability("'id' is read-only.");
            }
            return;
        }
        if (attribute.mutability() == Mutability.READ_ONLY || attribute.mutability() == Mutability.WRITE_ONLY) {
            return;
        }
        if (attribute.multiValued()) {
            ArrayNode values = op == Op.ADD && container.get(attribute.name()) instanceof ArrayNode existing ? existing : NODES.arrayNode();
            JsonNode converted = Values.convert(attribute, value);
            if (converted != null) {
                for (JsonNode element : converted) {
                    if (!contains(values, element)) {
                        values.add(element);
                    }
                }
            }
            putOrDrop(container, attribute.name(), values);
            return;
        }
        JsonNode converted = Values.convert(attribute, attribute.type() == Type.COMPLEX ? complexValue(value) : value);
        if (attribute.type() == Type.COMPLEX && container.get(attribute.name()) instanceof ObjectNode existing && converted != null) {
            existing.setAll((ObjectNode) converted);
            return;
        }
        putOrDrop(container, attribute.name(), converted);
    }

    private void applyToSubAttribute(Op op, ObjectNode container, Attribute attribute, String subName, JsonNode value) {
        Attribute sub = attribute.subAttribute(subName)
                .orElseThrow(() -> ScimException.invalidPath("'" + attribute.name() + "' has no sub-attribute '" + subName + "'."));
        if (sub.mutability() == Mutability.READ_ONLY) {
            throw ScimException.mutability("'" + attribute.name() + "." + sub.name() + "' is read-only.");
        }
        if (attribute.multiValued()) {
            List<ObjectNode> values = objects(container.get(attribute.name()));
            if (values.isEmpty() && op != Op.REMOVE) {
                ArrayNode created = NODES.arrayNode();
                created.addObject();
                container.set(attribute.name(), created);
                values = objects(created);
            }
            for (ObjectNode element : values) {
                setSub(op, element, sub, value);
            }
            dropEmptyValues(container, attribute.name());
            return;
        }
        JsonNode existing = container.get(attribute.name());
        ObjectNode parent = existing instanceof ObjectNode object ? object : NODES.objectNode();
        setSub(op, parent, sub, value);
        putOrDrop(container, attribute.name(), parent.isEmpty() ? null : parent);
    }

    private static void setSub(Op op, ObjectNode element, Attribute sub, JsonNode value) {
        if (op == Op.REMOVE) {
            element.remove(sub.name());
        } else {
            putOrDrop(element, sub.name(), Values.convert(sub, value));
        }
    }

    private void applyToValues(Op op, ObjectNode container, Attribute attribute, Filter filter, Optional<String> subName, JsonNode value) {
        if (!attribute.multiValued() || attribute.type() != Type.COMPLEX) {
            throw ScimException.invalidPath("'" + attribute.name() + "' is not multi-valued; a filter in brackets selects values of one.");
        }
        try {
            FilterEvaluator.checkWithin(filter, attribute);
        } catch (ScimException e) {
            throw ScimException.invalidPath(e.detail());
        }
        Optional<Attribute> sub = subName.map(name -> attribute.subAttribute(name)
                .orElseThrow(() -> ScimException.invalidPath("'" + attribute.name() + "' has no sub-attribute '" + name + "'.")));
        List<ObjectNode> values = objects(container.get(attribute.name()));
        List<ObjectNode> matched = new ArrayList<>(values.stream().filter(element -> FilterEvaluator.matchesValue(filter, element, attribute)).toList());
        if (op == Op.REMOVE) {
            if (sub.isPresent()) {
                matched.forEach(element -> element.remove(sub.get().name()));
            } else {
                ArrayNode kept = NODES.arrayNode();
                values.stream().filter(element -> !FilterEvaluator.matchesValue(filter, element, attribute)).forEach(kept::add);
                container.set(attribute.name(), kept);
            }
            dropEmptyValues(container, attribute.name());
            return;
        }
        if (matched.isEmpty()) {
            ObjectNode created = valueFromEqualities(filter, attribute)
                    .orElseThrow(() -> ScimException.noTarget("No value of '" + attribute.name() + "' matches the filter."));
            ArrayNode array = container.get(attribute.name()) instanceof ArrayNode existing ? existing : container.putArray(attribute.name());
            array.add(created);
            matched.add(created);
        }
        for (ObjectNode element : matched) {
            if (sub.isPresent()) {
                setSub(op, element, sub.get(), value);
            } else {
                JsonNode converted = Values.convertOne(attribute, value);
                if (!(converted instanceof ObjectNode object)) {
                    throw ScimException.invalidValue("The value for '" + attribute.name() + "[…]' is an object of its sub-attributes.");
                }
                if (op == Op.REPLACE) {
                    element.removeAll();
                }
                element.setAll(object);
            }
        }
        dropEmptyValues(container, attribute.name());
    }

    /** Removes a whole attribute, or, for a multi-valued one given a {@code value} list, just those values. */
    private static void remove(ObjectNode container, Attribute attribute, JsonNode value) {
        if (!attribute.multiValued() || value == null || value.isNull()) {
            container.remove(attribute.name());
            return;
        }
        JsonNode converted = Values.convert(attribute, value);
        List<JsonNode> removed = new ArrayList<>();
        if (converted != null) {
            converted.forEach(removed::add);
        }
        ArrayNode kept = NODES.arrayNode();
        for (JsonNode element : container.path(attribute.name())) {
            boolean remove = removed.stream().anyMatch(gone -> sameValue(gone, element));
            if (!remove) {
                kept.add(element);
            }
        }
        putOrDrop(container, attribute.name(), kept);
    }

    /** Two values of a multi-valued attribute are the same when their {@code value}s are (the rest may differ). */
    private static boolean sameValue(JsonNode left, JsonNode right) {
        JsonNode leftValue = left.get("value");
        return leftValue != null ? leftValue.equals(right.get("value")) : left.equals(right);
    }

    private static boolean contains(ArrayNode values, JsonNode value) {
        for (JsonNode existing : values) {
            if (value.has("value") ? sameValue(value, existing) : value.equals(existing)) {
                return true;
            }
        }
        return false;
    }

    /** For a filter made of {@code eq} comparisons joined by {@code and}: the value those comparisons describe. */
    private static Optional<ObjectNode> valueFromEqualities(Filter filter, Attribute attribute) {
        ObjectNode value = NODES.objectNode();
        List<Filter> pending = new ArrayList<>(List.of(filter));
        while (!pending.isEmpty()) {
            Filter next = pending.remove(pending.size() - 1);
            if (next instanceof Filter.And and) {
                pending.add(and.left());
                pending.add(and.right());
            } else if (next instanceof Filter.Comparison comparison && comparison.operator() == Filter.Operator.EQ
                    && comparison.path().subAttribute().isEmpty() && comparison.path().schema().isEmpty()
                    && !comparison.value().isNull()) {
                Optional<Attribute> sub = attribute.subAttribute(comparison.path().attribute());
                if (sub.isEmpty()) {
                    return Optional.empty();
                }
                value.set(sub.get().name(), Values.convert(sub.get(), comparison.value()));
            } else {
                return Optional.empty();
            }
        }
        return Optional.of(value);
    }

    private Target target(String path) {
        try {
            int open = path.indexOf('[');
            if (open < 0) {
                return new Target(AttributePath.parse(path), Optional.empty(), Optional.empty());
            }
            int close = path.lastIndexOf(']');
            if (close < open) {
                throw ScimException.invalidPath("The path '" + path + "' opens a filter with '[' but does not close it.");
            }
            AttributePath attribute = AttributePath.parse(path.substring(0, open));
            String after = path.substring(close + 1);
            Optional<String> sub = Optional.empty();
            if (!after.isEmpty()) {
                if (!after.startsWith(".")) {
                    throw ScimException.invalidPath("The path '" + path + "' has '" + after + "' after its filter.");
                }
                sub = Optional.of(AttributePath.parse(after.substring(1)).attribute());
            }
            if (attribute.subAttribute().isPresent()) {
                throw ScimException.invalidPath("The path '" + path + "' filters a sub-attribute.");
            }
            Filter filter;
            try {
                filter = FilterParser.parse(path.substring(open + 1, close));
            } catch (ScimException e) {
                throw ScimException.invalidPath(e.detail());
            }
            return new Target(attribute, Optional.of(filter), sub);
        } catch (IllegalArgumentException e) {
            throw ScimException.invalidPath("The path '" + path + "' is not valid: " + e.getMessage() + ".");
        }
    }

    private ObjectNode extensionContainer(ResourceSchema extension) {
        return attributes.get(extension.id()) instanceof ObjectNode existing ? existing : attributes.putObject(extension.id());
    }

    /** A complex attribute given as a bare string sets its value; a one-element list gives its element. */
    private static JsonNode complexValue(JsonNode value) {
        if (value.isTextual()) {
            ObjectNode wrapped = NODES.objectNode();
            wrapped.set("value", value);
            return wrapped;
        }
        if (value.isArray() && value.size() == 1) {
            return complexValue(value.get(0));
        }
        return value;
    }

    private static List<ObjectNode> objects(JsonNode array) {
        List<ObjectNode> objects = new ArrayList<>();
        if (array != null && array.isArray()) {
            for (JsonNode element : array) {
                if (element instanceof ObjectNode object) {
                    objects.add(object);
                }
            }
        }
        return objects;
    }

    private static void dropEmptyValues(ObjectNode container, String name) {
        JsonNode values = container.get(name);
        if (values instanceof ArrayNode array) {
            ArrayNode kept = NODES.arrayNode();
            array.forEach(element -> {
                if (!element.isContainerNode() || !element.isEmpty()) {
                    kept.add(element);
                }
            });
            putOrDrop(container, name, kept);
        }
    }

    private static void dropIfEmpty(ObjectNode container, String name) {
        JsonNode value = container.get(name);
        if (value != null && value.isContainerNode() && value.isEmpty()) {
            container.remove(name);
        }
    }

    private static void putOrDrop(ObjectNode container, String name, JsonNode value) {
        if (value == null || value.isNull() || value.isContainerNode() && value.isEmpty()) {
            container.remove(name);
        } else {
            container.set(name, value);
        }
    }
}
