package dev.shepherd.security;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A role an admin made from the existing permissions.
 *
 * @param id stable identifier ({@code role-} and random hex)
 * @param name unique among all roles, built-ins included
 * @param description what it is for (may be empty)
 * @param permissions what its holders may do
 */
public record CustomRole(String id, String name, String description, Set<Permission> permissions) implements Role {
    public CustomRole {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        permissions = Set.copyOf(requireNonNull(permissions, "permissions is null"));
    }

    @Override
    public boolean builtIn() {
        return false;
    }
}
