package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The SCIM 2.0 service (RFC 7644) at {@code /mdm/identity-scim/scim/v2}: {@code /Users} and {@code /Groups} (GET one
 * or a filtered, paged list; POST; PUT; PATCH; DELETE), {@code /ServiceProviderConfig}, {@code /ResourceTypes} and
 * {@code /Schemas}. Every request carries {@code Authorization: Bearer <token>} with a token an admin issued
 * ({@link TokenAdminEndpoint}); anything else is answered 401 with {@code WWW-Authenticate: Bearer}. Answers are
 * {@code application/scim+json}; bodies are accepted as {@code application/scim+json} or {@code application/json}.
 * Resources carry weak ETags ({@code meta.version}), honoured in {@code If-Match} (412 when stale) and
 * {@code If-None-Match} (304 when current).
 */
@Extension
public final class ScimEndpoint implements DeviceEndpoint {

    static final String BASE = "/scim/v2";
    static final String SCIM_JSON = "application/scim+json";
    private static final String ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
    static final String LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    private static final int MAX_BODY = 1024 * 1024;

    private final ScimService service;
    private final BearerTokens tokens;
    private final ScimDiscovery discovery;
    private final String baseUrl;

    @Inject
    public ScimEndpoint(ScimService service, BearerTokens tokens, ServerAddress address, PluginIdentity identity) {
        this.service = requireNonNull(service, "service is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.baseUrl = address.publicUrl() + identity.devicePath() + BASE;
        this.discovery = new ScimDiscovery(baseUrl, service.maxResults());
    }

    @Override
    public String path() {
        return BASE;
    }

    @Override
    public int maxBodyBytes() {
        return MAX_BODY;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        Optional<String> authorization = request.header("Authorization");
        boolean presented = authorization.filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7)).isPresent();
        if (!presented || tokens.authenticate(authorization.get().substring(7).trim()).isEmpty()) {
            return error(new ScimException(401, null, presented ? "The bearer token is not one this server issued, or it was revoked."
                    : "Send Authorization: Bearer with a token issued by an admin of this server."))
                    .withHeader("WWW-Authenticate", presented ? "Bearer realm=\"scim\", error=\"invalid_token\"" : "Bearer realm=\"scim\"");
        }
        try {
            return route(request);
        } catch (ScimException e) {
            return error(e);
        }
    }

    private DeviceResponse route(DeviceRequest request) {
        String relative = request.path().length() > BASE.length() ? request.path().substring(BASE.length()) : "/";
        String[] segments = relative.substring(1).split("/", -1);
        if (segments.length > 2 || segments[0].isEmpty()) {
            throw ScimException.notFound("There is nothing at " + request.path() + ".");
        }
        Optional<String> id = segments.length == 2 ? Optional.of(segments[1]) : Optional.empty();
        Optional<ResourceType> type = ResourceType.ofEndpoint(segments[0]);
        if (type.isPresent()) {
            return resources(request, type.get(), id);
        }
        requireMethod(request, "GET");
        return switch (segments[0]) {
            case "ServiceProviderConfig" -> id.isEmpty() ? scim(200, discovery.serviceProviderConfig())
                    : notFound(request);
            case "ResourceTypes" -> scim(200, id.map(discovery::resourceType).orElseGet(discovery::resourceTypes));
            case "Schemas" -> scim(200, id.map(discovery::schema).orElseGet(discovery::schemas));
            default -> notFound(request);
        };
    }

    private DeviceResponse resources(DeviceRequest request, ResourceType type, Optional<String> id) {
        if (id.isEmpty()) {
            return switch (request.method()) {
                case "GET" -> list(request, type);
                case "POST" -> {
                    StoredResource created = service.create(type, body(request));
                    yield resource(201, created, Projection.ALL).withHeader("Location", location(created));
                }
                default -> throw new ScimException(405, null, "Use GET or POST on " + type.endpoint() + ".");
            };
        }
        Optional<String> ifMatch = request.header("If-Match");
        return switch (request.method()) {
            case "GET" -> {
                StoredResource found = service.get(type, id.get());
                Optional<String> ifNoneMatch = request.header("If-None-Match");
                if (ifNoneMatch.isPresent() && ETags.matches(ifNoneMatch.get(), found)) {
                    yield DeviceResponse.empty(304).withHeader("ETag", found.etag());
                }
                yield resource(200, found, Projection.of(request));
            }
            case "PUT" -> resource(200, service.replace(type, id.get(), body(request), ifMatch), Projection.ALL);
            case "PATCH" -> resource(200, service.patch(type, id.get(), body(request), ifMatch), Projection.of(request));
            case "DELETE" -> {
                service.delete(type, id.get(), ifMatch);
                yield DeviceResponse.empty(204);
            }
            default -> throw new ScimException(405, null, "Use GET, PUT, PATCH or DELETE on " + type.endpoint() + "/{id}.");
        };
    }

    private DeviceResponse list(DeviceRequest request, ResourceType type) {
        Optional<Filter> filter = request.queryParameter("filter").filter(text -> !text.isBlank()).map(FilterParser::parse);
        filter.ifPresent(f -> FilterEvaluator.check(f, type));
        int startIndex = Math.max(1, integer(request, "startIndex", 1));
        int count = Math.max(0, Math.min(integer(request, "count", service.maxResults()), service.maxResults()));
        Projection projection = Projection.of(request);
        ScimService.Page page = service.list(type, filter, startIndex, count);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putArray("schemas").add(LIST_RESPONSE);
        body.put("totalResults", page.totalResults());
        body.put("startIndex", page.startIndex());
        body.put("itemsPerPage", page.resources().size());
        ArrayNode resources = body.putArray("Resources");
        page.resources().forEach(resource -> resources.add(projection.apply(render(resource), type)));
        return scim(200, body);
    }

    /** The resource as clients see it: {@code schemas}, {@code id}, its attributes and {@code meta} with its location. */
    ObjectNode render(StoredResource resource) {
        ObjectNode rendered = JsonNodeFactory.instance.objectNode();
        ArrayNode schemas = rendered.putArray("schemas").add(resource.type().core().id());
        ObjectNode attributes = resource.attributes();
        for (ResourceSchema extension : resource.type().extensions()) {
            if (attributes.has(extension.id())) {
                schemas.add(extension.id());
            }
        }
        rendered.put("id", resource.id());
        rendered.setAll(attributes);
        if (resource.type() == ResourceType.GROUP && !rendered.has("members")) {
            rendered.putArray("members");
        }
        if (rendered.get("members") instanceof ArrayNode members) {
            for (JsonNode member : members) {
                String memberType = member.path("type").asText("User");
                ((ObjectNode) member).put("$ref", baseUrl + (memberType.equals("Group") ? "/Groups/" : "/Users/") + member.path("value").asText());
            }
        }
        ObjectNode meta = (ObjectNode) ScimService.view(resource).get("meta");
        meta.put("location", location(resource));
        rendered.set("meta", meta);
        return rendered;
    }

    private String location(StoredResource resource) {
        return baseUrl + resource.type().endpoint() + "/" + resource.id();
    }

    private DeviceResponse resource(int status, StoredResource resource, Projection projection) {
        return scim(status, projection.apply(render(resource), resource.type())).withHeader("ETag", resource.etag())
                .withHeader("Location", location(resource));
    }

    private static JsonNode body(DeviceRequest request) {
        Optional<String> contentType = request.header("Content-Type").map(value -> value.split(";")[0].trim().toLowerCase(Locale.ROOT));
        if (contentType.isPresent() && !contentType.get().equals(SCIM_JSON) && !contentType.get().equals("application/json")) {
            throw new ScimException(415, null, "Send the body as " + SCIM_JSON + " or application/json.");
        }
        return ScimJson.read(request.body());
    }

    private static int integer(DeviceRequest request, String name, int defaultValue) {
        Optional<String> value = request.queryParameter(name);
        if (value.isEmpty() || value.get().isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.get().trim());
        } catch (NumberFormatException e) {
            throw ScimException.invalidValue("'" + name + "' is an integer.");
        }
    }

    private static void requireMethod(DeviceRequest request, String method) {
        if (!request.method().equals(method)) {
            throw new ScimException(405, null, "Use " + method + " on " + request.path() + ".");
        }
    }

    private static DeviceResponse notFound(DeviceRequest request) {
        throw ScimException.notFound("There is nothing at " + request.path() + ".");
    }

    static DeviceResponse error(ScimException e) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putArray("schemas").add(ERROR);
        body.put("status", String.valueOf(e.status()));
        if (e.scimType() != null) {
            body.put("scimType", e.scimType());
        }
        body.put("detail", e.detail());
        return scim(e.status(), body);
    }

    private static DeviceResponse scim(int status, JsonNode body) {
        return DeviceResponse.of(status, SCIM_JSON, ScimJson.write(body));
    }
}
