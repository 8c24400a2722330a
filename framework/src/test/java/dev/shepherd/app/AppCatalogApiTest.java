package dev.shepherd.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The app catalog through the running server: a store plugin loaded from its file (a real plugin in its own class
 * loader), a broken store beside it, the REST API an admin uses, and a device driven through the command bus and its
 * inventory, from catalog sync to INSTALLED and to a licence shortage visible per device.
 */
class AppCatalogApiTest {

    private static final Duration WITHIN = Duration.ofSeconds(30);

    @TempDir
    Path home;
    @TempDir
    Path build;
    private TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aStorePluginsAppIsSyncedAssignedInstalledAndReportedThroughTheApi() throws Exception {
        server = TestServer.start(home);
        Files.copy(storePlugin().buildZip(build, "acme-store.zip"), server.pluginsDir().resolve("acme-store.zip"));
        Files.copy(brokenStorePlugin().buildZip(build, "broken-store.zip"), server.pluginsDir().resolve("broken-store.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(get("/api/v1/app-stores").body()).contains("acme").contains("broken"));

        HttpResponse<String> broken = send("POST", "/api/v1/app-stores/broken/sync", "");
        assertThat(broken.statusCode()).isEqualTo(503);
        assertThat(broken.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(broken.body()).doesNotContain("at acme.");
        HttpResponse<String> synced = send("POST", "/api/v1/app-stores/acme/sync", "");
        assertThat(synced.statusCode()).isEqualTo(200);
        assertThat(json.readTree(synced.body()).path("listed").asInt()).isEqualTo(1);

        JsonNode app = json.readTree(get("/api/v1/apps?q=notes").body()).get(0);
        String appId = app.path("id").asText();
        assertThat(app.path("licensed").asBoolean()).isTrue();
        assertThat(app.path("licences").path("total").asLong()).isEqualTo(1);

        Kernel kernel = server.server().kernel();
        DeviceId first = enroll(kernel, "A-1");
        DeviceId second = enroll(kernel, "A-2");
        Group group = kernel.groups().create(TestKernel.ADMIN, "Field", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(first, second));

        HttpResponse<String> refused = send("PUT", "/api/v1/apps/" + appId + "/assignments/" + group.id(), "{\"intent\": \"SOMETIMES\"}");
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        // a store that gives device licences only (the connector's default) is not asked for user licences
        HttpResponse<String> userLicences = send("PUT", "/api/v1/apps/" + appId + "/assignments/" + group.id(),
                "{\"intent\": \"REQUIRED\", \"licenceSource\": \"user\"}");
        assertThat(userLicences.statusCode()).isEqualTo(400);
        assertThat(userLicences.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(userLicences.body()).contains("store acme cannot give user licences");
        HttpResponse<String> unknownSource = send("PUT", "/api/v1/apps/" + appId + "/assignments/" + group.id(),
                "{\"intent\": \"REQUIRED\", \"licenceSource\": \"TEAM\"}");
        assertThat(unknownSource.statusCode()).isEqualTo(400);
        assertThat(unknownSource.body()).contains("licenceSource must be DEVICE or USER");
        HttpResponse<String> assigned = send("PUT", "/api/v1/apps/" + appId + "/assignments/" + group.id(), "{\"intent\": \"REQUIRED\"}");
        assertThat(assigned.statusCode()).isEqualTo(200);
        assertThat(json.readTree(assigned.body()).path("licenceSource").asText()).isEqualTo("DEVICE");

        // one licence for two devices: one installs, the other fails with the store's words
        await().atMost(WITHIN).untilAsserted(() -> assertThat(states(appId)).extracting(state -> state.path("state").asText())
                .containsExactlyInAnyOrder("INSTALLING", "FAILED"));
        DeviceId installing = stateOf(appId, first).equals("INSTALLING") ? first : second;
        DeviceId waiting = installing.equals(first) ? second : first;
        assertThat(states(appId)).filteredOn(state -> state.path("deviceId").asText().equals(waiting.toString()))
                .extracting(state -> state.path("reason").asText()).containsExactly("No licence left for Notes");

        List<Command> commands = kernel.commands().take(installing, 10);
        assertThat(commands).extracting(Command::type).containsExactly(CommandType.INSTALL_APP);
        assertThat(commands.get(0).parameters()).containsEntry("storeId", "acme").containsEntry("source", "package")
                .containsEntry("packageKind", "ipa");
        kernel.commands().report(installing, new CommandResult(commands.get(0).id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        kernel.devices().replaceInventory(Actor.plugin("ios"), installing, "app.", Map.of("app.com.acme.notes", "3.2"));

        assertThat(stateOf(appId, installing)).isEqualTo("INSTALLED");
        JsonNode deviceApps = json.readTree(get("/api/v1/devices/" + installing + "/apps").body());
        assertThat(deviceApps.path("managed").get(0).path("installedVersion").asText()).isEqualTo("3.2");
        assertThat(deviceApps.path("installed").path("com.acme.notes").asText()).isEqualTo("3.2");
        assertThat(json.readTree(get("/api/v1/app-inventory?identifier=com.acme.notes&versionBelow=3.10").body()))
                .extracting(found -> found.path("deviceId").asText()).containsExactly(installing.toString());
        assertThat(json.readTree(get("/api/v1/apps/" + appId + "/licences").body()).path("licences")).hasSize(1);

        // staging its updates: the pilot group first, progress per stage, then everyone
        String rollout = "/api/v1/apps/" + appId + "/rollout";
        assertThat(get(rollout).statusCode()).isEqualTo(404);
        assertThat(send("PUT", rollout, "{\"pilotGroupId\": \"no-such-group\"}").statusCode()).isEqualTo(400);
        HttpResponse<String> staged = send("PUT", rollout, "{\"pilotGroupId\": \"" + group.id() + "\"}");
        assertThat(staged.statusCode()).isEqualTo(200);
        assertThat(json.readTree(staged.body()).path("releasedVersion").asText()).isEqualTo("3.2");
        JsonNode progress = json.readTree(get(rollout).body());
        assertThat(progress.path("pilot").path("devices").asLong()).isEqualTo(2);
        assertThat(progress.path("pilot").path("onNewest").asLong()).isEqualTo(1);
        assertThat(progress.path("pilot").path("failed").asLong()).isEqualTo(1);
        assertThat(send("POST", rollout + "/promote", "").statusCode()).isEqualTo(200);
        assertThat(send("DELETE", rollout, "").statusCode()).isEqualTo(204);
        assertThat(send("DELETE", rollout, "").statusCode()).isEqualTo(404);

        assertThat(get("/api/v1/app-inventory").statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/apps/no-such-app").statusCode()).isEqualTo(404);
        assertThat(send("DELETE", "/api/v1/apps/" + appId, "").statusCode()).isEqualTo(409);
        assertThat(server.get("/api/v1/apps").statusCode()).isEqualTo(401);
    }

    private List<JsonNode> states(String appId) throws Exception {
        List<JsonNode> states = new ArrayList<>();
        json.readTree(get("/api/v1/apps/" + appId + "/devices").body()).forEach(states::add);
        return states;
    }

    private String stateOf(String appId, DeviceId device) throws Exception {
        return states(appId).stream().filter(state -> state.path("deviceId").asText().equals(device.toString()))
                .map(state -> state.path("state").asText()).findFirst().orElse("");
    }

    private static DeviceId enroll(Kernel kernel, String udid) {
        String secret = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("apps", Ownership.CORPORATE,
                Optional.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(), Instant.now().plus(Duration.ofHours(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("test"), TestKernel.claim(secret, Platform.IOS, udid)).device().id();
    }

    private HttpResponse<String> get(String path) {
        return server.getAsAdmin(path);
    }

    private HttpResponse<String> send(String method, String path, String body) {
        return server.sendAsAdmin(method, path, body);
    }

    /** A store with one licensed app and one licence, installed from a package with a per-device link. */
    private static TestPluginBuilder storePlugin() {
        return plugin("acme-store", "1.0.0").source("""
                package acme.store;

                import dev.shepherd.api.appstore.AppInstallation;
                import dev.shepherd.api.appstore.AppStoreConnector;
                import dev.shepherd.api.appstore.CatalogPage;
                import dev.shepherd.api.appstore.LicenceCount;
                import dev.shepherd.api.appstore.LicenceOutcome;
                import dev.shepherd.api.appstore.LicenceRequest;
                import dev.shepherd.api.appstore.StoreApp;
                import dev.shepherd.api.appstore.StoreHealth;
                import dev.shepherd.api.device.Device;
                import dev.shepherd.api.device.Platform;
                import jakarta.inject.Singleton;
                import org.pf4j.Extension;

                import java.net.URI;
                import java.util.List;
                import java.util.Map;
                import java.util.Optional;
                import java.util.OptionalLong;
                import java.util.Set;
                import java.util.concurrent.ConcurrentHashMap;

                @Extension
                @Singleton
                public class AcmeStore implements AppStoreConnector {
                    private final Set<String> holders = ConcurrentHashMap.newKeySet();

                    public String id() { return "acme"; }
                    public String displayName() { return "Acme private apps"; }
                    public Set<Platform> platforms() { return Set.of(Platform.IOS); }
                    public StoreHealth health() { return StoreHealth.ready(); }

                    public CatalogPage catalog(Optional<String> cursor) { return CatalogPage.last(List.of(notes())); }

                    public Optional<StoreApp> lookup(String storeAppId) {
                        return storeAppId.equals("notes") ? Optional.of(notes()) : Optional.empty();
                    }

                    public synchronized LicenceOutcome assignLicence(LicenceRequest request) {
                        String holder = request.device().toString();
                        if (!holders.contains(holder) && !holders.isEmpty()) {
                            return LicenceOutcome.exhausted("No licence left for Notes");
                        }
                        holders.add(holder);
                        return LicenceOutcome.assigned(Optional.of("acme-" + holder));
                    }

                    public synchronized void revokeLicence(LicenceRequest request) { holders.remove(request.device().toString()); }

                    public AppInstallation installation(StoreApp app, Device device) {
                        return new AppInstallation(app.identifier(), app.version(), new AppInstallation.FromPackage(
                                URI.create("https://apps.example.com/notes.ipa?device=" + device.id()),
                                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 2048, AppInstallation.PackageKind.IPA), Map.of());
                    }

                    private StoreApp notes() {
                        return new StoreApp("acme", "notes", Platform.IOS, "com.acme.notes", "Notes", "Acme", Optional.of("3.2"),
                                Optional.empty(), OptionalLong.of(2048), Optional.empty(), true, Optional.of(new LicenceCount(1, holders.size())));
                    }
                }
                """);
    }

    /** A store whose every catalog call fails: it must never hold back the others. */
    private static TestPluginBuilder brokenStorePlugin() {
        return plugin("broken-store", "1.0.0").source("""
                package acme.broken;

                import dev.shepherd.api.appstore.AppInstallation;
                import dev.shepherd.api.appstore.AppStoreConnector;
                import dev.shepherd.api.appstore.CatalogPage;
                import dev.shepherd.api.appstore.StoreApp;
                import dev.shepherd.api.appstore.StoreHealth;
                import dev.shepherd.api.device.Device;
                import dev.shepherd.api.device.Platform;
                import org.pf4j.Extension;

                import java.util.Optional;
                import java.util.Set;

                @Extension
                public class BrokenStore implements AppStoreConnector {
                    public String id() { return "broken"; }
                    public String displayName() { return "Broken"; }
                    public Set<Platform> platforms() { return Set.of(Platform.IOS); }
                    public StoreHealth health() { return StoreHealth.ready(); }
                    public CatalogPage catalog(Optional<String> cursor) { throw new IllegalStateException("the store's code is broken"); }
                    public Optional<StoreApp> lookup(String storeAppId) { throw new IllegalStateException("broken"); }
                    public AppInstallation installation(StoreApp app, Device device) { throw new IllegalStateException("broken"); }
                }
                """);
    }
}
