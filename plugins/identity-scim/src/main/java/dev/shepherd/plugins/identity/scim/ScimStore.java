package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Users and Groups in the plugin's {@link PluginStorage}: each resource as JSON under {@code resource/<type>/<id>},
 * and two indexes keyed by the SHA-256 of a lower-cased name (names may be longer than a storage key): the
 * resource holding a userName or group displayName ({@code name/…}), and the id a userName has had
 * ({@code person/…}), kept after the user is deleted so that the same userName comes back as the same person.
 */
@Singleton
final class ScimStore {

    private final PluginStorage storage;

    @Inject
    ScimStore(PluginStorage storage) {
        this.storage = requireNonNull(storage, "storage is null");
    }

    Optional<StoredResource> find(ResourceType type, String id) {
        if (id.isEmpty() || id.length() > 100) {
            return Optional.empty();
        }
        return storage.get(resourceKey(type, id)).map(bytes -> decode(type, bytes));
    }

    /** @return every resource of a type, oldest first */
    List<StoredResource> all(ResourceType type) {
        List<StoredResource> all = new ArrayList<>();
        for (String key : storage.keys("resource/" + type + "/")) {
            storage.get(key).ifPresent(bytes -> all.add(decode(type, bytes)));
        }
        all.sort(Comparator.comparing(StoredResource::created).thenComparing(StoredResource::id));
        return all;
    }

    void put(StoredResource resource) {
        ObjectNode stored = JsonNodeFactory.instance.objectNode();
        stored.put("id", resource.id());
        stored.put("version", resource.version());
        stored.put("created", resource.created().toString());
        stored.put("lastModified", resource.lastModified().toString());
        stored.set("attributes", resource.attributes());
        storage.put(resourceKey(resource.type(), resource.id()), ScimJson.write(stored));
    }

    void delete(StoredResource resource) {
        storage.delete(resourceKey(resource.type(), resource.id()));
    }

    /** @return the id of the resource holding a name (userName, group displayName), compared in any case */
    Optional<String> holderOf(ResourceType type, String name) {
        return storage.get(nameKey("name", type, name)).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    void hold(ResourceType type, String name, String id) {
        storage.put(nameKey("name", type, name), id.getBytes(StandardCharsets.UTF_8));
    }

    void release(ResourceType type, String name) {
        storage.delete(nameKey("name", type, name));
    }

    /** @return the id of the user who last had this userName, deleted or not */
    Optional<String> personOf(String userName) {
        return storage.get(nameKey("person", ResourceType.USER, userName)).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    void rememberPerson(String userName, String id) {
        storage.put(nameKey("person", ResourceType.USER, userName), id.getBytes(StandardCharsets.UTF_8));
    }

    /** @return those of the ids that are resources of the type, in one query */
    Set<String> existing(ResourceType type, Collection<String> ids) {
        Map<String, String> idsByKey = new HashMap<>();
        for (String id : ids) {
            if (!id.isEmpty() && id.length() <= 100) {
                idsByKey.put(resourceKey(type, id), id);
            }
        }
        Set<String> existing = new HashSet<>();
        storage.present(idsByKey.keySet()).forEach(key -> existing.add(idsByKey.get(key)));
        return existing;
    }

    void forgetPerson(String userName) {
        storage.delete(nameKey("person", ResourceType.USER, userName));
    }

    private static String resourceKey(ResourceType type, String id) {
        return "resource/" + type + "/" + id;
    }

    private static String nameKey(String index, ResourceType type, String name) {
        return index + "/" + type + "/" + HexFormat.of().formatHex(Sha256.of(name.toLowerCase(Locale.ROOT)));
    }

    private static StoredResource decode(ResourceType type, byte[] bytes) {
        try {
            JsonNode stored = ScimJson.MAPPER.readTree(bytes);
            return new StoredResource(type, stored.path("id").asText(), stored.path("version").asLong(),
                    Instant.parse(stored.path("created").asText()), Instant.parse(stored.path("lastModified").asText()),
                    (ObjectNode) stored.path("attributes"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("a stored SCIM " + type.typeName() + " cannot be read", e);
        }
    }
}
