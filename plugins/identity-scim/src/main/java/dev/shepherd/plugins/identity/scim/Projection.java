package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.http.DeviceRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * RFC 7644 §3.4.2.5 {@code attributes} and {@code excludedAttributes}: which attributes of a resource an answer
 * carries. {@code schemas} and {@code id} are always returned; paths may name sub-attributes
 * ({@code name.givenName}, {@code emails.value}) and extension attributes by their URN. Entra ID reads groups with
 * {@code excludedAttributes=members}.
 */
final class Projection {

    static final Projection ALL = new Projection(List.of(), List.of());
    private static final int MAX_PATHS = 100;

    private final List<AttributePath> included;
    private final List<AttributePath> excluded;

    private Projection(List<AttributePath> included, List<AttributePath> excluded) {
        this.included = List.copyOf(requireNonNull(included, "included is null"));
        this.excluded = List.copyOf(requireNonNull(excluded, "excluded is null"));
    }

    static Projection of(DeviceRequest request) {
        return new Projection(paths(request.queryParameter("attributes")), paths(request.queryParameter("excludedAttributes")));
    }

    private static List<AttributePath> paths(Optional<String> list) {
        List<AttributePath> paths = new ArrayList<>();
        if (list.isEmpty()) {
            return paths;
        }
        for (String item : list.get().split(",", MAX_PATHS + 1)) {
            String trimmed = item.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (paths.size() == MAX_PATHS) {
                throw ScimException.invalidValue("At most " + MAX_PATHS + " attributes are listed.");
            }
            try {
                paths.add(AttributePath.parse(trimmed));
            } catch (IllegalArgumentException e) {
                throw ScimException.invalidPath("'" + trimmed + "' is not an attribute path.");
            }
        }
        return paths;
    }

    /** @return the rendered resource with only the attributes asked for */
    ObjectNode apply(ObjectNode rendered, ResourceType type) {
        ObjectNode result = rendered;
        if (!included.isEmpty()) {
            result = rendered.objectNode();
            result.set("schemas", rendered.get("schemas"));
            result.set("id", rendered.get("id"));
            for (AttributePath path : included) {
                include(rendered, result, path, type);
            }
        }
        for (AttributePath path : excluded) {
            exclude(result, path, type);
        }
        return result;
    }

    private static void include(ObjectNode from, ObjectNode to, AttributePath path, ResourceType type) {
        Optional<String> extension = extensionOf(path, type);
        ObjectNode source = from;
        ObjectNode target = to;
        if (extension.isPresent()) {
            if (!(from.get(extension.get()) instanceof ObjectNode extensionNode)) {
                return;
            }
            source = extensionNode;
            target = to.get(extension.get()) instanceof ObjectNode existing ? existing : to.putObject(extension.get());
        }
        Optional<String> key = Values.keyOf(source, path.attribute());
        if (key.isEmpty()) {
            return;
        }
        JsonNode value = source.get(key.get());
        if (path.subAttribute().isEmpty()) {
            target.set(key.get(), value);
        } else if (value instanceof ObjectNode object) {
            ObjectNode part = target.get(key.get()) instanceof ObjectNode existing ? existing : target.putObject(key.get());
            Values.keyOf(object, path.subAttribute().get()).ifPresent(sub -> part.set(sub, object.get(sub)));
        } else if (value instanceof ArrayNode array) {
            ArrayNode part = target.get(key.get()) instanceof ArrayNode existing && existing.size() == array.size() ? existing : target.putArray(key.get());
            for (int i = 0; i < array.size(); i++) {
                if (part.size() <= i) {
                    part.addObject();
                }
                JsonNode element = array.get(i);
                ObjectNode partElement = (ObjectNode) part.get(i);
                Values.keyOf(element, path.subAttribute().get()).ifPresent(sub -> partElement.set(sub, element.get(sub)));
            }
        }
    }

    private static void exclude(ObjectNode resource, AttributePath path, ResourceType type) {
        Optional<String> extension = extensionOf(path, type);
        ObjectNode container = resource;
        if (extension.isPresent()) {
            if (!(resource.get(extension.get()) instanceof ObjectNode extensionNode)) {
                return;
            }
            container = extensionNode;
        }
        Optional<String> key = Values.keyOf(container, path.attribute());
        if (key.isEmpty() || key.get().equals("id") || key.get().equals("schemas")) {
            return;
        }
        if (path.subAttribute().isEmpty()) {
            container.remove(key.get());
            return;
        }
        JsonNode value = container.get(key.get());
        List<JsonNode> parts = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(parts::add);
        } else {
            parts.add(value);
        }
        for (JsonNode part : parts) {
            if (part instanceof ObjectNode object) {
                Values.keyOf(object, path.subAttribute().get()).ifPresent(object::remove);
            }
        }
    }

    private static Optional<String> extensionOf(AttributePath path, ResourceType type) {
        if (path.schema().isEmpty() || type.core().isNamed(path.schema().get())) {
            return Optional.empty();
        }
        return Optional.of(type.extension(path.schema().get()).map(ResourceSchema::id).orElse(path.schema().get()));
    }
}
