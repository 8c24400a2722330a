package dev.shepherd.security;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Set;

/**
 * What an admin may do: a named set of {@link Permission}s. The four built-in roles ({@link AdminRole}) are read-only
 * presets; admins with {@link Permission#ADMIN_MANAGE} make custom ones ({@link CustomRole}) in {@link AdminRoles}.
 * Accounts and API tokens refer to a role by its {@link #id()}, which is also how a role appears in JSON.
 */
public interface Role {

    /** @return the stable identifier accounts and tokens refer to: a built-in's constant name, or a custom role's id */
    @JsonValue
    String id();

    /** @return what the role is called, for people */
    String name();

    /** @return what the role is for */
    String description();

    Set<Permission> permissions();

    /** @return whether this is one of the read-only presets */
    boolean builtIn();

    default boolean allows(Permission permission) {
        return permissions().contains(permission);
    }

    /** @return whether this role holds every permission of the other */
    default boolean covers(Role other) {
        return permissions().containsAll(other.permissions());
    }
}
