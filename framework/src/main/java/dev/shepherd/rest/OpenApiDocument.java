package dev.shepherd.rest;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.ShepherdApi;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.security.CommandPermissions;
import dev.shepherd.security.Permission;
import dev.shepherd.security.Role;

import java.lang.reflect.GenericArrayType;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * The OpenAPI 3.1 document of the admin API, generated from the route table and the Java types of request and
 * response bodies, so it always describes exactly what the server serves.
 */
final class OpenApiDocument {

    private final ObjectMapper json;
    private final Map<String, ObjectNode> components = new TreeMap<>();

    OpenApiDocument(ObjectMapper json) {
        this.json = requireNonNull(json, "json is null");
    }

    JsonNode build(List<AdminRoute> routes) {
        ObjectNode document = json.createObjectNode();
        document.put("openapi", "3.1.0");
        ObjectNode info = document.putObject("info");
        info.put("title", "Shepherd admin API");
        info.put("version", "v1 (plugin API " + ShepherdApi.version() + ")");
        info.put("description", "Unified endpoint management. Authenticate with a session (POST /api/v1/auth/login; send the"
                + " returned csrfToken as X-CSRF-Token on changes), an API token (Authorization: Bearer shp_...) or, where the"
                + " operator turned it on (security.basicAuth), HTTP Basic. Errors are RFC 9457 problem details"
                + " (application/problem+json). A command needs, besides its route's x-permission, the permissions"
                + " x-command-permissions lists for its type, on every route that issues one.");
        ObjectNode commandPermissions = document.putObject("x-command-permissions");
        for (CommandType type : CommandType.values()) {
            Set<Permission> needed = CommandPermissions.required(type);
            if (!needed.isEmpty()) {
                ArrayNode names = commandPermissions.putArray(type.name());
                needed.stream().sorted().forEach(permission -> names.add(permission.name().toLowerCase(Locale.ROOT)));
            }
        }
        ObjectNode securitySchemes = document.putObject("components").putObject("securitySchemes");
        securitySchemes.putObject("bearer").put("type", "http").put("scheme", "bearer");
        securitySchemes.putObject("basic").put("type", "http").put("scheme", "basic");
        securitySchemes.putObject("session").put("type", "apiKey").put("in", "cookie").put("name", "shepherd_session");
        ObjectNode paths = document.putObject("paths");
        for (AdminRoute route : routes) {
            ObjectNode path = paths.has(route.template()) ? (ObjectNode) paths.get(route.template()) : paths.putObject(route.template());
            ObjectNode operation = path.putObject(route.method().toLowerCase(Locale.ROOT));
            operation.put("summary", route.summary());
            operation.putArray("tags").add(route.tag());
            operation.put("operationId", operationId(route));
            route.permission().ifPresentOrElse(
                    permission -> {
                        operation.put("x-permission", permission.name().toLowerCase(Locale.ROOT));
                        // What a caller whose role is granted over some device groups gets here (docs/identity.md).
                        operation.put("x-scope", route.scoping().kind().name().toLowerCase(Locale.ROOT));
                        ArrayNode security = operation.putArray("security");
                        security.addObject().putArray("bearer");
                        security.addObject().putArray("session");
                        security.addObject().putArray("basic");
                    },
                    () -> operation.putArray("security"));
            ArrayNode parameters = operation.putArray("parameters");
            for (String name : route.parameterNames()) {
                ObjectNode parameter = parameters.addObject();
                parameter.put("name", name).put("in", "path").put("required", true);
                parameter.putObject("schema").put("type", "string");
            }
            for (AdminRoute.QueryParameter query : route.query()) {
                ObjectNode parameter = parameters.addObject();
                parameter.put("name", query.name()).put("in", "query").put("required", false).put("description", query.description());
                parameter.putObject("schema").put("type", "string");
            }
            route.requestBody().ifPresent(type -> {
                ObjectNode body = operation.putObject("requestBody");
                body.put("required", true);
                body.putObject("content").putObject("application/json").set("schema", schema(type));
            });
            ObjectNode responses = operation.putObject("responses");
            ObjectNode success = responses.putObject(Integer.toString(route.successStatus()));
            success.put("description", route.successStatus() == 204 ? "Done" : "Success");
            if (route.response() != Void.class && route.successStatus() != 204) {
                success.putObject("content").putObject("application/json").set("schema", schema(route.response()));
            }
            route.otherSuccesses().forEach((status, type) -> responses.putObject(Integer.toString(status)).put("description", "Success")
                    .putObject("content").putObject("application/json").set("schema", schema(type)));
            for (String status : List.of("400", "401", "403", "404", "409")) {
                responses.putObject(status).put("description", "Problem").putObject("content")
                        .putObject("application/problem+json").putObject("schema").put("$ref", "#/components/schemas/Problem");
            }
        }
        ObjectNode schemas = ((ObjectNode) document.get("components")).putObject("schemas");
        schemas.set("Problem", problemSchema());
        components.forEach(schemas::set);
        return document;
    }

    private static String operationId(AdminRoute route) {
        StringBuilder id = new StringBuilder(route.method().toLowerCase(Locale.ROOT));
        for (String part : route.template().replace("/api/v1/", "").split("[/-]")) {
            if (part.isEmpty()) {
                continue;
            }
            String clean = part.replace("{", "by-").replace("}", "");
            for (String word : clean.split("-")) {
                if (!word.isEmpty()) {
                    id.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
                }
            }
        }
        return id.toString();
    }

    private ObjectNode problemSchema() {
        ObjectNode problem = json.createObjectNode().put("type", "object");
        ObjectNode properties = problem.putObject("properties");
        properties.putObject("type").put("type", "string");
        properties.putObject("title").put("type", "string");
        properties.putObject("status").put("type", "integer");
        properties.putObject("detail").put("type", "string");
        properties.putObject("errors").put("type", "array").putObject("items").put("type", "string");
        return problem;
    }

    /** The JSON Schema of a Java type as Jackson writes it. */
    ObjectNode schema(Type type) {
        if (type instanceof ParameterizedType parameterized) {
            Class<?> raw = (Class<?>) parameterized.getRawType();
            Type[] arguments = parameterized.getActualTypeArguments();
            if (raw == Optional.class) {
                return schema(arguments[0]);
            }
            if (Collection.class.isAssignableFrom(raw)) {
                ObjectNode array = json.createObjectNode().put("type", "array");
                array.set("items", schema(arguments[0]));
                return array;
            }
            if (Map.class.isAssignableFrom(raw)) {
                ObjectNode object = json.createObjectNode().put("type", "object");
                object.set("additionalProperties", schema(arguments[1]));
                return object;
            }
            return schema(raw);
        }
        if (type instanceof GenericArrayType array) {
            ObjectNode node = json.createObjectNode().put("type", "array");
            node.set("items", schema(array.getGenericComponentType()));
            return node;
        }
        if (!(type instanceof Class<?> raw)) {
            return json.createObjectNode();
        }
        if (raw.isArray()) {
            ObjectNode node = json.createObjectNode().put("type", "array");
            node.set("items", schema(raw.getComponentType()));
            return node;
        }
        if (raw == String.class || raw == UUID.class || raw == DeviceId.class || raw == Platform.class) {
            return json.createObjectNode().put("type", "string");
        }
        if (raw == Instant.class) {
            return json.createObjectNode().put("type", "string").put("format", "date-time");
        }
        if (raw == LocalDate.class) {
            return json.createObjectNode().put("type", "string").put("format", "date");
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class || raw == short.class
                || raw == OptionalInt.class || raw == OptionalLong.class) {
            return json.createObjectNode().put("type", "integer");
        }
        if (raw == double.class || raw == Double.class || raw == float.class) {
            return json.createObjectNode().put("type", "number");
        }
        if (raw == boolean.class || raw == Boolean.class) {
            return json.createObjectNode().put("type", "boolean");
        }
        if (Role.class.isAssignableFrom(raw)) {
            // Roles are written as their id: a built-in's constant or a custom role's id (Role#id is the JSON value).
            return json.createObjectNode().put("type", "string").put("description", "a role's id (ADMIN, OPERATOR, HELPDESK, AUDITOR or a custom role's)");
        }
        if (raw.isEnum()) {
            ObjectNode node = json.createObjectNode().put("type", "string");
            ArrayNode values = node.putArray("enum");
            for (Object constant : raw.getEnumConstants()) {
                values.add(((Enum<?>) constant).name());
            }
            return node;
        }
        if (Collection.class.isAssignableFrom(raw)) {
            return json.createObjectNode().put("type", "array");
        }
        if (Map.class.isAssignableFrom(raw)) {
            return json.createObjectNode().put("type", "object");
        }
        if (raw.isRecord()) {
            String name = componentName(raw);
            if (!components.containsKey(name)) {
                ObjectNode object = json.createObjectNode().put("type", "object");
                components.put(name, object);
                ObjectNode properties = object.putObject("properties");
                ArrayNode required = json.createArrayNode();
                for (RecordComponent component : raw.getRecordComponents()) {
                    properties.set(component.getName(), schema(component.getGenericType()));
                    Class<?> componentType = component.getType();
                    if (componentType != Optional.class && componentType != OptionalInt.class && componentType != OptionalLong.class) {
                        required.add(component.getName());
                    }
                }
                if (!required.isEmpty()) {
                    object.set("required", required);
                }
            }
            return json.createObjectNode().put("$ref", "#/components/schemas/" + name);
        }
        return json.createObjectNode(); // any JSON (JsonNode, Object)
    }

    private static String componentName(Class<?> type) {
        Class<?> enclosing = type.getEnclosingClass();
        return enclosing == null ? type.getSimpleName() : enclosing.getSimpleName().replace("Resource", "") + type.getSimpleName();
    }
}
