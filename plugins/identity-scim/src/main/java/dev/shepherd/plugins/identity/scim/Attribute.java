package dev.shepherd.plugins.identity.scim;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One attribute of a SCIM schema (RFC 7643 §2.2, §7): what the service stores, compares and returns for it.
 *
 * @param name the attribute's name as the schema spells it; clients may use any case
 * @param type its data type
 * @param multiValued whether it holds a list
 * @param caseExact whether string comparisons (filters, uniqueness) respect case
 * @param mutability whether clients may set it
 * @param returned when it is returned
 * @param uniqueness the uniqueness the service enforces ({@code none} or {@code server})
 * @param required whether a resource must have it
 * @param subAttributes the sub-attributes of a complex attribute, empty otherwise
 * @param description what it is, for {@code /Schemas}
 */
record Attribute(String name, Type type, boolean multiValued, boolean caseExact, Mutability mutability, Returned returned,
                 String uniqueness, boolean required, List<Attribute> subAttributes, String description) {

    enum Type { STRING, BOOLEAN, DECIMAL, INTEGER, DATE_TIME, REFERENCE, COMPLEX }

    enum Mutability { READ_ONLY, READ_WRITE, IMMUTABLE, WRITE_ONLY }

    enum Returned { ALWAYS, NEVER, DEFAULT, REQUEST }

    Attribute {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type is null");
        requireNonNull(mutability, "mutability is null");
        requireNonNull(returned, "returned is null");
        requireNonNull(uniqueness, "uniqueness is null");
        subAttributes = List.copyOf(requireNonNull(subAttributes, "subAttributes is null"));
        requireNonNull(description, "description is null");
    }

    static Attribute string(String name, String description) {
        return new Attribute(name, Type.STRING, false, false, Mutability.READ_WRITE, Returned.DEFAULT, "none", false, List.of(), description);
    }

    static Attribute of(String name, Type type, String description) {
        return new Attribute(name, type, false, false, Mutability.READ_WRITE, Returned.DEFAULT, "none", false, List.of(), description);
    }

    static Attribute complex(String name, String description, Attribute... subAttributes) {
        return new Attribute(name, Type.COMPLEX, false, false, Mutability.READ_WRITE, Returned.DEFAULT, "none", false,
                List.of(subAttributes), description);
    }

    /** A multi-valued attribute with RFC 7643 §2.4's usual sub-attributes: value, display, type and primary. */
    static Attribute multiValued(String name, String description, Attribute.Type valueType) {
        return new Attribute(name, Type.COMPLEX, true, false, Mutability.READ_WRITE, Returned.DEFAULT, "none", false,
                List.of(of("value", valueType, "The value"), string("display", "A name for display"),
                        string("type", "A label such as work or home"), of("primary", Type.BOOLEAN, "Whether it is the preferred one")),
                description);
    }

    Attribute withCaseExact() {
        return new Attribute(name, type, multiValued, true, mutability, returned, uniqueness, required, subAttributes, description);
    }

    Attribute withMutability(Mutability newMutability) {
        return new Attribute(name, type, multiValued, caseExact, newMutability, returned, uniqueness, required, subAttributes, description);
    }

    Attribute withReturned(Returned newReturned) {
        return new Attribute(name, type, multiValued, caseExact, mutability, newReturned, uniqueness, required, subAttributes, description);
    }

    Attribute requiredAndUnique(String newUniqueness) {
        return new Attribute(name, type, multiValued, caseExact, mutability, returned, newUniqueness, true, subAttributes, description);
    }

    /** @return the sub-attribute with this name in any case */
    Optional<Attribute> subAttribute(String subName) {
        return find(subAttributes, subName);
    }

    static Optional<Attribute> find(List<Attribute> attributes, String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        return attributes.stream().filter(attribute -> attribute.name().toLowerCase(Locale.ROOT).equals(wanted)).findFirst();
    }

    /** @return the RFC 7643 §7 spelling of the type, such as {@code dateTime} */
    String typeName() {
        return switch (type) {
            case DATE_TIME -> "dateTime";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }
}
