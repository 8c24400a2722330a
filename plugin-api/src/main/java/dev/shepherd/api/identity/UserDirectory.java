package dev.shepherd.api.identity;

import java.util.Optional;
import java.util.Set;

/**
 * The server's directory of people and their groups, as identity-provider plugins feed it: an LDAP sync, a SCIM
 * service that Entra ID or Okta push to, a sign-in that brings a person's groups along. Injectable into any
 * extension.
 *
 * <p>Everything a plugin puts is kept under a provider id (normally its {@link IdentityProvider#id()}). The first
 * plugin to put under a provider id owns it; another plugin's calls for that id, and calls for the server's own
 * {@code local} directory, are refused with {@link IllegalArgumentException}. Users are matched by their
 * {@linkplain ProvidedUser#externalId() external id}; a user the server already knows under the provider by username
 * alone (one who signed in before the first sync) is adopted rather than duplicated.
 *
 * <p>People are never deleted through this interface, because devices and audit history point at them: a person
 * the directory no longer has is deactivated, their sign-ins are refused, and the server's deprovisioning policy
 * (flag only, or retire their devices after a grace period) decides what happens to their devices. Their groups
 * drive smart groups, policy and app assignment like any other group attribute.
 *
 * @since 0.11.0
 */
public interface UserDirectory {

    /**
     * Creates or updates a person. Putting an unchanged person changes nothing and writes no audit entry; putting
     * {@code active = false} deactivates them, putting {@code active = true} again reactivates them.
     *
     * @param providerId the provider the person belongs to
     * @param user the person
     * @return the person's id in the server's directory
     * @throws IllegalArgumentException for a malformed username, name or e-mail, a username another person of the
     *         provider holds, or a provider id this plugin does not own
     */
    String putUser(String providerId, ProvidedUser user);

    /**
     * @param providerId the provider
     * @param externalId the person's external id
     * @return the person's id in the server's directory, when the provider has put them
     */
    Optional<String> findUser(String providerId, String externalId);

    /**
     * Creates or updates a group and replaces its direct members. Members the directory does not have (yet) are
     * ignored, so put the users and member groups first.
     *
     * @param providerId the provider the group belongs to
     * @param group the group
     * @return the group's id in the server's directory
     * @throws IllegalArgumentException for a malformed name, a name another group of the provider holds, or a
     *         provider id this plugin does not own
     */
    String putGroup(String providerId, ProvidedGroup group);

    /**
     * Removes a group; its members stay. Smart groups that select its members select them no longer.
     *
     * @param providerId the provider
     * @param externalId the group's external id
     * @return false when the provider has no such group
     */
    boolean removeGroup(String providerId, String externalId);

    /**
     * Ends a full sync: the provider's active users not among {@code userExternalIds} are deactivated and its groups
     * not among {@code groupExternalIds} are removed. Call it only after a sync that read the whole directory
     * without error, never after a partial or failed one.
     *
     * @param providerId the provider
     * @param userExternalIds every person the directory has now
     * @param groupExternalIds every group the directory has now
     * @return what changed
     */
    DirectorySyncSummary completeSync(String providerId, Set<String> userExternalIds, Set<String> groupExternalIds);
}
