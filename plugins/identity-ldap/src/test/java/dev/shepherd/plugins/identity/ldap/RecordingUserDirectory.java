package dev.shepherd.plugins.identity.ldap;

import dev.shepherd.api.identity.DirectorySyncSummary;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's directory as {@link UserDirectory}'s contract describes it, in memory, for tests of the sync without a
 * server: people by external id (deactivated, never deleted), groups with their direct members, and how often a
 * sync was completed.
 */
final class RecordingUserDirectory implements UserDirectory {

    final Map<String, ProvidedUser> users = new ConcurrentHashMap<>();
    final Map<String, ProvidedGroup> groups = new ConcurrentHashMap<>();
    final AtomicInteger completedSyncs = new AtomicInteger();

    @Override
    public String putUser(String providerId, ProvidedUser user) {
        users.put(user.externalId(), user);
        return "user-" + user.externalId();
    }

    @Override
    public Optional<String> findUser(String providerId, String externalId) {
        return users.containsKey(externalId) ? Optional.of("user-" + externalId) : Optional.empty();
    }

    @Override
    public String putGroup(String providerId, ProvidedGroup group) {
        groups.put(group.externalId(), group);
        return "group-" + group.externalId();
    }

    @Override
    public boolean removeGroup(String providerId, String externalId) {
        return groups.remove(externalId) != null;
    }

    @Override
    public DirectorySyncSummary completeSync(String providerId, Set<String> userExternalIds, Set<String> groupExternalIds) {
        completedSyncs.incrementAndGet();
        int deactivated = 0;
        for (ProvidedUser user : users.values()) {
            if (user.active() && !userExternalIds.contains(user.externalId())) {
                users.put(user.externalId(), new ProvidedUser(user.externalId(), user.username(), user.displayName(), user.email(), false));
                deactivated++;
            }
        }
        int removed = 0;
        for (String group : Set.copyOf(groups.keySet())) {
            if (!groupExternalIds.contains(group)) {
                groups.remove(group);
                removed++;
            }
        }
        return new DirectorySyncSummary(deactivated, removed);
    }

    ProvidedUser user(String username) {
        return users.values().stream().filter(user -> user.username().equals(username)).findFirst()
                .orElseThrow(() -> new AssertionError("no user " + username + " was put"));
    }

    ProvidedGroup group(String name) {
        return groups.values().stream().filter(group -> group.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no group " + name + " was put"));
    }
}
