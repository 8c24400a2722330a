package dev.shepherd.directory;

import dev.shepherd.api.device.EnrollmentRefusedException;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.identity.DirectorySyncSummary;
import dev.shepherd.api.identity.ProvidedGroup;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.api.identity.UserDirectory;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.enrollment.EnrollmentTokens;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The directory as identity-provider plugins feed it through {@link UserDirectory}. One kernel serves every test;
 * each test works under its own provider id.
 */
class UserDirectoryTest {

    @TempDir
    static Path home;
    private static TestKernel test;
    private static UserDirectoryService service;
    private static DirectoryService people;
    private static UserDirectory ldap;

    @BeforeAll
    static void open() {
        test = TestKernel.open(home);
        service = test.kernel().userDirectory();
        people = test.kernel().directory();
        ldap = service.forPlugin("identity-ldap");
    }

    @AfterAll
    static void close() {
        test.close();
    }

    @Test
    void aPersonIsCreatedFoundAndUpdatedByTheirExternalId() {
        String id = ldap.putUser("corp-put", person("e-ana", "ana", true));

        DirectoryUser ana = people.get(id).orElseThrow();
        assertThat(ana.provider()).isEqualTo("corp-put");
        assertThat(ana.externalId()).hasValue("e-ana");
        assertThat(ana.active()).isTrue();
        assertThat(ldap.findUser("corp-put", "e-ana")).hasValue(id);
        assertThat(ldap.findUser("corp-put", "e-nobody")).isEmpty();

        // renamed in the provider: the same person, under the new name
        assertThat(ldap.putUser("corp-put", new ProvidedUser("e-ana", "ana.lima", "Ana Lima", "ana.lima@example.com", true))).isEqualTo(id);
        assertThat(people.get(id).orElseThrow().username()).isEqualTo("ana.lima");
        assertThat(actions(id)).containsExactly("user.create", "user.update");
    }

    @Test
    void puttingAnUnchangedPersonWritesNothing() {
        String id = ldap.putUser("corp-unchanged", person("e-bo", "bo", true));
        DirectoryUser before = people.get(id).orElseThrow();

        ldap.putUser("corp-unchanged", person("e-bo", "bo", true));

        assertThat(people.get(id)).hasValue(before);
        assertThat(actions(id)).containsExactly("user.create");
    }

    @Test
    void aPersonWhoSignedInBeforeTheFirstSyncIsAdoptedNotDuplicated() {
        DirectoryUser signedIn = people.create(Actor.SYSTEM, "corp-adopt", "cy", "cy", "");

        String id = ldap.putUser("corp-adopt", person("e-cy", "cy", true));

        assertThat(id).isEqualTo(signedIn.id());
        assertThat(people.get(id).orElseThrow().externalId()).hasValue("e-cy");
        assertThat(people.get(id).orElseThrow().displayName()).isEqualTo("Person cy");
    }

    @Test
    void aUsernameAnotherPersonOfTheProviderHoldsIsRefused() {
        ldap.putUser("corp-taken", person("e-dee", "dee", true));

        assertThatThrownBy(() -> ldap.putUser("corp-taken", person("e-other", "dee", true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another user named 'dee'");
        String eve = ldap.putUser("corp-taken", person("e-eve", "eve", true));
        assertThatThrownBy(() -> ldap.putUser("corp-taken", person("e-eve", "dee", true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another user named 'dee'");
        assertThat(people.get(eve).orElseThrow().username()).isEqualTo("eve");
    }

    @Test
    void malformedPeopleAndGroupsAreRefused() {
        assertThatThrownBy(() -> ldap.putUser("corp-bad", person("e-1", "has space", true))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ldap.putUser("corp-bad", new ProvidedUser("e-1", "ok", " ", "", true)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ldap.putUser("corp-bad", new ProvidedUser("e-1", "ok", "Ok", "not-an-address", true)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ldap.putUser("corp-bad", person("x".repeat(201), "ok", true))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ldap.putGroup("corp-bad", new ProvidedGroup("g", "", Set.of(), Set.of())))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ldap.putUser("", person("e-1", "ok", true))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aProviderBelongsToTheFirstPluginThatPutsUnderItAndLocalToNone() {
        ldap.putUser("corp-owned", person("e-fay", "fay", true));
        UserDirectory scim = service.forPlugin("identity-scim");

        assertThatThrownBy(() -> scim.putUser("corp-owned", person("e-gus", "gus", true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("belongs to plugin identity-ldap");
        assertThatThrownBy(() -> scim.findUser("corp-owned", "e-fay")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> scim.completeSync("corp-owned", Set.of(), Set.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ldap.putUser(DirectoryService.LOCAL, person("e-gus", "gus", true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("local");
        assertThat(ldap.findUser("corp-owned", "e-fay")).isPresent();
    }

    @Test
    void aPersonIsDeactivatedAndReactivatedAndEachIsAudited() {
        String id = ldap.putUser("corp-active", person("e-hal", "hal", true));

        ldap.putUser("corp-active", person("e-hal", "hal", false));
        DirectoryUser deactivated = people.get(id).orElseThrow();
        assertThat(deactivated.active()).isFalse();
        assertThat(deactivated.deactivatedAt()).isPresent();

        ldap.putUser("corp-active", person("e-hal", "hal", true));
        DirectoryUser reactivated = people.get(id).orElseThrow();
        assertThat(reactivated.active()).isTrue();
        assertThat(reactivated.deactivatedAt()).isEmpty();
        assertThat(actions(id)).containsExactly("user.create", "user.deactivate", "user.reactivate");
    }

    @Test
    void anEnrollmentTokenAssignedToADeactivatedPersonEnrollsNothing() {
        String nia = ldap.putUser("corp-enroll", person("e-nia", "nia", true));
        EnrollmentTokens tokens = test.kernel().enrollmentTokens();
        String secret = tokens.create(TestKernel.ADMIN, new NewEnrollmentToken("nia's phone", Ownership.CORPORATE, Optional.empty(),
                Optional.empty(), Optional.of(nia), OptionalInt.empty(), test.kernel().clock().instant().plus(Duration.ofDays(1)))).secret();
        assertThat(tokens.check(secret)).isPresent();

        ldap.putUser("corp-enroll", person("e-nia", "nia", false));

        assertThat(tokens.check(secret)).isEmpty();
        assertThatThrownBy(() -> test.kernel().devices().enroll(Actor.plugin("test"), TestKernel.claim(secret, Platform.IOS, "NIA-1")))
                .isInstanceOf(EnrollmentRefusedException.class);
        ldap.putUser("corp-enroll", person("e-nia", "nia", true));
        assertThat(tokens.check(secret)).isPresent();
    }

    @Test
    void completingASyncDeactivatesThoseTheDirectoryNoLongerHasAndRemovesTheirGroups() {
        String ivy = ldap.putUser("corp-sync", person("e-ivy", "ivy", true));
        String jo = ldap.putUser("corp-sync", person("e-jo", "jo", true));
        ldap.putUser("corp-sync", person("e-kim", "kim", false));
        DirectoryUser signedInOnly = people.create(Actor.SYSTEM, "corp-sync", "lou", "Lou", "");
        String staff = ldap.putGroup("corp-sync", new ProvidedGroup("g-staff", "Staff", Set.of("e-ivy", "e-jo"), Set.of()));
        ldap.putGroup("corp-sync", new ProvidedGroup("g-gone", "Gone", Set.of("e-jo"), Set.of()));

        DirectorySyncSummary summary = ldap.completeSync("corp-sync", Set.of("e-ivy", "e-kim"), Set.of("g-staff"));

        assertThat(summary).isEqualTo(new DirectorySyncSummary(2, 1));
        assertThat(people.get(ivy).orElseThrow().active()).isTrue();
        assertThat(people.get(jo).orElseThrow().active()).isFalse();
        assertThat(people.get(signedInOnly.id()).orElseThrow().active()).isFalse();
        assertThat(actions(jo)).containsExactly("user.create", "user.deactivate");
        assertThat(service.groupsOf(jo, false)).extracting(DirectoryGroup::name).containsExactly("Staff");
        assertThat(service.group(staff)).isPresent();
        // nothing left to change: a second identical sync changes nothing
        assertThat(ldap.completeSync("corp-sync", Set.of("e-ivy", "e-kim"), Set.of("g-staff"))).isEqualTo(new DirectorySyncSummary(0, 0));
    }

    @Test
    void nestedGroupsResolveAtAnyDepthAndCyclesEnd() {
        String ann = ldap.putUser("corp-nest", person("e-ann", "ann", true));
        String ben = ldap.putUser("corp-nest", person("e-ben", "ben", true));
        String cat = ldap.putUser("corp-nest", person("e-cat", "cat", true));
        // Engineering contains Platform contains SRE contains Engineering: a cycle, as AD allows.
        String sre = ldap.putGroup("corp-nest", new ProvidedGroup("g-sre", "SRE", Set.of("e-cat"), Set.of()));
        String platform = ldap.putGroup("corp-nest", new ProvidedGroup("g-platform", "Platform", Set.of("e-ben"), Set.of("g-sre")));
        String engineering = ldap.putGroup("corp-nest", new ProvidedGroup("g-eng", "Engineering", Set.of("e-ann", "e-unknown"),
                Set.of("g-platform")));
        ldap.putGroup("corp-nest", new ProvidedGroup("g-sre", "SRE", Set.of("e-cat"), Set.of("g-eng")));

        for (String group : List.of(engineering, platform, sre)) {
            assertThat(service.members(group, 100).effectiveUsers()).extracting(DirectoryUser::id).containsExactlyInAnyOrder(ann, ben, cat);
        }
        assertThat(service.members(engineering, 100).users()).extracting(DirectoryUser::id).containsExactly(ann);
        assertThat(service.members(engineering, 100).groups()).extracting(DirectoryGroup::id).containsExactly(platform);
        assertThat(service.groupsOf(cat, true)).extracting(DirectoryGroup::name).containsExactly("Engineering", "Platform", "SRE");
        assertThat(service.groupsOf(cat, false)).extracting(DirectoryGroup::name).containsExactly("SRE");

        // breaking the cycle and taking Ben out of Platform
        ldap.putGroup("corp-nest", new ProvidedGroup("g-sre", "SRE", Set.of("e-cat"), Set.of()));
        ldap.putGroup("corp-nest", new ProvidedGroup("g-platform", "Platform", Set.of(), Set.of("g-sre")));
        assertThat(service.members(sre, 100).effectiveUsers()).extracting(DirectoryUser::id).containsExactly(cat);
        assertThat(service.members(engineering, 100).effectiveUsers()).extracting(DirectoryUser::id).containsExactlyInAnyOrder(ann, cat);

        // removing Platform takes SRE's people out of Engineering too; SRE itself stays
        assertThat(ldap.removeGroup("corp-nest", "g-platform")).isTrue();
        assertThat(ldap.removeGroup("corp-nest", "g-platform")).isFalse();
        assertThat(service.members(engineering, 100).effectiveUsers()).extracting(DirectoryUser::id).containsExactly(ann);
        assertThat(service.members(sre, 100).effectiveUsers()).extracting(DirectoryUser::id).containsExactly(cat);
        assertThat(actions("directory_group", platform)).containsExactly("directory_group.create", "directory_group.update",
                "directory_group.remove");
    }

    @Test
    void puttingAnUnchangedGroupWritesNothing() {
        ldap.putUser("corp-group", person("e-max", "max", true));
        String id = ldap.putGroup("corp-group", new ProvidedGroup("g-1", "Sales", Set.of("e-max"), Set.of()));

        assertThat(ldap.putGroup("corp-group", new ProvidedGroup("g-1", "Sales", Set.of("e-max", "e-unknown"), Set.of()))).isEqualTo(id);
        assertThat(actions("directory_group", id)).containsExactly("directory_group.create");

        ldap.putGroup("corp-group", new ProvidedGroup("g-1", "Sales EMEA", Set.of("e-max"), Set.of()));
        assertThat(service.group(id).orElseThrow().name()).isEqualTo("Sales EMEA");
        assertThatThrownBy(() -> ldap.putGroup("corp-group", new ProvidedGroup("g-2", "Sales EMEA", Set.of(), Set.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another group named 'Sales EMEA'");
    }

    private static ProvidedUser person(String externalId, String username, boolean active) {
        return new ProvidedUser(externalId, username, "Person " + username, username + "@example.com", active);
    }

    private static List<String> actions(String userId) {
        return actions("user", userId);
    }

    private static List<String> actions(String type, String id) {
        return test.kernel().audit().read(AuditFilter.ALL.withTarget(type, id), 0, 100).stream().map(AuditEntry::action).toList();
    }
}
