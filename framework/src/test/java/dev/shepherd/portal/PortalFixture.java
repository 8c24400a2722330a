package dev.shepherd.portal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.app.AppIntent;
import dev.shepherd.app.CatalogApp;
import dev.shepherd.audit.Actor;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A running server with what the portal's tests start from: a store plugin loaded from its file (the {@code handbook}
 * store: "Field Notes" and "Handbook" for iOS, no licences), its catalog synced, and a way to give people passwords
 * and enrolled devices in a group the apps are assigned to.
 */
final class PortalFixture {

    static final Duration WITHIN = Duration.ofSeconds(30);
    static final String NOTES = "com.handbook.notes";
    static final String HANDBOOK = "com.handbook.reader";

    private final TestServer server;
    private final Kernel kernel;
    private final ObjectMapper json = new ObjectMapper();

    private PortalFixture(TestServer server) {
        this.server = server;
        this.kernel = server.server().kernel();
    }

    /** Starts the server, loads the store plugin from its zip and syncs its catalog through the admin API. */
    static PortalFixture start(Path home, Path build) throws IOException {
        TestServer server = TestServer.start(home);
        Files.copy(storePlugin().buildZip(build, "handbook-store.zip"), server.pluginsDir().resolve("handbook-store.zip"));
        PortalFixture fixture = new PortalFixture(server);
        await().atMost(WITHIN).untilAsserted(() -> assertThat(fixture.asAdmin("POST", "/api/v1/app-stores/handbook/sync", "")
                .statusCode()).isEqualTo(200));
        return fixture;
    }

    TestServer server() {
        return server;
    }

    Kernel kernel() {
        return kernel;
    }

    /** A person of the local directory with a portal password, set by an admin through the API. */
    String user(String username, String password) {
        String id = kernel.directory().create(TestKernel.ADMIN, DirectoryService.LOCAL, username, username.substring(0, 1).toUpperCase()
                + username.substring(1), username + "@example.com").id();
        HttpResponse<String> set = asAdmin("PUT", "/api/v1/users/" + id + "/password", "{\"password\": \"" + password + "\"}");
        assertThat(set.statusCode()).as(set.body()).isEqualTo(204);
        return id;
    }

    /** An iPhone enrolled for a user. */
    DeviceId phoneOf(String userId, String udid) {
        String secret = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("phones", Ownership.CORPORATE, Optional.empty(),
                Optional.empty(), Optional.of(userId), OptionalInt.empty(), Instant.now().plus(Duration.ofHours(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("simulator"), TestKernel.claim(secret, Platform.IOS, udid)).device().id();
    }

    /** Puts the devices in a group that gets Field Notes AVAILABLE and the Handbook REQUIRED. */
    void offerApps(DeviceId... devices) {
        Group group = kernel.groups().create(TestKernel.ADMIN, "Staff phones", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(devices));
        kernel.apps().assign(TestKernel.ADMIN, app(NOTES).id(), group.id(), AppIntent.AVAILABLE, Optional.empty());
        kernel.apps().assign(TestKernel.ADMIN, app(HANDBOOK).id(), group.id(), AppIntent.REQUIRED, Optional.empty());
    }

    CatalogApp app(String identifier) {
        return kernel.apps().list(Optional.of(identifier), Optional.empty(), Optional.empty(), 10).stream()
                .filter(app -> app.identifier().equals(identifier)).findFirst().orElseThrow();
    }

    HttpResponse<String> asAdmin(String method, String path, String body) {
        return server.send(HttpRequest.newBuilder(server.uri(path))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/json")
                .method(method, body.isEmpty() ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    JsonNode read(HttpResponse<String> response) {
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void close() {
        server.close();
    }

    /** A store plugin with two free iOS apps, installed from the App Store by their ids. */
    private static TestPluginBuilder storePlugin() {
        return plugin("handbook-store", "1.0.0").source("""
                package handbook.store;

                import dev.shepherd.api.appstore.AppInstallation;
                import dev.shepherd.api.appstore.AppStoreConnector;
                import dev.shepherd.api.appstore.CatalogPage;
                import dev.shepherd.api.appstore.StoreApp;
                import dev.shepherd.api.appstore.StoreHealth;
                import dev.shepherd.api.device.Device;
                import dev.shepherd.api.device.Platform;
                import org.pf4j.Extension;

                import java.net.URI;
                import java.util.List;
                import java.util.Map;
                import java.util.Optional;
                import java.util.OptionalLong;
                import java.util.Set;

                @Extension
                public class HandbookStore implements AppStoreConnector {
                    private static final List<StoreApp> APPS = List.of(
                            new StoreApp("handbook", "501", Platform.IOS, "com.handbook.notes", "Field Notes", "Handbook Ltd",
                                    Optional.of("2.4"), Optional.of(URI.create("https://icons.example.com/notes.png")),
                                    OptionalLong.of(4096), Optional.empty(), false, Optional.empty()),
                            new StoreApp("handbook", "502", Platform.IOS, "com.handbook.reader", "Handbook", "Handbook Ltd",
                                    Optional.of("1.0"), Optional.empty(), OptionalLong.of(2048), Optional.empty(), false, Optional.empty()));

                    public String id() { return "handbook"; }
                    public String displayName() { return "Handbook apps"; }
                    public Set<Platform> platforms() { return Set.of(Platform.IOS); }
                    public StoreHealth health() { return StoreHealth.ready(); }
                    public CatalogPage catalog(Optional<String> cursor) { return CatalogPage.last(APPS); }

                    public Optional<StoreApp> lookup(String storeAppId) {
                        return APPS.stream().filter(app -> app.storeAppId().equals(storeAppId)).findFirst();
                    }

                    public AppInstallation installation(StoreApp app, Device device) {
                        return new AppInstallation(app.identifier(), app.version(), new AppInstallation.FromStore(app.storeAppId()), Map.of());
                    }
                }
                """);
    }
}
