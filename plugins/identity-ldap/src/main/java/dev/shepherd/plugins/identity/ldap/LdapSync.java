package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.LDAPException;
import dev.shepherd.api.identity.DirectorySyncSummary;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * One full sync of the directory into the server's: every person put (active unless the directory disabled them),
 * then every group with its direct members (people and groups, by external id), then
 * {@link UserDirectory#completeSync} deactivates the people and removes the groups the directory no longer has.
 * {@code completeSync} is reached only after the whole directory was read without error: a read that fails half-way
 * throws before it, so a directory that is down, or a search the directory refuses, never deactivates anyone.
 */
@Singleton
public final class LdapSync {

    private static final Logger log = LoggerFactory.getLogger(LdapSync.class);

    /**
     * How a sync went.
     *
     * @param at when it ended
     * @param users the people read
     * @param disabledUsers of them, those the directory disabled
     * @param groups the groups read
     * @param skipped entries left out for lack of an id, a username or a name
     * @param refused people and groups the server refused (a malformed username, a duplicate group name), kept as they were
     * @param pages the pages the paged searches took
     * @param usersDeactivated people the directory no longer has, deactivated
     * @param groupsRemoved groups the directory no longer has, removed
     */
    public record Report(Instant at, int users, int disabledUsers, int groups, int skipped, int refused, int pages,
                         int usersDeactivated, int groupsRemoved) {
        /** Validates every part. */
        public Report {
            requireNonNull(at, "at is null");
        }
    }

    private final LdapDirectory directory;
    private final UserDirectory users;
    private final LdapSettings settings;
    private final Clock clock;

    @Inject
    public LdapSync(LdapDirectory directory, UserDirectory users, LdapConnections connections) {
        this(directory, users, connections.settings(), Clock.systemUTC());
    }

    LdapSync(LdapDirectory directory, UserDirectory users, LdapSettings settings, Clock clock) {
        this.directory = requireNonNull(directory, "directory is null");
        this.users = requireNonNull(users, "users is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Syncs the whole directory.
     *
     * @return how it went
     * @throws LDAPException when the directory could not be read in full; then no one was deactivated
     */
    public Report sync() throws LDAPException {
        String providerId = settings.providerId();
        LdapDirectory.Snapshot snapshot = directory.readAll();
        Map<String, String> userByDn = new HashMap<>();
        Map<String, String> userByUsername = new HashMap<>();
        Set<String> userIds = new LinkedHashSet<>();
        int refused = 0;
        int disabled = 0;
        for (LdapDirectory.Person person : snapshot.people()) {
            userIds.add(person.externalId());
            LdapDirectory.normalized(person.dn()).ifPresent(dn -> userByDn.put(dn, person.externalId()));
            userByUsername.put(person.username().toLowerCase(Locale.ROOT), person.externalId());
            if (person.disabled()) {
                disabled++;
            }
            try {
                users.putUser(providerId, new ProvidedUser(person.externalId(), person.username(), person.displayName(), person.email(),
                        !person.disabled()));
            } catch (IllegalArgumentException e) {
                refused++;
                log.warn("The server refused the directory's person {}: {}", person.dn(), e.getMessage());
            }
        }
        Map<String, String> groupByDn = new HashMap<>();
        for (LdapDirectory.DirectoryGroup group : snapshot.groups()) {
            LdapDirectory.normalized(group.dn()).ifPresent(dn -> groupByDn.put(dn, group.externalId()));
        }
        Set<String> groupIds = new LinkedHashSet<>();
        for (LdapDirectory.DirectoryGroup group : snapshot.groups()) {
            groupIds.add(group.externalId());
            Set<String> memberUsers = new LinkedHashSet<>();
            Set<String> memberGroups = new LinkedHashSet<>();
            for (String member : group.members()) {
                if (settings.membersAreUsernames()) {
                    Optional.ofNullable(userByUsername.get(member.toLowerCase(Locale.ROOT))).ifPresent(memberUsers::add);
                    continue;
                }
                // Members outside the user and group bases (or outside their filters) are not the server's to know.
                LdapDirectory.normalized(member).ifPresent(dn -> {
                    Optional.ofNullable(userByDn.get(dn)).ifPresent(memberUsers::add);
                    Optional.ofNullable(groupByDn.get(dn)).ifPresent(memberGroups::add);
                });
            }
            try {
                users.putGroup(providerId, new ProvidedGroup(group.externalId(), group.name(), memberUsers, memberGroups));
            } catch (IllegalArgumentException e) {
                refused++;
                log.warn("The server refused the directory's group {}: {}", group.dn(), e.getMessage());
            }
        }
        DirectorySyncSummary summary = users.completeSync(providerId, userIds, groupIds);
        Report report = new Report(clock.instant(), snapshot.people().size(), disabled, snapshot.groups().size(), snapshot.skipped(),
                refused, snapshot.pages(), summary.usersDeactivated(), summary.groupsRemoved());
        log.info("Directory synced: {} people ({} disabled), {} groups, {} deactivated, {} groups removed", report.users(),
                report.disabledUsers(), report.groups(), report.usersDeactivated(), report.groupsRemoved());
        return report;
    }
}
