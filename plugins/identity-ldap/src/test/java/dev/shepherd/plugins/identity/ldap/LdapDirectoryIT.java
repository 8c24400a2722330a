package dev.shepherd.plugins.identity.ldap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.group.Group;
import dev.shepherd.group.GroupService;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.shepherd.plugins.identity.ldap.TestSlapd.group;
import static dev.shepherd.plugins.identity.ldap.TestSlapd.groupDn;
import static dev.shepherd.plugins.identity.ldap.TestSlapd.person;
import static dev.shepherd.plugins.identity.ldap.TestSlapd.personDn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Must-show 2 of issue 18 through a running server with the plugin loaded from its real file and a real slapd: the
 * service password put (sealed, never answered), people and nested groups synced through the admin API into the
 * server's directory, a directory person signing in to the self-service portal with their directory password, a
 * nested directory group driving a smart group and its policy (a device assigned to a person in the inner group
 * joins; it leaves when the directory un-nests the group), a person disabled in the directory disabled in the server
 * (and refused at the portal) at the next sync, and the scheduled sync picking up a new person by itself. One slapd and one server for the class; each test uses people of its own.
 */
class LdapDirectoryIT {

    private static final String PLUGIN = "/api/v1/plugins/identity-ldap";
    private static final String PROVIDER = "corp";
    private static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    static Path folder;
    private static TestSlapd slapd;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        slapd = TestSlapd.start(Files.createDirectories(folder.resolve("slapd")));
        slapd.add(person("alice", "Alice Martin", "alice-password"), person("bob", "Bob Durand", "bob-password"),
                person("dave", "Dave Moreau", "dave-password"));
        slapd.add(group("engineers", personDn("alice")), group("staff", groupDn("engineers"), personDn("bob"), personDn("dave")));
        slapd.replace(personDn("dave"), "employeeType", "disabled");

        Path home = Files.createDirectories(folder.resolve("home"));
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), String.join("\n",
                "plugins:",
                "  config:",
                "    identity-ldap:",
                "      id: " + PROVIDER,
                "      url: " + slapd.ldapUrl(),
                "      caFile: " + slapd.caFile(),
                "      bindDn: \"" + TestSlapd.SERVICE_DN + "\"",
                "      userBaseDn: \"" + TestSlapd.PEOPLE + "\"",
                "      groupBaseDn: \"" + TestSlapd.GROUPS + "\"",
                "      disabledFilter: \"(employeeType=disabled)\"",
                "      pageSize: \"2\"",
                "      syncInterval: PT2S",
                ""));
        server = TestServer.start(home);
        Files.copy(Path.of(System.getProperty("shepherd.pluginFile")), server.pluginsDir().resolve("identity-ldap.zip"));
        await().atMost(WITHIN).until(() -> server.getAsAdmin(PLUGIN + "/sync").statusCode() == 200);
        assertThat(server.sendAsAdmin("PUT", PLUGIN + "/bind-password", "{\"password\": \"" + TestSlapd.SERVICE_PASSWORD + "\"}")
                .statusCode()).isEqualTo(204);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (slapd != null) {
            slapd.close();
        }
    }

    @Test
    void theServicePasswordIsSealedAndNeverAnswered() throws Exception {
        HttpResponse<String> set = server.getAsAdmin(PLUGIN + "/bind-password");
        assertThat(json.readTree(set.body()).path("set").asBoolean()).isTrue();
        HttpResponse<String> status = server.getAsAdmin(PLUGIN + "/sync");
        assertThat(json.readTree(status.body()).path("bindPasswordSet").asBoolean()).isTrue();
        assertThat(set.body() + status.body()).doesNotContain(TestSlapd.SERVICE_PASSWORD);

        HttpResponse<String> malformed = server.sendAsAdmin("PUT", PLUGIN + "/bind-password", "{\"password\": 42}");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/problem+json"));
        assertThat(server.get(PLUGIN + "/bind-password").statusCode()).as("admins only").isEqualTo(401);
    }

    @Test
    void theConsolePageIsListedAndItsModuleServed() throws Exception {
        String pages = server.getAsAdmin("/api/v1/console/pages").body();
        assertThat(pages).contains("LDAP directory");
        JsonNode page = json.readTree(pages).findParents("module").stream()
                .filter(candidate -> candidate.path("module").asText().endsWith("/ldap-directory.js")).findFirst().orElseThrow();
        HttpResponse<String> module = server.get(page.path("module").asText());
        assertThat(module.statusCode()).as(page.toString()).isEqualTo(200);
        assertThat(module.body()).contains("export async function render");
    }

    @Test
    void peopleAndNestedGroupsSyncAndAPersonDisabledInTheDirectoryIsDisabledAtTheNextSync() throws Exception {
        JsonNode report = sync();
        assertThat(report.path("users").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(report.path("groups").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(report.path("pages").asInt()).as("pages of 2").isGreaterThan(3);
        DirectoryService directory = kernel().directory();
        assertThat(directory.find(PROVIDER, "alice")).get().satisfies(alice -> {
            assertThat(alice.active()).isTrue();
            assertThat(alice.displayName()).isEqualTo("Alice Martin");
            assertThat(alice.email()).isEqualTo("alice@example.org");
            assertThat(alice.externalId()).isPresent();
        });
        assertThat(directory.find(PROVIDER, "dave")).get().extracting(DirectoryUser::active).isEqualTo(false);

        // Alice signs in to the self-service portal with her directory password; a wrong one is refused.
        assertThat(portalLogin("alice", "alice-password").statusCode()).isEqualTo(200);
        assertThat(portalLogin("alice", "wrong-password").statusCode()).isEqualTo(401);

        slapd.replace(personDn("bob"), "employeeType", "disabled");
        sync();
        assertThat(directory.find(PROVIDER, "bob")).get().extracting(DirectoryUser::active).isEqualTo(false);
        assertThat(directory.find(PROVIDER, "alice")).get().extracting(DirectoryUser::active).isEqualTo(true);
    }

    @Test
    void aNestedDirectoryGroupDrivesASmartGroupAndAPolicyAssignment() throws Exception {
        // Nina is in field-team, which is in operations: the smart group names operations only.
        slapd.add(person("nina", "Nina Girard", "nina-password"), person("omar", "Omar Haddad", "omar-password"));
        slapd.add(group("field-team", personDn("nina")), group("operations", groupDn("field-team"), personDn("omar")));
        sync();
        Kernel kernel = kernel();
        String nina = kernel.directory().find(PROVIDER, "nina").orElseThrow().id();
        DeviceId ninasPhone = enrollFor(kernel, nina, "NINA-1");
        DeviceId spare = enrollFor(kernel, null, "SPARE-1");

        GroupService groups = kernel.groups();
        Group operations = groups.create(TestKernel.ADMIN, "Operations devices", "", Optional.of(groups.codec().read(json.readTree(
                "{\"attribute\": \"user.group\", \"op\": \"eq\", \"value\": \"" + PROVIDER + ":operations\"}"))));
        Policy passcode = kernel.policies().create(TestKernel.ADMIN, "Operations passcode", "", List.of(
                new SettingInput("passcode", json.readTree("{\"minLength\": 10}"))));
        kernel.policies().assign(TestKernel.ADMIN, passcode.id(), operations.id(), 0);

        assertThat(groups.memberIds(operations.id())).containsExactly(ninasPhone);
        assertThat(settingKeys(kernel, ninasPhone)).containsExactly("passcode");
        assertThat(settingKeys(kernel, spare)).isEmpty();

        // field-team leaves operations in the directory: at the next sync Nina's phone leaves the group and the policy.
        slapd.replace(groupDn("operations"), "member", personDn("omar"));
        sync();
        assertThat(groups.memberIds(operations.id())).isEmpty();
        assertThat(settingKeys(kernel, ninasPhone)).isEmpty();

        // Back in, then Nina is disabled in the directory: disabled in Shepherd at the next sync, and refused at the portal.
        slapd.replace(groupDn("operations"), "member", personDn("omar"), groupDn("field-team"));
        sync();
        assertThat(groups.memberIds(operations.id())).containsExactly(ninasPhone);
        assertThat(portalLogin("nina", "nina-password").statusCode()).isEqualTo(200);
        slapd.replace(personDn("nina"), "employeeType", "disabled");
        sync();
        assertThat(kernel.directory().find(PROVIDER, "nina")).get().extracting(DirectoryUser::active).isEqualTo(false);
        assertThat(portalLogin("nina", "nina-password").statusCode()).isEqualTo(401);
    }

    @Test
    void theScheduledSyncBringsANewPersonWithoutBeingAsked() throws Exception {
        slapd.add(person("kim", "Kim Laurent", "kim-password"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(kernel().directory().find(PROVIDER, "kim")).get()
                .extracting(DirectoryUser::active).isEqualTo(true));
    }

    private JsonNode sync() throws Exception {
        HttpResponse<String> response = server.sendAsAdmin("POST", PLUGIN + "/sync", "");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json.readTree(response.body());
    }

    private HttpResponse<String> portalLogin(String username, String password) {
        return server.send(HttpRequest.newBuilder(server.uri("/portal/api/login"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\": \"" + username + "\", \"password\": \"" + password + "\"}"))
                .build());
    }

    /** Enrolls an iPhone with a token that assigns it to a person (or to no one). */
    private static DeviceId enrollFor(Kernel kernel, String userId, String udid) {
        String secret = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("ldap-" + udid, Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.ofNullable(userId), OptionalInt.empty(),
                Instant.now().plus(Duration.ofHours(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("test"), TestKernel.claim(secret, Platform.IOS, udid)).device().id();
    }

    private static List<String> settingKeys(Kernel kernel, DeviceId device) {
        return kernel.policies().effectiveSettings(device).stream().map(setting -> setting.setting().key()).toList();
    }

    private static Kernel kernel() {
        return server.server().kernel();
    }
}
