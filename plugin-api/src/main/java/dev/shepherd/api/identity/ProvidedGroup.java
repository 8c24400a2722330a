package dev.shepherd.api.identity;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A group as an identity provider's directory holds it, for {@link UserDirectory#putGroup}. Groups may contain
 * groups (AD and LDAP nested groups, SCIM groups of groups): the server resolves membership through any depth, so a
 * provider reports each group's <em>direct</em> members only. Cycles are tolerated.
 *
 * @param externalId the provider's stable, unique id of the group
 * @param name the group's name as admins know it (an LDAP {@code cn}, a SCIM {@code displayName}); 1 to 200
 *        characters, unique within the provider
 * @param memberUsers external ids of the users directly in the group
 * @param memberGroups external ids of the groups directly in the group
 * @since 0.11.0
 */
public record ProvidedGroup(String externalId, String name, Set<String> memberUsers, Set<String> memberGroups) {

    /** Checks every part is present and copies the member sets. */
    public ProvidedGroup {
        requireNonNull(externalId, "externalId is null");
        requireNonNull(name, "name is null");
        memberUsers = Set.copyOf(requireNonNull(memberUsers, "memberUsers is null"));
        memberGroups = Set.copyOf(requireNonNull(memberGroups, "memberGroups is null"));
        if (externalId.isBlank()) {
            throw new IllegalArgumentException("externalId is blank");
        }
    }
}
