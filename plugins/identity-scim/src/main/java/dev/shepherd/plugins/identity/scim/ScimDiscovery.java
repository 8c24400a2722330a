package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The discovery documents of RFC 7644 §4: {@code /ServiceProviderConfig} (what the service supports: PATCH, filters
 * up to {@code maxResults}, ETags, bearer tokens; no bulk, sorting or password changes), {@code /ResourceTypes} and
 * {@code /Schemas}, all built from the same definitions the service validates with, so they cannot disagree.
 */
final class ScimDiscovery {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final String baseUrl;
    private final int maxResults;

    ScimDiscovery(String baseUrl, int maxResults) {
        this.baseUrl = requireNonNull(baseUrl, "baseUrl is null");
        this.maxResults = maxResults;
    }

    ObjectNode serviceProviderConfig() {
        ObjectNode config = NODES.objectNode();
        config.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig");
        config.putObject("patch").put("supported", true);
        config.putObject("bulk").put("supported", false).put("maxOperations", 0).put("maxPayloadSize", 0);
        config.putObject("filter").put("supported", true).put("maxResults", maxResults);
        config.putObject("changePassword").put("supported", false);
        config.putObject("sort").put("supported", false);
        config.putObject("etag").put("supported", true);
        config.putArray("authenticationSchemes").addObject().put("type", "oauthbearertoken").put("name", "OAuth Bearer Token")
                .put("description", "A bearer token issued by an admin of the server (POST /api/v1/plugins/identity-scim/tokens)")
                .put("primary", true);
        config.set("meta", meta("ServiceProviderConfig", "/ServiceProviderConfig"));
        return config;
    }

    ObjectNode resourceTypes() {
        ObjectNode list = list(ResourceType.values().length);
        for (ResourceType type : ResourceType.values()) {
            ((ArrayNode) list.get("Resources")).add(resourceType(type));
        }
        return list;
    }

    ObjectNode resourceType(String id) {
        for (ResourceType type : ResourceType.values()) {
            if (type.typeName().equals(id)) {
                return resourceType(type);
            }
        }
        throw ScimException.notFound("No resource type is named '" + id + "'.");
    }

    ObjectNode schemas() {
        List<ResourceSchema> all = ResourceType.Schemas.all();
        ObjectNode list = list(all.size());
        all.forEach(schema -> ((ArrayNode) list.get("Resources")).add(schema(schema)));
        return list;
    }

    ObjectNode schema(String urn) {
        return schema(ResourceType.Schemas.byUrn(urn).orElseThrow(() -> ScimException.notFound("No schema is named '" + urn + "'.")));
    }

    private ObjectNode resourceType(ResourceType type) {
        ObjectNode node = NODES.objectNode();
        node.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:ResourceType");
        node.put("id", type.typeName());
        node.put("name", type.typeName());
        node.put("endpoint", type.endpoint());
        node.put("description", type.core().description());
        node.put("schema", type.core().id());
        ArrayNode extensions = node.putArray("schemaExtensions");
        type.extensions().forEach(extension -> extensions.addObject().put("schema", extension.id()).put("required", false));
        node.set("meta", meta("ResourceType", "/ResourceTypes/" + type.typeName()));
        return node;
    }

    private ObjectNode schema(ResourceSchema schema) {
        ObjectNode node = NODES.objectNode();
        node.putArray("schemas").add("urn:ietf:params:scim:schemas:core:2.0:Schema");
        node.put("id", schema.id());
        node.put("name", schema.name());
        node.put("description", schema.description());
        ArrayNode attributes = node.putArray("attributes");
        schema.attributes().forEach(attribute -> attributes.add(attribute(attribute)));
        node.set("meta", meta("Schema", "/Schemas/" + schema.id()));
        return node;
    }

    private static ObjectNode attribute(Attribute attribute) {
        ObjectNode node = NODES.objectNode();
        node.put("name", attribute.name());
        node.put("type", attribute.typeName());
        node.put("multiValued", attribute.multiValued());
        node.put("description", attribute.description());
        node.put("required", attribute.required());
        node.put("caseExact", attribute.caseExact());
        node.put("mutability", camel(attribute.mutability().name()));
        node.put("returned", attribute.returned().name().toLowerCase(Locale.ROOT));
        node.put("uniqueness", attribute.uniqueness());
        if (attribute.type() == Attribute.Type.REFERENCE) {
            ArrayNode referenceTypes = node.putArray("referenceTypes");
            if (attribute.name().equals("$ref")) {
                referenceTypes.add("User").add("Group");
            } else {
                referenceTypes.add("external");
            }
        }
        if (!attribute.subAttributes().isEmpty()) {
            ArrayNode subAttributes = node.putArray("subAttributes");
            attribute.subAttributes().forEach(sub -> subAttributes.add(attribute(sub)));
        }
        return node;
    }

    /** READ_ONLY becomes readOnly, as RFC 7643 §7 spells it. */
    private static String camel(String constant) {
        String[] words = constant.toLowerCase(Locale.ROOT).split("_");
        StringBuilder camel = new StringBuilder(words[0]);
        for (int i = 1; i < words.length; i++) {
            camel.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
        }
        return camel.toString();
    }

    private ObjectNode list(int total) {
        ObjectNode list = NODES.objectNode();
        list.putArray("schemas").add(ScimEndpoint.LIST_RESPONSE);
        list.put("totalResults", total);
        list.put("itemsPerPage", total);
        list.put("startIndex", 1);
        list.putArray("Resources");
        return list;
    }

    private ObjectNode meta(String resourceType, String path) {
        ObjectNode meta = NODES.objectNode();
        meta.put("resourceType", resourceType);
        meta.put("location", baseUrl + path);
        return meta;
    }
}
