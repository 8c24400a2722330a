package dev.shepherd.api.identity;

/**
 * What {@link UserDirectory#completeSync} changed.
 *
 * @param usersDeactivated the provider's users that were active and were not in the sync, now disabled
 * @param groupsRemoved the provider's groups that were not in the sync, now removed
 * @since 0.11.0
 */
public record DirectorySyncSummary(int usersDeactivated, int groupsRemoved) {
}
