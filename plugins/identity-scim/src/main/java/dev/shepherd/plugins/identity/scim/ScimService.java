package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * The SCIM service's Users and Groups: creates, replaces, patches and deletes them in the plugin's storage and
 * mirrors every change into the server's directory through {@link UserDirectory}, under the provider id
 * {@code providerId} (setting, default {@value #DEFAULT_PROVIDER_ID}).
 *
 * <p>A user is a person in the directory whose external id is the user's SCIM id: {@code active: false} (how Entra ID
 * soft-deletes and Okta deactivates) deactivates them, and so does DELETE, because the directory never deletes
 * people: the server's deprovisioning policy decides what happens to their devices. A user deleted and later created
 * again with the same userName gets their former id back and is reactivated. A group is a directory group with its
 * direct members, users and groups; DELETE removes it. A member must exist when it is added; deleting a user or group
 * also removes it from the groups it was in.
 *
 * <p>Writes on one node are serialised, so a name is checked and taken in one step; the directory is written first
 * (it may refuse what it cannot hold, such as a userName with spaces) and the resource stored after.
 */
@Singleton
final class ScimService {

    static final String DEFAULT_PROVIDER_ID = "scim";
    static final int DEFAULT_MAX_RESULTS = 200;
    private static final Logger log = LoggerFactory.getLogger(ScimService.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** One page of a list. */
    record Page(List<StoredResource> resources, int totalResults, int startIndex) {
        Page {
            resources = List.copyOf(resources);
        }
    }

    private final ScimStore store;
    private final UserDirectory directory;
    private final Clock clock;
    private final String providerId;
    private final int maxResults;
    private final ReentrantLock writes = new ReentrantLock();

    @Inject
    ScimService(ScimStore store, UserDirectory directory, Clock clock, PluginConfig config) {
        this.store = requireNonNull(store, "store is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.providerId = config.get("providerId", DEFAULT_PROVIDER_ID);
        this.maxResults = config.getInt("maxResults", DEFAULT_MAX_RESULTS);
        if (maxResults < 1) {
            throw new IllegalArgumentException("plugin setting 'maxResults' must be at least 1: " + maxResults);
        }
    }

    int maxResults() {
        return maxResults;
    }

    StoredResource get(ResourceType type, String id) {
        return store.find(type, id).orElseThrow(() -> ScimException.notFound("No " + type.typeName() + " has the id '" + id + "'."));
    }

    /**
     * @param filter the filter, already checked against the type's schema
     * @param startIndex the 1-based index of the first result
     * @param count how many to return at most, at most {@link #maxResults()}
     */
    Page list(ResourceType type, Optional<Filter> filter, int startIndex, int count) {
        List<StoredResource> candidates = filter.flatMap(f -> byUniqueName(type, f)).orElseGet(() -> store.all(type));
        List<StoredResource> matching = new ArrayList<>();
        for (StoredResource resource : candidates) {
            if (filter.isEmpty() || FilterEvaluator.matches(filter.get(), view(resource), type)) {
                matching.add(resource);
            }
        }
        int from = Math.min(startIndex - 1, matching.size());
        int to = Math.min(from + Math.min(count, maxResults), matching.size());
        return new Page(matching.subList(from, to), matching.size(), startIndex);
    }

    /** The probe every provisioning client sends, {@code userName eq "…"} (or {@code displayName eq}), answered from the index. */
    private Optional<List<StoredResource>> byUniqueName(ResourceType type, Filter filter) {
        if (!(filter instanceof Filter.Comparison comparison) || comparison.operator() != Filter.Operator.EQ || !comparison.value().isTextual()
                || comparison.path().subAttribute().isPresent()
                || comparison.path().schema().filter(urn -> !type.core().isNamed(urn)).isPresent()
                || !comparison.path().attribute().equalsIgnoreCase(uniqueName(type))) {
            return Optional.empty();
        }
        return Optional.of(store.holderOf(type, comparison.value().textValue()).flatMap(id -> store.find(type, id)).stream().toList());
    }

    StoredResource create(ResourceType type, JsonNode body) {
        ObjectNode attributes = attributesOf(type, body);
        writes.lock();
        try {
            String name = attributes.get(uniqueName(type)).textValue();
            refuseTaken(type, name, Optional.empty());
            String id = type == ResourceType.USER ? store.personOf(name).orElseGet(ScimService::newId) : newId();
            if (store.find(type, id).isPresent()) {
                id = newId(); // the former holder of the name is still there under another name: a new person
            }
            Instant now = now();
            Members members = resolveMembers(type, id, attributes);
            StoredResource created = new StoredResource(type, id, 1, now, now, members.attributes());
            if (type == ResourceType.USER) {
                // Before the directory hears of them: should storing fail after that, a retry is the same person.
                store.rememberPerson(name, id);
            }
            mirror(created, members);
            store.put(created);
            store.hold(type, name, id);
            log.info("SCIM {} {} created", type, id);
            return created;
        } finally {
            writes.unlock();
        }
    }

    StoredResource replace(ResourceType type, String id, JsonNode body, Optional<String> ifMatch) {
        ObjectNode attributes = attributesOf(type, body);
        return update(type, id, ifMatch, current -> attributes);
    }

    StoredResource patch(ResourceType type, String id, JsonNode body, Optional<String> ifMatch) {
        return update(type, id, ifMatch, current -> {
            ObjectNode patched = Patch.apply(type, id, current.attributes(), body);
            requireName(type, patched);
            return patched;
        });
    }

    private interface Change {
        ObjectNode apply(StoredResource current);
    }

    private StoredResource update(ResourceType type, String id, Optional<String> ifMatch, Change change) {
        writes.lock();
        try {
            StoredResource current = get(type, id);
            checkPrecondition(current, ifMatch);
            Members members = resolveMembers(type, id, change.apply(current));
            ObjectNode attributes = members.attributes();
            if (attributes.equals(current.attributes())) {
                return current;
            }
            String oldName = current.text(uniqueName(type));
            String newName = attributes.get(uniqueName(type)).textValue();
            boolean renamed = !oldName.equalsIgnoreCase(newName);
            if (renamed) {
                refuseTaken(type, newName, Optional.of(id));
            }
            StoredResource updated = current.changed(attributes, now());
            mirror(updated, members);
            store.put(updated);
            if (renamed) {
                store.release(type, oldName);
                store.hold(type, newName, id);
                if (type == ResourceType.USER) {
                    store.forgetPerson(oldName);
                    store.rememberPerson(newName, id);
                }
            } else if (!oldName.equals(newName)) {
                store.hold(type, newName, id);
            }
            return updated;
        } finally {
            writes.unlock();
        }
    }

    /** Deletes a resource: a user is deactivated in the directory, a group removed; either leaves the groups it was in. */
    void delete(ResourceType type, String id, Optional<String> ifMatch) {
        writes.lock();
        try {
            StoredResource current = get(type, id);
            checkPrecondition(current, ifMatch);
            if (type == ResourceType.USER) {
                directory.putUser(providerId, providedUser(current, false));
            } else {
                directory.removeGroup(providerId, id);
            }
            for (StoredResource group : store.all(ResourceType.GROUP)) {
                if (!group.id().equals(id) && hasMember(group, id)) {
                    ObjectNode remaining = withoutMember(group.attributes(), id);
                    StoredResource without = group.changed(remaining, now());
                    mirror(without, resolveMembers(ResourceType.GROUP, group.id(), remaining));
                    store.put(without);
                }
            }
            store.delete(current);
            store.release(type, current.text(uniqueName(type)));
            log.info("SCIM {} {} deleted", type, id);
        } finally {
            writes.unlock();
        }
    }

    /** The resource as clients see it, for filters: its attributes with {@code id} and {@code meta}. */
    static ObjectNode view(StoredResource resource) {
        ObjectNode view = resource.attributes();
        view.put("id", resource.id());
        ObjectNode meta = view.putObject("meta");
        meta.put("resourceType", resource.type().typeName());
        meta.put("created", resource.created().toString());
        meta.put("lastModified", resource.lastModified().toString());
        meta.put("version", resource.etag());
        return view;
    }

    private ObjectNode attributesOf(ResourceType type, JsonNode body) {
        if (!body.isObject()) {
            throw ScimException.invalidSyntax("The body is a JSON object: a " + type.typeName() + ".");
        }
        JsonNode schemas = Values.field(body, "schemas");
        boolean named = false;
        if (schemas != null && schemas.isArray()) {
            for (JsonNode schema : schemas) {
                named |= schema.isTextual() && type.core().isNamed(schema.textValue());
            }
        }
        if (!named) {
            throw ScimException.invalidSyntax("The body's 'schemas' lists " + type.core().id() + ".");
        }
        ObjectNode attributes = Values.canonical((ObjectNode) body, type);
        requireName(type, attributes);
        return attributes;
    }

    private static void requireName(ResourceType type, ObjectNode attributes) {
        JsonNode name = attributes.get(uniqueName(type));
        if (name == null || !name.isTextual() || name.textValue().isBlank()) {
            throw ScimException.invalidValue("A " + type.typeName() + " needs '" + uniqueName(type) + "'.");
        }
    }

    private static String uniqueName(ResourceType type) {
        return type == ResourceType.USER ? "userName" : "displayName";
    }

    private void refuseTaken(ResourceType type, String name, Optional<String> self) {
        Optional<String> holder = store.holderOf(type, name).filter(id -> store.find(type, id).isPresent());
        if (holder.isPresent() && !holder.equals(self)) {
            throw ScimException.uniqueness("Another " + type.typeName() + " has the " + uniqueName(type) + " '" + name + "'.");
        }
        if (type == ResourceType.USER && self.isPresent()) {
            Optional<String> former = store.personOf(name).filter(id -> !id.equals(self.get()));
            if (former.isPresent()) {
                throw ScimException.uniqueness("The userName '" + name + "' belongs to a deleted user the server's directory keeps"
                        + " (deactivated); create a user with it to bring them back.");
            }
        }
    }

    private record Members(ObjectNode attributes, Set<String> users, Set<String> groups) {
    }

    /** Checks a group's members exist and records each one's type (User or Group). */
    private Members resolveMembers(ResourceType type, String id, ObjectNode attributes) {
        if (type != ResourceType.GROUP || !(attributes.get("members") instanceof ArrayNode members)) {
            return new Members(attributes, Set.of(), Set.of());
        }
        Set<String> values = new LinkedHashSet<>();
        for (JsonNode member : members) {
            JsonNode value = member.get("value");
            if (value == null || !value.isTextual()) {
                throw ScimException.invalidValue("Each member of a group has a 'value': the id of a User or Group.");
            }
            values.add(value.textValue());
        }
        Set<String> users = store.existing(ResourceType.USER, values);
        Set<String> groups = new HashSet<>(values);
        groups.removeAll(users);
        Set<String> existingGroups = store.existing(ResourceType.GROUP, groups);
        existingGroups.remove(id);
        groups.remove(id);
        if (!existingGroups.containsAll(groups)) {
            groups.removeAll(existingGroups);
            throw ScimException.invalidValue("No User or Group has the id '" + groups.iterator().next() + "'.");
        }
        ArrayNode typed = NODES.arrayNode();
        for (JsonNode member : members) {
            String value = member.get("value").textValue();
            if (value.equals(id)) {
                throw ScimException.invalidValue("A group cannot be a member of itself.");
            }
            ObjectNode copy = ((ObjectNode) member).deepCopy();
            copy.put("type", users.contains(value) ? "User" : "Group");
            typed.add(copy);
        }
        attributes.set("members", typed);
        return new Members(attributes, users, existingGroups);
    }

    private void mirror(StoredResource resource, Members members) {
        try {
            if (resource.type() == ResourceType.USER) {
                JsonNode active = resource.attributes().get("active");
                directory.putUser(providerId, providedUser(resource, active == null || active.booleanValue()));
            } else {
                directory.putGroup(providerId, new ProvidedGroup(resource.id(), resource.text("displayName"), members.users(), members.groups()));
            }
        } catch (IllegalArgumentException e) {
            // The directory refuses what it cannot hold (a malformed username or e-mail, a name it already has).
            throw ScimException.invalidValue("The server's directory refuses this " + resource.type().typeName() + ": " + e.getMessage());
        }
    }

    private static ProvidedUser providedUser(StoredResource user, boolean active) {
        return new ProvidedUser(user.id(), user.text("userName"), displayName(user), email(user), active);
    }

    private static String displayName(StoredResource user) {
        ObjectNode attributes = user.attributes();
        String name = user.text("displayName");
        JsonNode parts = attributes.path("name");
        if (name.isBlank()) {
            name = parts.path("formatted").asText("");
        }
        if (name.isBlank()) {
            name = (parts.path("givenName").asText("") + " " + parts.path("familyName").asText("")).trim();
        }
        if (name.isBlank()) {
            name = user.text("userName");
        }
        return name.length() > 200 ? name.substring(0, 200) : name;
    }

    /** The primary e-mail address, else the work one, else the first; empty when there is none. */
    private static String email(StoredResource user) {
        String first = null;
        String work = null;
        for (JsonNode email : user.attributes().path("emails")) {
            String value = email.path("value").asText("");
            if (email.path("primary").asBoolean(false)) {
                return value;
            }
            first = first == null ? value : first;
            work = work == null && email.path("type").asText("").equalsIgnoreCase("work") ? value : work;
        }
        return work != null ? work : first != null ? first : "";
    }

    private static boolean hasMember(StoredResource group, String memberId) {
        for (JsonNode member : group.attributes().path("members")) {
            if (member.path("value").asText("").equals(memberId)) {
                return true;
            }
        }
        return false;
    }

    private static ObjectNode withoutMember(ObjectNode attributes, String memberId) {
        ArrayNode kept = NODES.arrayNode();
        for (JsonNode member : attributes.path("members")) {
            if (!member.path("value").asText("").equals(memberId)) {
                kept.add(member);
            }
        }
        if (kept.isEmpty()) {
            attributes.remove("members");
        } else {
            attributes.set("members", kept);
        }
        return attributes;
    }

    /** RFC 7644 §3.14: a stale {@code If-Match} is refused with 412; {@code *} matches any version. */
    private static void checkPrecondition(StoredResource current, Optional<String> ifMatch) {
        if (ifMatch.isPresent() && !ETags.matches(ifMatch.get(), current)) {
            throw new ScimException(412, null, "The " + current.type().typeName() + " has changed: its version is now " + current.etag() + ".");
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private static String newId() {
        return UUID.randomUUID().toString();
    }
}
