package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A User or Group as the service keeps it.
 *
 * @param type its resource type
 * @param id its SCIM id, chosen by the service and stable; also its external id in the server's directory. A userName
 *        deleted and created again gets its former id back: the directory keeps people (deactivated), never deletes
 *        them, so it is the same person again
 * @param version counts changes from 1; the weak ETag is {@code W/"version"}
 * @param created when it was created
 * @param lastModified when it last changed
 * @param attributes its canonical attributes, without {@code schemas}, {@code id} and {@code meta}
 */
record StoredResource(ResourceType type, String id, long version, Instant created, Instant lastModified,
                      ObjectNode attributes) {

    StoredResource {
        requireNonNull(type, "type is null");
        requireNonNull(id, "id is null");
        requireNonNull(created, "created is null");
        requireNonNull(lastModified, "lastModified is null");
        attributes = requireNonNull(attributes, "attributes is null").deepCopy();
    }

    @Override
    public ObjectNode attributes() {
        return attributes.deepCopy();
    }

    /** @return the weak entity tag of this version, RFC 7232 style */
    String etag() {
        return "W/\"" + version + "\"";
    }

    /** @return a text attribute at the top level, or empty text */
    String text(String attribute) {
        JsonNode value = attributes.get(attribute);
        return value != null && value.isTextual() ? value.textValue() : "";
    }

    StoredResource changed(ObjectNode newAttributes, Instant at) {
        return new StoredResource(type, id, version + 1, created, at, newAttributes);
    }
}
