package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Reads people and groups from the directory as the service account, mapped by the settings' attributes: one person
 * by username (for sign-in and look-up) with their effective groups, or everything (for a sync).
 */
@Singleton
public final class LdapDirectory {

    private static final Logger log = LoggerFactory.getLogger(LdapDirectory.class);
    private static final String USER_ACCOUNT_CONTROL = "userAccountControl";
    private static final String COMMON_NAME = "cn";
    /** The attribute list that asks for no attributes (RFC 4511 4.5.1.8). */
    private static final String NO_ATTRIBUTES = "1.1";

    /**
     * A person as the directory has them.
     *
     * @param dn their entry's DN
     * @param externalId their stable id ({@code entryUUID}, or {@code objectGUID} as a GUID string)
     * @param username their login name
     * @param displayName the name to show
     * @param email e-mail address, empty when the entry has none
     * @param disabled whether the directory disabled them
     */
    public record Person(String dn, String externalId, String username, String displayName, String email, boolean disabled) {
        /** Validates every part. */
        public Person {
            requireNonNull(dn, "dn is null");
            requireNonNull(externalId, "externalId is null");
            requireNonNull(username, "username is null");
            requireNonNull(displayName, "displayName is null");
            requireNonNull(email, "email is null");
        }
    }

    /**
     * A group as the directory has it, its members as the directory names them.
     *
     * @param dn its entry's DN
     * @param externalId its stable id
     * @param name its name
     * @param members its direct members: DNs, or usernames for {@code memberUid}
     */
    public record DirectoryGroup(String dn, String externalId, String name, List<String> members) {
        /** Validates every part. */
        public DirectoryGroup {
            requireNonNull(dn, "dn is null");
            requireNonNull(externalId, "externalId is null");
            requireNonNull(name, "name is null");
            members = List.copyOf(requireNonNull(members, "members is null"));
        }
    }

    /**
     * Everything a full read found.
     *
     * @param people the people
     * @param groups the groups
     * @param skipped entries without an id, a username or a group name, left out
     * @param pages the pages the paged searches took
     */
    public record Snapshot(List<Person> people, List<DirectoryGroup> groups, int skipped, int pages) {
        /** Copies the lists. */
        public Snapshot {
            people = List.copyOf(requireNonNull(people, "people is null"));
            groups = List.copyOf(requireNonNull(groups, "groups is null"));
        }
    }

    private final LdapConnections connections;
    private final LdapSettings settings;

    @Inject
    public LdapDirectory(LdapConnections connections) {
        this.connections = requireNonNull(connections, "connections is null");
        this.settings = connections.settings();
    }

    /**
     * Finds one person by their login name.
     *
     * @param username the login name as typed
     * @return the person, or empty when the directory has no one (or more than one) by that name
     * @throws LDAPException when the directory cannot be searched
     */
    public Optional<Person> findPerson(String username) throws LDAPException {
        requireNonNull(username, "username is null");
        Filter filter = Filter.createANDFilter(Filter.create(settings.userFilter()),
                Filter.createEqualityFilter(settings.usernameAttribute(), username));
        return connections.withServiceConnection(connection -> {
            List<SearchResultEntry> found = new ArrayList<>();
            connections.pagedSearch(connection, settings.userBaseDn(), filter, personAttributes(), found::add);
            if (found.size() != 1) {
                if (found.size() > 1) {
                    log.warn("{} entries below {} have {}={}; refusing to guess which is meant", found.size(), settings.userBaseDn(),
                            settings.usernameAttribute(), username);
                }
                return Optional.empty();
            }
            Entry entry = found.get(0);
            boolean disabledByFilter = settings.disabledFilter().isPresent()
                    && connection.search(entry.getDN(), SearchScope.BASE, Filter.create(settings.disabledFilter().get()), NO_ATTRIBUTES)
                    .getEntryCount() > 0;
            return person(entry, disabledByFilter);
        });
    }

    /**
     * The names of the groups a person is in, directly or through nested groups: resolved by AD itself with the
     * in-chain matching rule when {@code activeDirectory} is set, walked level by level otherwise (cycles tolerated,
     * at most {@code maxNestingDepth} levels).
     *
     * @param person the person
     * @return the group names
     * @throws LDAPException when the directory cannot be searched
     */
    public Set<String> effectiveGroups(Person person) throws LDAPException {
        requireNonNull(person, "person is null");
        Filter groups = Filter.create(settings.groupFilter());
        List<String> attributes = List.of(settings.groupNameAttribute());
        return connections.withServiceConnection(connection -> {
            Set<String> names = new TreeSet<>();
            if (settings.activeDirectory()) {
                Filter inChain = Filter.createANDFilter(groups, ActiveDirectory.inChainMemberFilter(settings.memberAttribute(), person.dn()));
                connections.pagedSearch(connection, settings.groupBaseDn(), inChain, attributes,
                        entry -> name(entry).ifPresent(names::add));
                return names;
            }
            Set<String> seen = new LinkedHashSet<>();
            List<Filter> memberOf = List.of(settings.membersAreUsernames()
                    ? Filter.createEqualityFilter(settings.memberAttribute(), person.username())
                    : Filter.createEqualityFilter(settings.memberAttribute(), person.dn()));
            for (int depth = 0; depth < settings.maxNestingDepth() && !memberOf.isEmpty(); depth++) {
                List<Filter> next = new ArrayList<>();
                connections.pagedSearch(connection, settings.groupBaseDn(), Filter.createANDFilter(groups, Filter.createORFilter(memberOf)),
                        attributes, entry -> {
                            name(entry).ifPresent(names::add);
                            if (!settings.membersAreUsernames() && seen.add(normalized(entry.getDN()).orElse(entry.getDN()))) {
                                next.add(Filter.createEqualityFilter(settings.memberAttribute(), entry.getDN()));
                            }
                        });
                memberOf = next;
            }
            return names;
        });
    }

    /**
     * Reads every person and group, with the paged results control.
     *
     * @return what the directory has
     * @throws LDAPException when any search fails: then nothing of the read may be taken as complete
     */
    public Snapshot readAll() throws LDAPException {
        return connections.withServiceConnection(connection -> {
            int[] pages = {0};
            int[] skipped = {0};
            Set<String> disabledDns = new LinkedHashSet<>();
            if (settings.disabledFilter().isPresent()) {
                Filter disabled = Filter.createANDFilter(Filter.create(settings.userFilter()), Filter.create(settings.disabledFilter().get()));
                pages[0] += connections.pagedSearch(connection, settings.userBaseDn(), disabled, List.of(NO_ATTRIBUTES),
                        entry -> disabledDns.add(normalized(entry.getDN()).orElse(entry.getDN())));
            }
            List<Person> people = new ArrayList<>();
            pages[0] += connections.pagedSearch(connection, settings.userBaseDn(), Filter.create(settings.userFilter()), personAttributes(),
                    entry -> person(entry, disabledDns.contains(normalized(entry.getDN()).orElse(entry.getDN())))
                            .ifPresentOrElse(people::add, () -> skipped[0]++));
            Map<String, DirectoryGroup> groups = new LinkedHashMap<>();
            Map<String, Integer> moreMembersFrom = new LinkedHashMap<>();
            pages[0] += connections.pagedSearch(connection, settings.groupBaseDn(), Filter.create(settings.groupFilter()),
                    List.of(settings.groupNameAttribute(), settings.idAttribute(), settings.memberAttribute()), entry -> {
                        Optional<String> id = externalId(entry);
                        Optional<String> name = name(entry);
                        if (id.isEmpty() || name.isEmpty()) {
                            skipped[0]++;
                            return;
                        }
                        List<String> members = new ArrayList<>();
                        members(entry, members).ifPresent(next -> moreMembersFrom.put(id.get(), next));
                        groups.put(id.get(), new DirectoryGroup(entry.getDN(), id.get(), name.get(), members));
                    });
            for (Map.Entry<String, Integer> ranged : moreMembersFrom.entrySet()) {
                DirectoryGroup group = groups.get(ranged.getKey());
                groups.put(group.externalId(), new DirectoryGroup(group.dn(), group.externalId(), group.name(),
                        remainingMembers(connection, group, ranged.getValue())));
            }
            return new Snapshot(people, List.copyOf(groups.values()), skipped[0], pages[0]);
        });
    }

    /**
     * Adds a group entry's members to a list, whether the directory sent them whole or, as AD does beyond 1500 values,
     * the first part of a ranged attribute ({@code member;range=0-1499}).
     *
     * @return where the next part starts, when there is one
     */
    private Optional<Integer> members(Entry entry, List<String> members) {
        Optional<Integer> next = Optional.empty();
        for (Attribute attribute : entry.getAttributes()) {
            if (!attribute.getBaseName().equalsIgnoreCase(settings.memberAttribute())) {
                continue;
            }
            members.addAll(List.of(attribute.getValues()));
            OptionalInt start = ActiveDirectory.nextRangeStart(attribute.getName(), settings.memberAttribute());
            if (start.isPresent()) {
                next = Optional.of(start.getAsInt());
            }
        }
        return next;
    }

    /** Reads the rest of a ranged member attribute, part after part, on the connection of the sync. */
    private List<String> remainingMembers(LDAPConnection connection, DirectoryGroup group, int from) throws LDAPException {
        List<String> members = new ArrayList<>(group.members());
        Optional<Integer> next = Optional.of(from);
        while (next.isPresent()) {
            SearchResultEntry part = connection.getEntry(group.dn(), ActiveDirectory.rangeFrom(settings.memberAttribute(), next.get()));
            if (part == null) {
                // The group went while it was read: the read is not a complete picture of the directory.
                throw new LDAPException(ResultCode.NO_SUCH_OBJECT, "The group " + group.dn() + " disappeared while its members were read.");
            }
            int before = members.size();
            next = members(part, members);
            if (members.size() == before) {
                break;
            }
        }
        return members;
    }

    /**
     * @param dn a DN as the directory wrote it
     * @return its normalized form (case, spacing and escaping made canonical), for comparing DNs; empty when malformed
     */
    public static Optional<String> normalized(String dn) {
        try {
            return Optional.of(new DN(dn).toNormalizedString());
        } catch (LDAPException e) {
            return Optional.empty();
        }
    }

    private List<String> personAttributes() {
        List<String> attributes = new ArrayList<>(List.of(settings.idAttribute(), settings.usernameAttribute(),
                settings.displayNameAttribute(), COMMON_NAME, settings.mailAttribute()));
        if (settings.activeDirectory()) {
            attributes.add(USER_ACCOUNT_CONTROL);
        }
        return attributes;
    }

    private Optional<Person> person(Entry entry, boolean disabledByFilter) {
        Optional<String> id = externalId(entry);
        String username = entry.getAttributeValue(settings.usernameAttribute());
        if (id.isEmpty() || username == null || username.isBlank()) {
            return Optional.empty();
        }
        String displayName = Optional.ofNullable(entry.getAttributeValue(settings.displayNameAttribute()))
                .or(() -> Optional.ofNullable(entry.getAttributeValue(COMMON_NAME))).filter(name -> !name.isBlank()).orElse(username);
        String email = Optional.ofNullable(entry.getAttributeValue(settings.mailAttribute())).orElse("");
        boolean disabled = disabledByFilter || (settings.activeDirectory()
                && ActiveDirectory.UserAccountControl.parse(entry.getAttributeValue(USER_ACCOUNT_CONTROL))
                .map(ActiveDirectory.UserAccountControl::accountDisabled).orElse(false));
        return Optional.of(new Person(entry.getDN(), id.get(), username, displayName, email, disabled));
    }

    private Optional<String> externalId(Entry entry) {
        if (settings.idAttribute().toLowerCase(Locale.ROOT).equals("objectguid")) {
            byte[] guid = entry.getAttributeValueBytes(settings.idAttribute());
            return guid == null || guid.length != 16 ? Optional.empty() : Optional.of(ActiveDirectory.guidToString(guid));
        }
        return Optional.ofNullable(entry.getAttributeValue(settings.idAttribute())).filter(id -> !id.isBlank());
    }

    private Optional<String> name(Entry entry) {
        return Optional.ofNullable(entry.getAttributeValue(settings.groupNameAttribute())).filter(name -> !name.isBlank());
    }
}
