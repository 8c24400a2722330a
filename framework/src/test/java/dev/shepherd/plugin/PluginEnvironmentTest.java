package dev.shepherd.plugin;

import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestServer;
import dev.shepherd.testing.TestStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What a plugin can inject and use: its configuration, storage, database schema, identity and events. */
class PluginEnvironmentTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path home;
    @TempDir
    Path build;
    private TestServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aPluginReadsItsOwnSettingsFromTheConfiguration() throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/shepherd.yaml"), """
                plugins:
                  config:
                    configured:
                      greeting: Bonjour
                      retries: 3
                """);
        server = TestServer.start(home);
        install(plugin("configured", "1.0.0").source("""
                package acme.configured;

                import dev.shepherd.api.config.PluginConfig;
                import dev.shepherd.api.http.*;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                @Extension
                public class Answer implements DeviceEndpoint {
                    private final PluginConfig config;

                    @Inject
                    public Answer(PluginConfig config) {
                        this.config = config;
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        return DeviceResponse.text(200, config.get("greeting", "?") + " x" + config.getInt("retries", 0)
                                + " " + config.get("absent", "default"));
                    }
                }
                """).buildZip(build, "configured.zip"));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/configured/").body()).isEqualTo("Bonjour x3 default"));
    }

    @Test
    void aPluginKeepsDataInItsStorageAcrossUpgrades() throws IOException {
        server = TestServer.start(home);
        String counter = """
                package acme.counter;

                import dev.shepherd.api.config.PluginStorage;
                import dev.shepherd.api.http.*;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;
                import java.nio.charset.StandardCharsets;

                @Extension
                public class Counter implements DeviceEndpoint {
                    private final PluginStorage storage;

                    @Inject
                    public Counter(PluginStorage storage) {
                        this.storage = storage;
                    }

                    @Override
                    public synchronized DeviceResponse handle(DeviceRequest request) {
                        int count = storage.get("count").map(bytes -> Integer.parseInt(new String(bytes, StandardCharsets.UTF_8))).orElse(0) + 1;
                        storage.put("count", Integer.toString(count).getBytes(StandardCharsets.UTF_8));
                        return DeviceResponse.text(200, "%s " + count + " " + storage.keys(""));
                    }
                }
                """;
        Path installed = install(plugin("counter", "1.0.0").source(counter.formatted("v1")).buildZip(build, "counter-1.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/counter/").statusCode()).isEqualTo(200));
        assertThat(server.get("/mdm/counter/").body()).isEqualTo("v1 2 [count]");

        TestServer.replace(installed, plugin("counter", "1.1.0").source(counter.formatted("v2")).buildZip(build, "counter-2.zip"));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/counter/").body()).startsWith("v2"));
        assertThat(server.get("/mdm/counter/").body()).matches("v2 \\d+ \\[count]");
    }

    @Test
    void aPluginsMigrationsCreateItsOwnTablesInItsOwnSchema() throws IOException {
        server = TestServer.start(home);
        install(plugin("ledger", "1.0.0")
                .resource("shepherd/migration/V1__entries.sql", "CREATE TABLE entries (id INT NOT NULL PRIMARY KEY, note VARCHAR(100));")
                .resource("shepherd/migration/V2__seed.sql", "INSERT INTO entries (id, note) VALUES (1, 'seeded');")
                .source("""
                        package acme.ledger;

                        import dev.shepherd.api.config.PluginDatabase;
                        import dev.shepherd.api.http.*;
                        import jakarta.inject.Inject;
                        import org.pf4j.Extension;
                        import java.sql.*;

                        @Extension
                        public class Ledger implements DeviceEndpoint {
                            private final PluginDatabase database;

                            @Inject
                            public Ledger(PluginDatabase database) {
                                this.database = database;
                            }

                            @Override
                            public DeviceResponse handle(DeviceRequest request) throws SQLException {
                                try (Connection connection = database.connection();
                                     PreparedStatement select = connection.prepareStatement("SELECT note FROM entries WHERE id = 1");
                                     ResultSet rows = select.executeQuery()) {
                                    rows.next();
                                    return DeviceResponse.text(200, database.schema() + " " + rows.getString(1));
                                }
                            }
                        }
                        """).buildZip(build, "ledger.zip"));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/ledger/").body()).isEqualTo("PLUGIN_LEDGER seeded"));
    }

    @Test
    void aPluginWithMigrationsPerEngineGetsThoseOfTheStoresEngineOnly() throws IOException {
        server = TestServer.start(home);
        // The same versions in both folders: applying both would fail on the duplicate; each engine takes its own.
        install(plugin("journal", "1.0.0")
                .resource("shepherd/migration/derby/V1__notes.sql", "CREATE TABLE notes (id INT NOT NULL PRIMARY KEY, body CLOB);")
                .resource("shepherd/migration/derby/V2__seed.sql", "INSERT INTO notes (id, body) VALUES (1, 'derby');")
                .resource("shepherd/migration/postgresql/V1__notes.sql", "CREATE TABLE notes (id INT NOT NULL PRIMARY KEY, body TEXT);")
                .resource("shepherd/migration/postgresql/V2__seed.sql", "INSERT INTO notes (id, body) VALUES (1, 'postgresql');")
                .source("""
                        package acme.journal;

                        import dev.shepherd.api.config.PluginDatabase;
                        import dev.shepherd.api.http.*;
                        import jakarta.inject.Inject;
                        import org.pf4j.Extension;
                        import java.sql.*;

                        @Extension
                        public class Journal implements DeviceEndpoint {
                            private final PluginDatabase database;

                            @Inject
                            public Journal(PluginDatabase database) {
                                this.database = database;
                            }

                            @Override
                            public DeviceResponse handle(DeviceRequest request) throws SQLException {
                                try (Connection connection = database.connection();
                                     PreparedStatement select = connection.prepareStatement("SELECT body FROM notes WHERE id = 1");
                                     ResultSet rows = select.executeQuery()) {
                                    rows.next();
                                    return DeviceResponse.text(200, rows.getString(1));
                                }
                            }
                        }
                        """).buildZip(build, "journal.zip"));

        String engine = TestStore.engine().toString();
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/journal/").body()).isEqualTo(engine));
    }

    @Test
    void aPluginHearsKernelEventsAndMayRaiseOnlyItsOwn() throws IOException {
        server = TestServer.start(home);
        install(plugin("listener", "1.0.0").source("""
                package acme.listener;

                import dev.shepherd.api.event.*;
                import dev.shepherd.api.http.*;
                import jakarta.inject.Inject;
                import jakarta.inject.Singleton;
                import org.pf4j.Extension;
                import java.util.ArrayList;
                import java.util.Collections;
                import java.util.List;
                import java.util.Map;

                @Extension
                @Singleton
                public class Heard implements EventListener, DeviceEndpoint {
                    private final List<String> heard = Collections.synchronizedList(new ArrayList<>());
                    private final EventPublisher publisher;

                    @Inject
                    public Heard(EventPublisher publisher) {
                        this.publisher = publisher;
                    }

                    @Override
                    public void onEvent(Event event) {
                        heard.add(event.type() + ":" + event.data().get("pluginId") + ":" + event.source());
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        if (request.path().equals("/raise")) {
                            publisher.publish("listener.pinged", Map.of("n", 1));
                            try {
                                publisher.publish("device.enrolled", Map.of());
                                return DeviceResponse.text(500, "raised a kernel event");
                            } catch (IllegalArgumentException expected) {
                                return DeviceResponse.text(200, "refused");
                            }
                        }
                        return DeviceResponse.text(200, String.join(",", heard));
                    }
                }
                """).buildZip(build, "listener.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/listener/").statusCode()).isEqualTo(200));

        install(plugin("other", "1.0.0").source(TestPlugins.answeringEndpoint("acme.other", "x")).buildZip(build, "other.zip"));
        assertThat(server.get("/mdm/listener/raise").body()).isEqualTo("refused");

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/listener/").body())
                .contains("plugin.started:other:kernel")
                .contains("listener.pinged:null:listener"));
    }

    @Test
    void aPluginAskingForAServiceTheKernelDoesNotExportFailsWithTheReason() throws IOException {
        server = TestServer.start(home);
        install(plugin("nosy", "1.0.0").source("""
                package acme.nosy;

                import dev.shepherd.api.http.*;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                @Extension
                public class Nosy implements DeviceEndpoint {
                    @Inject
                    public Nosy(javax.sql.DataSource kernelDatabase) {
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        return DeviceResponse.text(200, "should not run");
                    }
                }
                """).buildZip(build, "nosy.zip"));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.server().plugins().plugin("nosy")).hasValueSatisfying(info -> {
            assertThat(info.state()).isEqualTo(PluginState.FAILED);
            assertThat(info.failureReason()).hasValueSatisfying(reason ->
                    assertThat(reason).startsWith("cannot create acme.nosy.Nosy").contains("DataSource"));
        }));
    }

    @Test
    void requestBodiesAreBoundedByTheEndpoint() throws IOException {
        server = TestServer.start(home);
        install(plugin("small", "1.0.0").source("""
                package acme.small;

                import dev.shepherd.api.http.*;
                import org.pf4j.Extension;

                @Extension
                public class Small implements DeviceEndpoint {
                    @Override
                    public int maxBodyBytes() {
                        return 16;
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        return DeviceResponse.text(200, "got " + request.body().length + " bytes, " + request.header("X-Test").orElse("-"));
                    }
                }
                """).buildZip(build, "small.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/small/").statusCode()).isEqualTo(200));

        HttpResponse<String> small = server.send(HttpRequest.newBuilder(server.uri("/mdm/small/"))
                .header("X-Test", "yes").POST(HttpRequest.BodyPublishers.ofString("0123456789")).build());
        HttpResponse<String> large = server.send(HttpRequest.newBuilder(server.uri("/mdm/small/"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(17))).build());

        assertThat(small.body()).isEqualTo("got 10 bytes, yes");
        assertThat(large.statusCode()).isEqualTo(413);
        assertThat(large.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void aPluginMayAnswerWellKnownRootPathsButNeverTheKernelsOwn() throws IOException {
        server = TestServer.start(home);
        String discovery = """
                package acme.%1$s;

                import dev.shepherd.api.http.*;
                import org.pf4j.Extension;
                import java.util.Set;

                @Extension
                public class Discovery implements DeviceEndpoint {
                    @Override
                    public Set<String> wellKnownPaths() {
                        return Set.of("/EnrollmentServer/Discovery.svc", "/api/v1/devices", "/health");
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        // Answers what is for it, as Apple's per-platform discovery does by the device's model family.
                        if (request.queryParameter("for").filter(who -> !who.equals("%1$s")).isPresent()) {
                            return DeviceResponse.problem(404, "Not found", "not for %1$s");
                        }
                        return DeviceResponse.text(200, "%1$s " + request.method() + " " + request.path());
                    }
                }
                """;
        Path first = install(plugin("discovery", "1.0.0").source(discovery.formatted("discovery")).buildZip(build, "discovery.zip"));
        await().atMost(WITHIN).untilAsserted(() ->
                assertThat(server.get("/EnrollmentServer/Discovery.svc").body()).isEqualTo("discovery GET /EnrollmentServer/Discovery.svc"));

        assertThat(server.get("/enrollmentserver/discovery.svc").statusCode()).as("matched regardless of case").isEqualTo(200);
        assertThat(server.get("/api/v1/devices").statusCode()).as("the admin API is not taken over").isEqualTo(401);
        assertThat(server.get("/health").body()).doesNotContain("discovery");

        // A second plugin cannot take a path another plugin holds, but waits in line for it, and answers what the holder
        // answers 404 (not its own).
        install(plugin("usurper", "1.0.0").source(discovery.formatted("usurper")).buildZip(build, "usurper.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/usurper/").statusCode()).isEqualTo(200));
        assertThat(server.get("/EnrollmentServer/Discovery.svc").body()).startsWith("discovery ");
        assertThat(server.get("/EnrollmentServer/Discovery.svc?for=usurper").body()).isEqualTo("usurper GET /EnrollmentServer/Discovery.svc");
        HttpResponse<String> nobodys = server.get("/EnrollmentServer/Discovery.svc?for=nobody");
        assertThat(nobodys.statusCode()).as("neither answers it: the holder's 404").isEqualTo(404);
        assertThat(nobodys.body()).contains("not for discovery");

        Files.delete(first);
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/discovery/").statusCode()).isEqualTo(404));
        assertThat(server.get("/EnrollmentServer/Discovery.svc").body()).as("released with its plugin, to the next in line")
                .isEqualTo("usurper GET /EnrollmentServer/Discovery.svc");
    }

    @Test
    void aPluginsAdminEndpointSitsBehindTheAdminApisAuthenticationAndItsPermission() throws Exception {
        server = TestServer.start(home);
        server.server().adminUsers().create("auditor", "auditor-password".toCharArray(), AdminRole.AUDITOR);
        install(plugin("certs", "1.0.0").source("""
                package acme.certs;

                import dev.shepherd.api.http.*;
                import org.pf4j.Extension;

                @Extension
                public class Upload implements AdminEndpoint {
                    @Override
                    public String path() {
                        return "/push-certificate";
                    }

                    @Override
                    public String permission() {
                        return "plugin_manage";
                    }

                    @Override
                    public DeviceResponse handle(AdminRequest request) {
                        return DeviceResponse.text(200, request.method() + " " + request.path() + " by " + request.adminUsername()
                                + " (" + request.body().length + " bytes, auth header " + request.headers().containsKey("authorization") + ")");
                    }
                }
                """).buildZip(build, "certs.zip"));
        String url = "/api/v1/plugins/certs/push-certificate";
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.getAsAdmin(url).statusCode()).isEqualTo(200));

        HttpResponse<String> admin = server.send(HttpRequest.newBuilder(server.uri(url + "/current"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofString("12345")).build());
        assertThat(admin.body()).isEqualTo("PUT /push-certificate/current by admin (5 bytes, auth header false)");
        assertThat(server.get(url).statusCode()).isEqualTo(401);
        assertThat(server.send(HttpRequest.newBuilder(server.uri(url))
                .header("Authorization", TestServer.basic("auditor", "auditor-password")).GET().build()).statusCode()).isEqualTo(403);
        assertThat(server.server().adminRoutes()).anySatisfy(route -> assertThat(route.template())
                .isEqualTo("/api/v1/plugins/certs/push-certificate/**"));

        Files.delete(server.pluginsDir().resolve("certs.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.getAsAdmin(url).statusCode()).isEqualTo(404));
    }

    @Test
    void anIdentityProviderPluginChecksThePasswordsOfItsAdmins() throws Exception {
        server = TestServer.start(home);
        install(plugin("corp-directory", "1.0.0").source("""
                package acme.directory;

                import dev.shepherd.api.identity.Identity;
                import dev.shepherd.api.identity.IdentityProvider;
                import org.pf4j.Extension;
                import java.util.Optional;
                import java.util.Set;

                @Extension
                public class Corp implements IdentityProvider {
                    @Override
                    public String id() {
                        return "corp";
                    }

                    @Override
                    public Optional<Identity> authenticate(String username, char[] password) {
                        return username.equals("carol") && new String(password).equals("corp-secret")
                                ? Optional.of(new Identity("corp", "carol", "Carol", "carol@corp.example", Set.of())) : Optional.empty();
                    }
                }
                """).buildZip(build, "corp.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.server().plugins().plugin("corp-directory"))
                .hasValueSatisfying(info -> assertThat(info.state()).isEqualTo(PluginState.STARTED)));

        HttpResponse<String> created = server.send(HttpRequest.newBuilder(server.uri("/api/v1/admins"))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"carol\",\"role\":\"AUDITOR\",\"provider\":\"corp\"}")).build());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        assertThat(server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/me"))
                .header("Authorization", TestServer.basic("carol", "corp-secret")).GET().build()).body()).contains("\"role\":\"AUDITOR\"");
        assertThat(server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/me"))
                .header("Authorization", TestServer.basic("carol", "not-her-password")).GET().build()).statusCode()).isEqualTo(401);
    }

    private Path install(Path built) throws IOException {
        return Files.copy(built, server.pluginsDir().resolve(built.getFileName()));
    }
}
