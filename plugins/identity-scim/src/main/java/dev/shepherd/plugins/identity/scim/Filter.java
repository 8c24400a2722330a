package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A parsed RFC 7644 §3.4.2.2 filter. {@link FilterParser} builds it, {@link FilterEvaluator} applies it to resources
 * and to the values of a multi-valued attribute (PATCH paths such as {@code members[value eq "…"]}).
 */
sealed interface Filter {

    /** The comparison operators of RFC 7644 §3.4.2.2, Table 3. */
    enum Operator { EQ, NE, CO, SW, EW, GT, GE, LT, LE }

    /** Both sides match. */
    record And(Filter left, Filter right) implements Filter {
        public And {
            requireNonNull(left, "left is null");
            requireNonNull(right, "right is null");
        }
    }

    /** Either side matches. */
    record Or(Filter left, Filter right) implements Filter {
        public Or {
            requireNonNull(left, "left is null");
            requireNonNull(right, "right is null");
        }
    }

    /** The inner filter does not match. */
    record Not(Filter inner) implements Filter {
        public Not {
            requireNonNull(inner, "inner is null");
        }
    }

    /** {@code attrPath pr}: the attribute has a non-empty value. */
    record Present(AttributePath path) implements Filter {
        public Present {
            requireNonNull(path, "path is null");
        }
    }

    /**
     * {@code attrPath op value}.
     *
     * @param value a JSON string, number, boolean or null
     */
    record Comparison(AttributePath path, Operator operator, JsonNode value) implements Filter {
        public Comparison {
            requireNonNull(path, "path is null");
            requireNonNull(operator, "operator is null");
            requireNonNull(value, "value is null");
        }
    }

    /** {@code attrPath[filter]}: some value of a multi-valued attribute matches the filter, whose paths are its sub-attributes. */
    record ValuePath(AttributePath path, Filter filter) implements Filter {
        public ValuePath {
            requireNonNull(path, "path is null");
            requireNonNull(filter, "filter is null");
        }
    }
}
