package dev.shepherd.plugins.identity.scim;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A SCIM schema (RFC 7643 §7): its URN, name and attributes.
 *
 * @param id the schema's URN
 * @param name its short name
 * @param description what it describes
 * @param attributes its attributes
 */
record ResourceSchema(String id, String name, String description, List<Attribute> attributes) {

    ResourceSchema {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        attributes = List.copyOf(requireNonNull(attributes, "attributes is null"));
    }

    Optional<Attribute> attribute(String attributeName) {
        return Attribute.find(attributes, attributeName);
    }

    boolean isNamed(String urn) {
        return id.toLowerCase(Locale.ROOT).equals(urn.toLowerCase(Locale.ROOT));
    }
}
