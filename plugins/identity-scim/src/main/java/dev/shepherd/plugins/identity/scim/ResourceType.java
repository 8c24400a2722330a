package dev.shepherd.plugins.identity.scim;

import dev.shepherd.plugins.identity.scim.Attribute.Mutability;
import dev.shepherd.plugins.identity.scim.Attribute.Returned;
import dev.shepherd.plugins.identity.scim.Attribute.Type;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The two resource types this service provides (RFC 7643 §3, §4, §6): each with its endpoint, core schema and
 * schema extensions, and the common attributes {@code id}, {@code externalId} and {@code meta} every resource has.
 */
enum ResourceType {

    USER("User", "/Users", Schemas.USER, List.of(Schemas.ENTERPRISE_USER)),
    GROUP("Group", "/Groups", Schemas.GROUP, List.of());

    private final String typeName;
    private final String endpoint;
    private final ResourceSchema core;
    private final List<ResourceSchema> extensions;

    ResourceType(String typeName, String endpoint, ResourceSchema core, List<ResourceSchema> extensions) {
        this.typeName = typeName;
        this.endpoint = endpoint;
        this.core = core;
        this.extensions = extensions;
    }

    String typeName() {
        return typeName;
    }

    /** @return the path below the SCIM base, such as {@code /Users} */
    String endpoint() {
        return endpoint;
    }

    ResourceSchema core() {
        return core;
    }

    List<ResourceSchema> extensions() {
        return extensions;
    }

    /** @return the extension with this URN in any case */
    Optional<ResourceSchema> extension(String urn) {
        return extensions.stream().filter(extension -> extension.isNamed(urn)).findFirst();
    }

    /** @return a top-level attribute (core or common) with this name in any case */
    Optional<Attribute> attribute(String name) {
        return core.attribute(name).or(() -> Attribute.find(Schemas.COMMON, name));
    }

    /** @return the type an endpoint segment names ({@code Users}, {@code Groups}), in RFC 7644's case */
    static Optional<ResourceType> ofEndpoint(String segment) {
        for (ResourceType type : values()) {
            if (type.endpoint.substring(1).equals(segment)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** The schema definitions: the parts of RFC 7643 §4 and §8.7 this service keeps. */
    static final class Schemas {

        static final String USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User";
        static final String GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group";
        static final String ENTERPRISE_USER_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

        static final List<Attribute> COMMON = List.of(
                Attribute.string("id", "The service's unique, stable identifier of the resource").withCaseExact()
                        .withMutability(Mutability.READ_ONLY).withReturned(Returned.ALWAYS),
                Attribute.string("externalId", "The client's identifier of the resource").withCaseExact(),
                Attribute.complex("meta", "Resource metadata",
                        Attribute.string("resourceType", "User or Group").withCaseExact(),
                        Attribute.of("created", Type.DATE_TIME, "When the resource was created"),
                        Attribute.of("lastModified", Type.DATE_TIME, "When the resource last changed"),
                        Attribute.of("location", Type.REFERENCE, "The resource's URI").withCaseExact(),
                        Attribute.string("version", "The resource's weak entity tag").withCaseExact())
                        .withMutability(Mutability.READ_ONLY));

        static final ResourceSchema USER = new ResourceSchema(USER_URN, "User", "User Account", List.of(
                Attribute.string("userName", "The unique identifier the user signs in with; the server's username")
                        .requiredAndUnique("server"),
                Attribute.complex("name", "The components of the user's name",
                        Attribute.string("formatted", "The full name"),
                        Attribute.string("familyName", "The family name"),
                        Attribute.string("givenName", "The given name"),
                        Attribute.string("middleName", "The middle name"),
                        Attribute.string("honorificPrefix", "Such as Ms."),
                        Attribute.string("honorificSuffix", "Such as III")),
                Attribute.string("displayName", "The name shown for the user"),
                Attribute.string("nickName", "The casual name"),
                Attribute.of("profileUrl", Type.REFERENCE, "The user's online profile"),
                Attribute.string("title", "The user's title"),
                Attribute.string("userType", "The relationship to the organisation, such as Employee"),
                Attribute.string("preferredLanguage", "Such as en-US"),
                Attribute.string("locale", "Such as en-US"),
                Attribute.string("timezone", "Such as Europe/Paris"),
                Attribute.of("active", Type.BOOLEAN, "false deactivates the user in the server's directory"),
                Attribute.string("password", "Accepted and discarded: the server never keeps it")
                        .withMutability(Mutability.WRITE_ONLY).withReturned(Returned.NEVER),
                Attribute.multiValued("emails", "E-mail addresses", Type.STRING),
                Attribute.multiValued("phoneNumbers", "Phone numbers", Type.STRING),
                Attribute.multiValued("ims", "Instant messaging addresses", Type.STRING),
                Attribute.multiValued("photos", "Photos", Type.REFERENCE),
                new Attribute("addresses", Type.COMPLEX, true, false, Mutability.READ_WRITE, Returned.DEFAULT, "none", false, List.of(
                        Attribute.string("formatted", "The full address"),
                        Attribute.string("streetAddress", "The street"),
                        Attribute.string("locality", "The city"),
                        Attribute.string("region", "The state or region"),
                        Attribute.string("postalCode", "The postal code"),
                        Attribute.string("country", "The country"),
                        Attribute.string("type", "A label such as work"),
                        Attribute.of("primary", Type.BOOLEAN, "Whether it is the preferred one")), "Physical addresses"),
                Attribute.multiValued("entitlements", "Entitlements", Type.STRING),
                Attribute.multiValued("roles", "Roles", Type.STRING),
                Attribute.multiValued("x509Certificates", "Certificates", Type.STRING)));

        static final ResourceSchema ENTERPRISE_USER = new ResourceSchema(ENTERPRISE_USER_URN, "EnterpriseUser", "Enterprise User",
                List.of(Attribute.string("employeeNumber", "The employee number"),
                        Attribute.string("costCenter", "The cost center"),
                        Attribute.string("organization", "The organisation"),
                        Attribute.string("division", "The division"),
                        Attribute.string("department", "The department"),
                        Attribute.complex("manager", "The user's manager",
                                Attribute.string("value", "The manager's id").withCaseExact(),
                                Attribute.of("$ref", Type.REFERENCE, "The manager's URI"),
                                Attribute.string("displayName", "The manager's name").withMutability(Mutability.READ_ONLY))));

        static final ResourceSchema GROUP = new ResourceSchema(GROUP_URN, "Group", "Group", List.of(
                Attribute.string("displayName", "The group's name; the server's group name").requiredAndUnique("server"),
                new Attribute("members", Type.COMPLEX, true, false, Mutability.READ_WRITE, Returned.DEFAULT, "none", false, List.of(
                        Attribute.string("value", "The id of a User or Group").withCaseExact().withMutability(Mutability.IMMUTABLE),
                        Attribute.of("$ref", Type.REFERENCE, "The member's URI").withMutability(Mutability.IMMUTABLE),
                        Attribute.string("type", "User or Group").withMutability(Mutability.IMMUTABLE),
                        Attribute.string("display", "The member's name")), "The group's direct members: users and groups")));

        private Schemas() {
        }

        static List<ResourceSchema> all() {
            return List.of(USER, GROUP, ENTERPRISE_USER);
        }

        static Optional<ResourceSchema> byUrn(String urn) {
            return all().stream().filter(schema -> schema.isNamed(urn)).findFirst();
        }
    }

    @Override
    public String toString() {
        return typeName.toLowerCase(Locale.ROOT);
    }
}
