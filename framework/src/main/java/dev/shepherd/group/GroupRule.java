package dev.shepherd.group;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The rule of a smart group: conditions on device and user attributes combined with all, any and not.
 * Written as JSON, for example
 * {@code {"all":[{"attribute":"platform","op":"eq","value":"ios"},{"attribute":"osVersion","op":"lt","value":"17"}]}}.
 * See {@link RuleAttribute} for the attributes and the operators each takes.
 */
public sealed interface GroupRule {

    /** Every part holds. */
    record All(List<GroupRule> rules) implements GroupRule {
        public All {
            rules = List.copyOf(rules);
            if (rules.isEmpty()) {
                throw new IllegalArgumentException("'all' needs at least one rule");
            }
        }
    }

    /** At least one part holds. */
    record Any(List<GroupRule> rules) implements GroupRule {
        public Any {
            rules = List.copyOf(rules);
            if (rules.isEmpty()) {
                throw new IllegalArgumentException("'any' needs at least one rule");
            }
        }
    }

    /** The part does not hold. */
    record Not(GroupRule rule) implements GroupRule {
        public Not {
            requireNonNull(rule, "rule is null");
        }
    }

    /**
     * One comparison.
     *
     * @param attribute what is compared, such as {@code platform} or {@code attribute.costCenter}
     * @param operator how
     * @param values the value(s) compared with: one, except for {@code in}, none for {@code exists}
     */
    record Condition(String attribute, Operator operator, List<String> values) implements GroupRule {
        public Condition {
            requireNonNull(attribute, "attribute is null");
            requireNonNull(operator, "operator is null");
            values = List.copyOf(values);
        }
    }

    /** The comparisons a condition can make. */
    enum Operator {
        EQ("eq"), NE("ne"), IN("in"), STARTS_WITH("startsWith"), ENDS_WITH("endsWith"), GT("gt"), GTE("gte"),
        LT("lt"), LTE("lte"), HAS("has"), HAS_NOT("hasNot"), EXISTS("exists");

        private final String json;

        Operator(String json) {
            this.json = json;
        }

        public String json() {
            return json;
        }

        static Operator fromJson(String text) {
            for (Operator operator : values()) {
                if (operator.json.equals(text)) {
                    return operator;
                }
            }
            throw new IllegalArgumentException("unknown operator '" + text + "'");
        }
    }
}
