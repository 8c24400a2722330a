package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.plugins.identity.scim.Attribute.Type;
import dev.shepherd.plugins.identity.scim.Filter.Operator;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Applies a {@link Filter} to a resource, or to one value of a multi-valued attribute, by the rules of RFC 7644
 * §3.4.2.2 and the schema: attribute names in any case; strings compared in any case unless the attribute is
 * {@code caseExact} ({@code id}, {@code externalId}; {@code userName} is not); a multi-valued attribute matches when
 * any of its values does, and a multi-valued complex attribute without a sub-attribute is compared by its
 * {@code value}; {@code dateTime} attributes compared as instants, numbers as numbers; booleans only with {@code eq}
 * and {@code ne}. Attributes the schema does not define match nothing.
 */
final class FilterEvaluator {

    private FilterEvaluator() {
    }

    /** The values a path reaches and the schema's definition of them. */
    private record Resolved(List<JsonNode> leaves, Optional<Attribute> definition, Optional<Attribute> attribute, JsonNode node) {
    }

    /**
     * Refuses, as {@code invalidFilter}, comparisons the schema rules out: {@code gt} and its kin on booleans,
     * {@code co}, {@code sw} and {@code ew} on non-strings, a complex attribute compared as a whole, and a value path
     * on an attribute that is not multi-valued.
     */
    static void check(Filter filter, ResourceType type) {
        check(filter, path -> resourceDefinitions(path, type));
    }

    /** {@link #check} for a value path's filter, whose paths name sub-attributes of {@code multiValued}. */
    static void checkWithin(Filter filter, Attribute multiValued) {
        check(filter, path -> new Definitions(multiValued.subAttributes(), multiValued.subAttribute(path.attribute())));
    }

    static boolean matches(Filter filter, ObjectNode resource, ResourceType type) {
        return evaluate(filter, path -> resolveInResource(resource, type, path));
    }

    /** Whether one value of a multi-valued attribute matches a value path's filter. */
    static boolean matchesValue(Filter filter, JsonNode value, Attribute multiValued) {
        return evaluate(filter, path -> resolveInValue(value, multiValued, path));
    }

    private interface Scope {
        Resolved resolve(AttributePath path);
    }

    private record Definitions(List<Attribute> all, Optional<Attribute> attribute) {
    }

    private interface DefinitionScope {
        Definitions definitions(AttributePath path);
    }

    private static void check(Filter filter, DefinitionScope scope) {
        if (filter instanceof Filter.And and) {
            check(and.left(), scope);
            check(and.right(), scope);
        } else if (filter instanceof Filter.Or or) {
            check(or.left(), scope);
            check(or.right(), scope);
        } else if (filter instanceof Filter.Not not) {
            check(not.inner(), scope);
        } else if (filter instanceof Filter.ValuePath valuePath) {
            Optional<Attribute> attribute = scope.definitions(valuePath.path()).attribute();
            if (attribute.isPresent()) {
                if (!attribute.get().multiValued() || attribute.get().type() != Type.COMPLEX || valuePath.path().subAttribute().isPresent()) {
                    throw ScimException.invalidFilter("'" + valuePath.path() + "' is not a multi-valued attribute; a filter in brackets selects values of one.");
                }
                checkWithin(valuePath.filter(), attribute.get());
            }
        } else if (filter instanceof Filter.Comparison comparison) {
            checkComparison(comparison, leafDefinition(scope.definitions(comparison.path()).attribute(), comparison.path()));
        }
    }

    private static void checkComparison(Filter.Comparison comparison, Optional<Attribute> leaf) {
        if (leaf.isEmpty()) {
            return;
        }
        Type type = leaf.get().type();
        Operator operator = comparison.operator();
        if (type == Type.COMPLEX) {
            throw ScimException.invalidFilter("'" + comparison.path() + "' is complex: compare one of its sub-attributes.");
        }
        if (type == Type.BOOLEAN && operator != Operator.EQ && operator != Operator.NE) {
            throw ScimException.invalidFilter("'" + comparison.path() + "' is a boolean: only eq and ne compare it.");
        }
        boolean textual = type == Type.STRING || type == Type.REFERENCE;
        if (!textual && (operator == Operator.CO || operator == Operator.SW || operator == Operator.EW)) {
            throw ScimException.invalidFilter("'" + comparison.path() + "' is not a string: co, sw and ew compare strings.");
        }
    }

    private static Definitions resourceDefinitions(AttributePath path, ResourceType type) {
        List<Attribute> attributes = attributesOf(path, type);
        return new Definitions(attributes, Attribute.find(attributes, path.attribute()));
    }

    /** The attributes a path's schema part names: the core's (with the common ones), an extension's, or none. */
    private static List<Attribute> attributesOf(AttributePath path, ResourceType type) {
        if (path.schema().isEmpty() || type.core().isNamed(path.schema().get())) {
            List<Attribute> all = new ArrayList<>(type.core().attributes());
            all.addAll(ResourceType.Schemas.COMMON);
            return all;
        }
        return type.extension(path.schema().get()).map(ResourceSchema::attributes).orElse(List.of());
    }

    /** The definition of what a path compares: its sub-attribute, or the {@code value} of a multi-valued complex attribute. */
    private static Optional<Attribute> leafDefinition(Optional<Attribute> attribute, AttributePath path) {
        if (attribute.isEmpty()) {
            return Optional.empty();
        }
        if (path.subAttribute().isPresent()) {
            return attribute.get().subAttribute(path.subAttribute().get());
        }
        if (attribute.get().multiValued() && attribute.get().type() == Type.COMPLEX) {
            return attribute.get().subAttribute("value");
        }
        return attribute;
    }

    private static Resolved resolveInResource(ObjectNode resource, ResourceType type, AttributePath path) {
        JsonNode container = resource;
        if (path.schema().isPresent() && !type.core().isNamed(path.schema().get())) {
            Optional<ResourceSchema> extension = type.extension(path.schema().get());
            container = extension.map(schema -> resource.get(schema.id())).orElse(null);
        }
        Optional<Attribute> attribute = resourceDefinitions(path, type).attribute();
        if (container == null || attribute.isEmpty()) {
            return new Resolved(List.of(), Optional.empty(), Optional.empty(), null);
        }
        JsonNode node = Values.field(container, attribute.get().name());
        return new Resolved(leaves(node, path), leafDefinition(attribute, path), attribute, node);
    }

    private static Resolved resolveInValue(JsonNode value, Attribute multiValued, AttributePath path) {
        Optional<Attribute> attribute = multiValued.subAttribute(path.attribute());
        if (attribute.isEmpty() || path.subAttribute().isPresent() || path.schema().isPresent()) {
            return new Resolved(List.of(), Optional.empty(), Optional.empty(), null);
        }
        JsonNode node = Values.field(value, attribute.get().name());
        return new Resolved(node == null || node.isNull() ? List.of() : List.of(node), attribute, attribute, node);
    }

    private static List<JsonNode> leaves(JsonNode node, AttributePath path) {
        List<JsonNode> leaves = new ArrayList<>();
        if (node == null || node.isNull()) {
            return leaves;
        }
        if (node.isArray()) {
            for (JsonNode element : node) {
                addLeaf(element.isObject() ? Values.field(element, path.subAttribute().orElse("value")) : path.subAttribute().isEmpty() ? element : null, leaves);
            }
        } else if (node.isObject()) {
            addLeaf(path.subAttribute().map(sub -> Values.field(node, sub)).orElse(node), leaves);
        } else if (path.subAttribute().isEmpty()) {
            addLeaf(node, leaves);
        }
        return leaves;
    }

    private static void addLeaf(JsonNode leaf, List<JsonNode> leaves) {
        if (leaf != null && !leaf.isNull()) {
            leaves.add(leaf);
        }
    }

    private static boolean evaluate(Filter filter, Scope scope) {
        if (filter instanceof Filter.And and) {
            return evaluate(and.left(), scope) && evaluate(and.right(), scope);
        }
        if (filter instanceof Filter.Or or) {
            return evaluate(or.left(), scope) || evaluate(or.right(), scope);
        }
        if (filter instanceof Filter.Not not) {
            return !evaluate(not.inner(), scope);
        }
        if (filter instanceof Filter.Present present) {
            return scope.resolve(present.path()).leaves().stream().anyMatch(FilterEvaluator::nonEmpty);
        }
        if (filter instanceof Filter.ValuePath valuePath) {
            Resolved resolved = scope.resolve(valuePath.path());
            if (resolved.attribute().isEmpty() || resolved.node() == null) {
                return false;
            }
            List<JsonNode> values = new ArrayList<>();
            if (resolved.node().isObject()) {
                values.add(resolved.node());
            } else {
                resolved.node().forEach(values::add);
            }
            return values.stream().anyMatch(value -> matchesValue(valuePath.filter(), value, resolved.attribute().get()));
        }
        Filter.Comparison comparison = (Filter.Comparison) filter;
        return compareAny(scope.resolve(comparison.path()), comparison);
    }

    private static boolean nonEmpty(JsonNode leaf) {
        return !(leaf.isTextual() && leaf.textValue().isEmpty()) && !(leaf.isContainerNode() && leaf.isEmpty());
    }

    private static boolean compareAny(Resolved resolved, Filter.Comparison comparison) {
        if (comparison.value().isNull()) {
            boolean present = resolved.leaves().stream().anyMatch(FilterEvaluator::nonEmpty);
            return switch (comparison.operator()) {
                case EQ -> !present;
                case NE -> present;
                default -> throw ScimException.invalidFilter("Only eq and ne compare with null.");
            };
        }
        if (comparison.operator() == Operator.NE) {
            return resolved.leaves().stream().noneMatch(leaf -> compare(leaf, Operator.EQ, comparison.value(), resolved.definition()));
        }
        return resolved.leaves().stream().anyMatch(leaf -> compare(leaf, comparison.operator(), comparison.value(), resolved.definition()));
    }

    private static boolean compare(JsonNode leaf, Operator operator, JsonNode value, Optional<Attribute> definition) {
        Type type = definition.map(Attribute::type).orElse(Type.STRING);
        if (type == Type.BOOLEAN || leaf.isBoolean()) {
            Optional<Boolean> left = Values.bool(leaf);
            Optional<Boolean> right = Values.bool(value);
            return left.isPresent() && right.isPresent() && left.equals(right) == (operator == Operator.EQ);
        }
        if (leaf.isNumber() && value.isNumber()) {
            return ordered(leaf.decimalValue().compareTo(value.decimalValue()), operator);
        }
        if (!leaf.isTextual() || !value.isTextual()) {
            return false;
        }
        if (type == Type.DATE_TIME) {
            try {
                return ordered(OffsetDateTime.parse(leaf.textValue()).toInstant().compareTo(OffsetDateTime.parse(value.textValue()).toInstant()),
                        operator);
            } catch (DateTimeParseException e) {
                throw ScimException.invalidFilter("'" + value.textValue() + "' is not a date and time such as 2024-01-31T08:00:00Z.");
            }
        }
        boolean caseExact = definition.map(Attribute::caseExact).orElse(false);
        String left = caseExact ? leaf.textValue() : leaf.textValue().toLowerCase(Locale.ROOT);
        String right = caseExact ? value.textValue() : value.textValue().toLowerCase(Locale.ROOT);
        return switch (operator) {
            case CO -> left.contains(right);
            case SW -> left.startsWith(right);
            case EW -> left.endsWith(right);
            default -> ordered(left.compareTo(right), operator);
        };
    }

    private static boolean ordered(int comparison, Operator operator) {
        return switch (operator) {
            case EQ -> comparison == 0;
            case NE -> comparison != 0;
            case GT -> comparison > 0;
            case GE -> comparison >= 0;
            case LT -> comparison < 0;
            case LE -> comparison <= 0;
            default -> false;
        };
    }
}
