package dev.shepherd.plugins.identity.scim;

import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * An RFC 7644 §3.10 attribute path: an optional schema URN, an attribute and an optional sub-attribute, such as
 * {@code name.familyName} or {@code urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value}.
 * Names are kept as the client wrote them and matched against the schema in any case.
 *
 * @param schema the schema URN the path names, empty when it names none
 * @param attribute the attribute
 * @param subAttribute the sub-attribute, empty when none
 */
record AttributePath(Optional<String> schema, String attribute, Optional<String> subAttribute) {

    private static final Pattern NAME = Pattern.compile("\\$?[A-Za-z][A-Za-z0-9_-]{0,127}");
    private static final int MAX_LENGTH = 512;

    AttributePath {
        requireNonNull(schema, "schema is null");
        requireNonNull(attribute, "attribute is null");
        requireNonNull(subAttribute, "subAttribute is null");
    }

    /**
     * @param text an attribute path
     * @return the path
     * @throws IllegalArgumentException when it is not one; the message says why
     */
    static AttributePath parse(String text) {
        if (text.isEmpty() || text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("an attribute path has 1 to " + MAX_LENGTH + " characters");
        }
        Optional<String> schema = Optional.empty();
        String rest = text;
        if (text.regionMatches(true, 0, "urn:", 0, 4)) {
            int lastColon = text.lastIndexOf(':');
            schema = Optional.of(text.substring(0, lastColon));
            rest = text.substring(lastColon + 1);
        }
        int dot = rest.indexOf('.');
        String attribute = dot < 0 ? rest : rest.substring(0, dot);
        Optional<String> subAttribute = dot < 0 ? Optional.empty() : Optional.of(rest.substring(dot + 1));
        if (!NAME.matcher(attribute).matches() || subAttribute.filter(sub -> !NAME.matcher(sub).matches()).isPresent()) {
            throw new IllegalArgumentException("'" + text + "' is not an attribute path");
        }
        return new AttributePath(schema, attribute, subAttribute);
    }

    @Override
    public String toString() {
        return schema.map(urn -> urn + ":").orElse("") + attribute + subAttribute.map(sub -> "." + sub).orElse("");
    }
}
