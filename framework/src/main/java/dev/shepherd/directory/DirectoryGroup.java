package dev.shepherd.directory;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A group of people as an identity provider's directory holds it. Groups may contain groups; smart groups select
 * the devices of a group's people at any depth.
 *
 * @param id identifier in the server's directory
 * @param provider the identity provider the group belongs to
 * @param externalId the provider's stable id of the group
 * @param name the name admins know it by, unique within the provider
 * @param createdAt when the provider first put it
 * @param updatedAt when its name or direct members last changed
 */
public record DirectoryGroup(String id, String provider, String externalId, String name, Instant createdAt, Instant updatedAt) {
    public DirectoryGroup {
        requireNonNull(id, "id is null");
        requireNonNull(provider, "provider is null");
        requireNonNull(externalId, "externalId is null");
        requireNonNull(name, "name is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }
}
