package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.LDAPException;
import dev.shepherd.api.identity.Identity;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.plugins.identity.ldap.TestSlapd.group;
import static dev.shepherd.plugins.identity.ldap.TestSlapd.groupDn;
import static dev.shepherd.plugins.identity.ldap.TestSlapd.person;
import static dev.shepherd.plugins.identity.ldap.TestSlapd.personDn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The plugin against a real OpenLDAP slapd over StartTLS and LDAPS: sign-in by binding as the person, nested groups,
 * paged reads of a directory larger than a page, and syncs that create, update and deactivate — and deactivate no one
 * when the read fails. One slapd for the class; tests that change the directory use people of their own.
 *
 * <p>The directory: {@code alice} in {@code engineers}, which is in {@code staff}; {@code bob} directly in
 * {@code staff}; {@code dave} in {@code staff} but disabled ({@code employeeType: disabled}); {@code carol} in no
 * group; {@code loop-a} and {@code loop-b} contain each other and {@code alice}; filler people to make the directory
 * several pages long.
 */
class LdapAgainstSlapdTest {

    private static final int PAGE_SIZE = 2;

    @TempDir
    static Path folder;
    private static TestSlapd slapd;
    private static final List<LdapConnections> OPENED = new ArrayList<>();

    @BeforeAll
    static void startDirectory() throws Exception {
        slapd = TestSlapd.start(folder);
        List<Entry> entries = new ArrayList<>(List.of(
                person("alice", "Alice Martin", "alice-password"),
                person("bob", "Bob Durand", "bob-password"),
                person("carol", "Carol Petit", "carol-password"),
                person("dave", "Dave Moreau", "dave-password")));
        for (int i = 1; i <= 5; i++) {
            entries.add(person("filler" + i, "Filler " + i, "filler-password"));
        }
        entries.add(group("engineers", personDn("alice")));
        entries.add(group("staff", groupDn("engineers"), personDn("bob"), personDn("dave")));
        slapd.add(entries.toArray(Entry[]::new));
        slapd.add(group("loop-a", personDn("alice"), personDn("carol")));
        slapd.add(group("loop-b", groupDn("loop-a")));
        slapd.replace(groupDn("loop-a"), "member", personDn("alice"), personDn("carol"), groupDn("loop-b"));
        slapd.replace(personDn("dave"), "employeeType", "disabled");
    }

    @AfterAll
    static void stopDirectory() throws Exception {
        OPENED.forEach(LdapConnections::close);
        if (slapd != null) {
            slapd.close();
        }
    }

    @Test
    void theRightPasswordSignsInWithTheEffectiveGroupsNestedOnesAndCyclesIncluded() {
        Optional<Identity> alice = provider(startTls()).authenticate("alice", "alice-password".toCharArray());
        assertThat(alice).get().satisfies(identity -> {
            assertThat(identity.providerId()).isEqualTo("corp");
            assertThat(identity.username()).isEqualTo("alice");
            assertThat(identity.displayName()).isEqualTo("Alice Martin");
            assertThat(identity.email()).isEqualTo("alice@example.org");
            assertThat(identity.groups()).containsExactlyInAnyOrder("engineers", "staff", "loop-a", "loop-b");
        });
        assertThat(provider(startTls()).authenticate("bob", "bob-password".toCharArray())).get()
                .extracting(Identity::groups).isEqualTo(Set.of("staff"));
    }

    @Test
    void aWrongOrEmptyPasswordAnUnknownNameAndADisabledPersonAreRefused() {
        LdapIdentityProvider provider = provider(startTls());
        assertThat(provider.authenticate("alice", "wrong-password".toCharArray())).isEmpty();
        // An empty password is an anonymous bind to LDAP, which slapd accepts: it must never reach the directory.
        assertThat(provider.authenticate("alice", new char[0])).isEmpty();
        assertThat(provider.authenticate("nobody", "alice-password".toCharArray())).isEmpty();
        assertThat(provider.authenticate("alice*", "alice-password".toCharArray())).as("the name is escaped, never a wildcard").isEmpty();
        assertThat(provider.authenticate("dave", "dave-password".toCharArray())).as("disabled in the directory").isEmpty();
        assertThat(provider.lookup("dave")).isEmpty();
    }

    @Test
    void lookupFindsAPersonWithTheirGroupsWithoutAPassword() {
        assertThat(provider(startTls()).lookup("carol")).get().extracting(Identity::groups)
                .isEqualTo(Set.of("loop-a", "loop-b"));
    }

    @Test
    void ldapsWorksWithTheIssuingCaAndIsRefusedWithAnotherCaAsIsStartTls() throws Exception {
        assertThat(provider(settings(Map.of("url", slapd.ldapsUrl()))).authenticate("alice", "alice-password".toCharArray())).isPresent();
        LdapConnections wrongCa = connections(settings(Map.of("url", slapd.ldapsUrl(), "caFile", slapd.otherCaFile().toString())));
        assertThatThrownBy(() -> new LdapDirectory(wrongCa).findPerson("alice")).isInstanceOf(LDAPException.class);
        assertThat(new LdapIdentityProvider(wrongCa, new LdapDirectory(wrongCa)).authenticate("alice", "alice-password".toCharArray()))
                .isEmpty();
        LdapConnections wrongCaStartTls = connections(settings(Map.of("caFile", slapd.otherCaFile().toString())));
        assertThatThrownBy(() -> new LdapDirectory(wrongCaStartTls).findPerson("alice")).isInstanceOf(LDAPException.class);
        LdapConnections systemTrust = connections(settings(Map.of("caFile", "")));
        assertThatThrownBy(() -> new LdapDirectory(systemTrust).findPerson("alice")).as("the Java runtime does not trust the test CA")
                .isInstanceOf(LDAPException.class);
    }

    @Test
    void theServersCertificateMustNameTheHostUnlessHostNameChecksAreOff() throws Exception {
        LdapConnections otherName = connections(settings(Map.of("url", slapd.ldapsUrlNotInCertificate())));
        assertThatThrownBy(() -> new LdapDirectory(otherName).findPerson("alice")).isInstanceOf(LDAPException.class);
        LdapConnections unchecked = connections(settings(Map.of("url", slapd.ldapsUrlNotInCertificate(), "verifyHostname", "false")));
        assertThat(new LdapDirectory(unchecked).findPerson("alice")).isPresent();
        LdapConnections otherNameStartTls = connections(settings(Map.of("url", slapd.ldapUrlNotInCertificate())));
        assertThatThrownBy(() -> new LdapDirectory(otherNameStartTls).findPerson("alice")).as("StartTLS checks the name too")
                .isInstanceOf(LDAPException.class);
    }

    @Test
    void aSyncReadsTheDirectoryPageByPageAndPutsPeopleAndGroupsWithTheirDirectMembers() throws Exception {
        RecordingUserDirectory directory = new RecordingUserDirectory();
        LdapSync.Report report = sync(startTls(), directory);

        assertThat(report.users()).isGreaterThanOrEqualTo(9);
        assertThat(report.pages()).as("more pages than one search: the directory is larger than a page of %s", PAGE_SIZE)
                .isGreaterThan(5);
        assertThat(directory.user("alice").active()).isTrue();
        assertThat(directory.user("alice").email()).isEqualTo("alice@example.org");
        assertThat(directory.user("alice").externalId()).as("the entryUUID").matches("[0-9a-f-]{36}");
        assertThat(directory.user("dave").active()).as("disabled in the directory").isFalse();
        assertThat(directory.group("staff").memberUsers()).containsExactlyInAnyOrder(
                directory.user("bob").externalId(), directory.user("dave").externalId());
        assertThat(directory.group("staff").memberGroups()).containsExactly(directory.group("engineers").externalId());
        assertThat(directory.group("engineers").memberUsers()).containsExactly(directory.user("alice").externalId());
        assertThat(directory.group("loop-b").memberGroups()).containsExactly(directory.group("loop-a").externalId());
        assertThat(directory.completedSyncs).hasValue(1);
    }

    @Test
    void changesInTheDirectoryReachTheServerAtTheNextSync() throws Exception {
        slapd.add(person("henry", "Henry Roux", "henry-password"), person("ivy", "Ivy Blanc", "ivy-password"),
                group("night-shift", personDn("henry"), personDn("ivy")));
        RecordingUserDirectory directory = new RecordingUserDirectory();
        sync(startTls(), directory);
        String henry = directory.user("henry").externalId();
        assertThat(directory.user("henry").active()).isTrue();

        slapd.replace(personDn("henry"), "employeeType", "disabled");
        slapd.replace(personDn("ivy"), "displayName", "Ivy Blanc-Noir");
        slapd.replace(groupDn("night-shift"), "member", personDn("ivy"));
        LdapSync.Report second = sync(startTls(), directory);
        assertThat(directory.users.get(henry).active()).as("disabled in the directory, deactivated here").isFalse();
        assertThat(directory.user("ivy").displayName()).isEqualTo("Ivy Blanc-Noir");
        assertThat(directory.group("night-shift").memberUsers()).containsExactly(directory.user("ivy").externalId());

        slapd.delete(groupDn("night-shift"));
        slapd.delete(personDn("ivy"));
        LdapSync.Report third = sync(startTls(), directory);
        assertThat(directory.user("ivy").active()).as("gone from the directory: deactivated, never deleted").isFalse();
        assertThat(third.usersDeactivated()).isEqualTo(1);
        assertThat(third.groupsRemoved()).isEqualTo(1);
        assertThat(second.disabledUsers()).isEqualTo(third.disabledUsers());
        slapd.delete(personDn("henry"));
    }

    @Test
    void aSyncWhoseReadFailsDeactivatesNoOne() throws Exception {
        slapd.add(person("jules", "Jules Faure", "jules-password"));
        RecordingUserDirectory directory = new RecordingUserDirectory();
        sync(startTls(), directory);
        slapd.delete(personDn("jules"));

        // The people are read, then the groups' base does not exist: the read is incomplete.
        LdapSettings missingGroups = settings(Map.of("groupBaseDn", "ou=missing,dc=example,dc=org"));
        assertThatThrownBy(() -> sync(missingGroups, directory)).isInstanceOf(LDAPException.class);
        // The service account's password is wrong: nothing can be read.
        LdapConnections wrongPassword = connections(startTls(), "not-the-service-password");
        assertThatThrownBy(() -> new LdapSync(new LdapDirectory(wrongPassword), directory, startTls(), Clock.systemUTC()).sync())
                .isInstanceOf(LDAPException.class);

        assertThat(directory.completedSyncs).hasValue(1);
        assertThat(directory.user("jules").active()).isTrue();
    }

    private static LdapSync.Report sync(LdapSettings settings, RecordingUserDirectory directory) throws LDAPException {
        LdapConnections connections = connections(settings);
        try {
            return new LdapSync(new LdapDirectory(connections), directory, settings, Clock.systemUTC()).sync();
        } finally {
            connections.close();
        }
    }

    private static LdapSettings startTls() {
        return settings(Map.of());
    }

    /** StartTLS to the test slapd with its CA, people disabled by {@code employeeType}, and the given settings on top. */
    private static LdapSettings settings(Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "id", "corp",
                "url", slapd.ldapUrl(),
                "caFile", slapd.caFile().toString(),
                "bindDn", TestSlapd.SERVICE_DN,
                "userBaseDn", TestSlapd.PEOPLE,
                "groupBaseDn", TestSlapd.GROUPS,
                "disabledFilter", "(employeeType=disabled)",
                "pageSize", String.valueOf(PAGE_SIZE)));
        settings.putAll(overrides);
        return LdapSettings.from(TestConfig.of(settings));
    }

    private static LdapConnections connections(LdapSettings settings) {
        return connections(settings, TestSlapd.SERVICE_PASSWORD);
    }

    private static LdapConnections connections(LdapSettings settings, String servicePassword) {
        BindPassword password = new BindPassword(new MemoryPluginStorage(), TestSecrets.sealer());
        password.set(servicePassword.getBytes(StandardCharsets.UTF_8));
        LdapConnections connections = new LdapConnections(settings, password);
        OPENED.add(connections);
        return connections;
    }

    private static LdapIdentityProvider provider(LdapSettings settings) {
        LdapConnections connections = connections(settings);
        return new LdapIdentityProvider(connections, new LdapDirectory(connections));
    }
}
