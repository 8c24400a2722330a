package dev.shepherd.plugins.identity.scim;

import dev.shepherd.api.identity.DirectorySyncSummary;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The server's directory as {@link UserDirectory}'s Javadoc describes it, in memory, for unit tests: it keeps what a
 * provider put, refuses usernames outside the documented form and a username another person of the provider holds,
 * and never deletes a person.
 */
final class RecordingDirectory implements UserDirectory {

    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._@+-]{1,200}");

    final Map<String, ProvidedUser> users = new ConcurrentHashMap<>();
    final Map<String, ProvidedGroup> groups = new ConcurrentHashMap<>();
    private final String owner;

    RecordingDirectory(String owner) {
        this.owner = owner;
    }

    @Override
    public String putUser(String providerId, ProvidedUser user) {
        owned(providerId);
        if (!USERNAME.matcher(user.username()).matches()) {
            throw new IllegalArgumentException("username must be 1 to 200 letters, digits and . _ @ + -");
        }
        users.values().stream().filter(other -> !other.externalId().equals(user.externalId()) && other.username().equalsIgnoreCase(user.username()))
                .findAny().ifPresent(other -> {
                    throw new IllegalArgumentException("another person has the username " + user.username());
                });
        users.put(user.externalId(), user);
        return "user-" + user.externalId();
    }

    @Override
    public Optional<String> findUser(String providerId, String externalId) {
        owned(providerId);
        return Optional.ofNullable(users.get(externalId)).map(user -> "user-" + user.externalId());
    }

    @Override
    public String putGroup(String providerId, ProvidedGroup group) {
        owned(providerId);
        groups.put(group.externalId(), group);
        return "group-" + group.externalId();
    }

    @Override
    public boolean removeGroup(String providerId, String externalId) {
        owned(providerId);
        return groups.remove(externalId) != null;
    }

    @Override
    public DirectorySyncSummary completeSync(String providerId, Set<String> userExternalIds, Set<String> groupExternalIds) {
        throw new UnsupportedOperationException("a SCIM service never completes a sync: its clients push each change");
    }

    private void owned(String providerId) {
        if (!providerId.equals(owner)) {
            throw new IllegalArgumentException("provider " + providerId + " is not this plugin's");
        }
    }
}
