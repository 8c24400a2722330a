package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import dev.shepherd.api.config.PluginConfig;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's settings ({@code plugins.config.identity-ldap} in {@code conf/shepherd.yaml}), checked when the plugin
 * loads so that a mistake stops it with a reason naming the key. Without {@code url} the plugin runs unconfigured: it
 * accepts no sign-in and syncs nothing. The service account's password is no setting: it is put through the admin
 * endpoint {@code /bind-password} and kept sealed ({@link BindPassword}).
 *
 * @param providerId the identity provider's id, under which users and groups land in the server's directory
 * @param servers the directory's servers, tried in order
 * @param transport how connections are protected
 * @param caFile a PEM file of the CA certificates to trust instead of the Java runtime's trust store
 * @param verifyHostname whether the server's certificate must name the host connected to
 * @param bindDn the service account that searches the directory; anonymous when empty
 * @param userBaseDn where people are searched
 * @param userFilter which entries below it are people
 * @param usernameAttribute the login name: {@code uid}, {@code sAMAccountName}, {@code userPrincipalName} or {@code mail}
 * @param displayNameAttribute the name to show ({@code cn} when the entry lacks it)
 * @param mailAttribute the e-mail address
 * @param idAttribute the stable id of people and groups: {@code entryUUID}, or AD's binary {@code objectGUID}
 * @param groupBaseDn where groups are searched
 * @param groupFilter which entries below it are groups
 * @param groupNameAttribute the group's name
 * @param memberAttribute {@code member} or {@code uniqueMember} (DNs of users and groups), or {@code memberUid} (usernames)
 * @param disabledFilter the people matching it are disabled; AD's default is the {@code userAccountControl} bitwise test
 * @param activeDirectory whether the directory is Active Directory: nested groups are resolved with the in-chain
 *        matching rule, {@code userAccountControl} is read
 * @param pageSize entries per page of a paged search (RFC 2696)
 * @param poolSize most connections the service account holds open
 * @param connectTimeout how long a connection attempt may take
 * @param responseTimeout how long one operation may take
 * @param syncInterval how often the directory is synced; zero for on demand only
 * @param adminWait how long an admin's sync request waits before answering 202
 * @param maxNestingDepth how deep nested groups are walked for a sign-in
 */
public record LdapSettings(String providerId, List<LdapServer> servers, Transport transport, Optional<Path> caFile,
                           boolean verifyHostname, Optional<String> bindDn, String userBaseDn, String userFilter,
                           String usernameAttribute, String displayNameAttribute, String mailAttribute, String idAttribute,
                           String groupBaseDn, String groupFilter, String groupNameAttribute, String memberAttribute,
                           Optional<String> disabledFilter, boolean activeDirectory, int pageSize, int poolSize,
                           Duration connectTimeout, Duration responseTimeout, Duration syncInterval, Duration adminWait,
                           int maxNestingDepth) {

    /** How connections to the directory are protected. */
    public enum Transport {
        /** TLS from the first byte ({@code ldaps://}). */
        LDAPS,
        /** {@code ldap://} upgraded with the StartTLS extended operation before anything else is sent. */
        START_TLS,
        /** No protection: only with {@code allowPlaintext: true} and only to a loopback address (tests, a local proxy). */
        PLAIN
    }

    /**
     * One server.
     *
     * @param host its host name or address
     * @param port its port
     */
    public record LdapServer(String host, int port) {
        /** Validates every part. */
        public LdapServer {
            requireNonNull(host, "host is null");
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
        }
    }

    private static final Set<String> USERNAME_ATTRIBUTES = Set.of("uid", "samaccountname", "userprincipalname", "mail");
    private static final Set<String> MEMBER_ATTRIBUTES = Set.of("member", "uniquemember", "memberuid");

    /** Validates every part. */
    public LdapSettings {
        requireNonNull(providerId, "providerId is null");
        servers = List.copyOf(requireNonNull(servers, "servers is null"));
        requireNonNull(transport, "transport is null");
        requireNonNull(caFile, "caFile is null");
        requireNonNull(bindDn, "bindDn is null");
        requireNonNull(userBaseDn, "userBaseDn is null");
        requireNonNull(userFilter, "userFilter is null");
        requireNonNull(usernameAttribute, "usernameAttribute is null");
        requireNonNull(displayNameAttribute, "displayNameAttribute is null");
        requireNonNull(mailAttribute, "mailAttribute is null");
        requireNonNull(idAttribute, "idAttribute is null");
        requireNonNull(groupBaseDn, "groupBaseDn is null");
        requireNonNull(groupFilter, "groupFilter is null");
        requireNonNull(groupNameAttribute, "groupNameAttribute is null");
        requireNonNull(memberAttribute, "memberAttribute is null");
        requireNonNull(disabledFilter, "disabledFilter is null");
        requireNonNull(connectTimeout, "connectTimeout is null");
        requireNonNull(responseTimeout, "responseTimeout is null");
        requireNonNull(syncInterval, "syncInterval is null");
        requireNonNull(adminWait, "adminWait is null");
        if (pageSize < 1 || pageSize > 10_000) {
            throw new IllegalArgumentException("plugin setting 'pageSize' must be between 1 and 10000");
        }
        if (poolSize < 1 || poolSize > 64) {
            throw new IllegalArgumentException("plugin setting 'poolSize' must be between 1 and 64");
        }
        if (maxNestingDepth < 1 || maxNestingDepth > 100) {
            throw new IllegalArgumentException("plugin setting 'maxNestingDepth' must be between 1 and 100");
        }
        if (syncInterval.isNegative()) {
            throw new IllegalArgumentException("plugin setting 'syncInterval' must not be negative");
        }
    }

    /** @return whether a directory is configured at all */
    public boolean configured() {
        return !servers.isEmpty();
    }

    /** @return whether group members are usernames ({@code memberUid}) rather than DNs */
    public boolean membersAreUsernames() {
        return memberAttribute.equalsIgnoreCase("memberUid");
    }

    /**
     * Reads and checks the plugin's settings.
     *
     * @param config the plugin's configuration
     * @return the settings
     * @throws IllegalArgumentException naming the key of a malformed or unsafe setting
     */
    public static LdapSettings from(PluginConfig config) {
        requireNonNull(config, "config is null");
        boolean activeDirectory = config.getBoolean("activeDirectory", false);
        String providerId = config.get("id", "ldap").trim();
        if (!providerId.matches("[a-z0-9][a-z0-9-]{0,39}") || providerId.equals("local")) {
            throw new IllegalArgumentException("plugin setting 'id' must be 1 to 40 lower-case letters, digits and hyphens, not 'local': " + providerId);
        }
        List<LdapServer> servers = new ArrayList<>();
        Transport transport = Transport.LDAPS;
        Optional<String> urls = config.get("url").map(String::trim).filter(value -> !value.isEmpty());
        if (urls.isPresent()) {
            String scheme = null;
            for (String url : urls.get().split("[,\\s]+")) {
                LDAPURL parsed = ldapUrl(url);
                if (scheme != null && !scheme.equals(parsed.getScheme())) {
                    throw new IllegalArgumentException("plugin setting 'url' mixes ldap:// and ldaps:// servers");
                }
                scheme = parsed.getScheme();
                servers.add(new LdapServer(parsed.getHost(), parsed.getPort()));
            }
            transport = transport(config, scheme, servers);
        }
        String usernameAttribute = attribute(config, "usernameAttribute", activeDirectory ? "sAMAccountName" : "uid");
        if (!USERNAME_ATTRIBUTES.contains(usernameAttribute.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("plugin setting 'usernameAttribute' must be uid, sAMAccountName, userPrincipalName or mail: "
                    + usernameAttribute);
        }
        String memberAttribute = attribute(config, "memberAttribute", "member");
        if (!MEMBER_ATTRIBUTES.contains(memberAttribute.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("plugin setting 'memberAttribute' must be member, uniqueMember or memberUid: " + memberAttribute);
        }
        String userBaseDn = dn(config, "userBaseDn", urls.isPresent());
        Optional<String> disabledFilter = config.get("disabledFilter").map(String::trim).filter(value -> !value.isEmpty())
                .or(() -> activeDirectory ? Optional.of(ActiveDirectory.ACCOUNT_DISABLED_FILTER) : Optional.empty());
        disabledFilter.ifPresent(filter -> filter("disabledFilter", filter));
        return new LdapSettings(providerId, servers, transport,
                config.get("caFile").map(String::trim).filter(value -> !value.isEmpty()).map(Path::of),
                config.getBoolean("verifyHostname", true),
                config.get("bindDn").map(String::trim).filter(value -> !value.isEmpty()).map(value -> dn("bindDn", value)),
                userBaseDn,
                filter("userFilter", config.get("userFilter", activeDirectory
                        ? "(&(objectCategory=person)(objectClass=user))" : "(objectClass=inetOrgPerson)")),
                usernameAttribute,
                attribute(config, "displayNameAttribute", "displayName"),
                attribute(config, "mailAttribute", "mail"),
                attribute(config, "idAttribute", activeDirectory ? "objectGUID" : "entryUUID"),
                config.get("groupBaseDn").map(String::trim).filter(value -> !value.isEmpty()).map(value -> dn("groupBaseDn", value))
                        .orElse(userBaseDn),
                filter("groupFilter", config.get("groupFilter", activeDirectory ? "(objectClass=group)"
                        : "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))")),
                attribute(config, "groupNameAttribute", "cn"),
                memberAttribute, disabledFilter, activeDirectory,
                config.getInt("pageSize", 500), config.getInt("poolSize", 4),
                positive(config, "connectTimeout", Duration.ofSeconds(5)), positive(config, "responseTimeout", Duration.ofSeconds(10)),
                config.getDuration("syncInterval", Duration.ofHours(1)), positive(config, "adminWait", Duration.ofSeconds(20)),
                config.getInt("maxNestingDepth", 20));
    }

    private static Transport transport(PluginConfig config, String scheme, List<LdapServer> servers) {
        if (scheme.equals("ldaps")) {
            return Transport.LDAPS;
        }
        if (config.getBoolean("startTls", true)) {
            return Transport.START_TLS;
        }
        // Passwords cross this connection in the clear: only for a directory on this very machine, and only when asked.
        if (!config.getBoolean("allowPlaintext", false)) {
            throw new IllegalArgumentException("plugin setting 'startTls' is false for an ldap:// url: passwords would be sent in the"
                    + " clear; use ldaps:// or StartTLS (set 'allowPlaintext: true' only for a directory on a loopback address)");
        }
        for (LdapServer server : servers) {
            if (!loopback(server.host())) {
                throw new IllegalArgumentException("plugin setting 'allowPlaintext' is allowed only for loopback addresses, not " + server.host());
            }
        }
        return Transport.PLAIN;
    }

    private static boolean loopback(String host) {
        try {
            return Arrays.stream(InetAddress.getAllByName(host)).allMatch(InetAddress::isLoopbackAddress);
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static LDAPURL ldapUrl(String url) {
        try {
            LDAPURL parsed = new LDAPURL(url);
            if (!parsed.hostProvided()) {
                throw new IllegalArgumentException("plugin setting 'url' names no host: " + url);
            }
            return parsed;
        } catch (LDAPException e) {
            throw new IllegalArgumentException("plugin setting 'url' is not an ldap:// or ldaps:// URL: " + url, e);
        }
    }

    private static String dn(PluginConfig config, String key, boolean required) {
        Optional<String> value = config.get(key).map(String::trim).filter(text -> !text.isEmpty());
        if (value.isEmpty()) {
            if (required) {
                throw new IllegalArgumentException("plugin setting '" + key + "' is required with 'url'");
            }
            return "";
        }
        return dn(key, value.get());
    }

    private static String dn(String key, String value) {
        try {
            return new DN(value).toString();
        } catch (LDAPException e) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not a DN: " + value, e);
        }
    }

    private static String filter(String key, String value) {
        try {
            return Filter.create(value.trim()).toString();
        } catch (LDAPException e) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not an LDAP filter: " + value, e);
        }
    }

    private static String attribute(PluginConfig config, String key, String defaultValue) {
        String value = config.get(key, defaultValue).trim();
        if (!value.matches("[A-Za-z][A-Za-z0-9-]{0,63}")) {
            throw new IllegalArgumentException("plugin setting '" + key + "' is not an attribute name: " + value);
        }
        return value;
    }

    private static Duration positive(PluginConfig config, String key, Duration defaultValue) {
        Duration value = config.getDuration(key, defaultValue);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("plugin setting '" + key + "' must be positive");
        }
        return value;
    }
}
