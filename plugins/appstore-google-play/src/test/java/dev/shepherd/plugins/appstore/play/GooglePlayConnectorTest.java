package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.LicenceOutcome;
import dev.shepherd.api.appstore.LicenceRequest;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.testing.MemoryPluginStorage;
import dev.shepherd.testing.TestSecrets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The store as the kernel calls it, against a stand-in for Google on loopback that answers
 * {@code enterprises.applications.get} and checks every request against androidmanagement v1's discovery document.
 */
class GooglePlayConnectorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ENTERPRISE = LocalPlay.ENTERPRISE;

    private LocalPlay google;
    private MemoryPluginStorage storage;
    private PlayServiceAccountKeys keys;
    private GooglePlayConnector connector;
    private PlayCatalog catalog;

    @BeforeEach
    void start() throws Exception {
        google = LocalPlay.start();
        storage = new MemoryPluginStorage();
        keys = new PlayServiceAccountKeys(storage, TestSecrets.sealer());
        connector = connector(Optional.of(ENTERPRISE));
        keys.upload(google.serviceAccountKey());
    }

    @AfterEach
    void stop() {
        google.close();
        assertThat(google.violations()).as("requests Google's discovery document refuses").isEmpty();
    }

    @Test
    void withoutAnEnterpriseOrAKeyTheStoreSaysWhatIsMissing() throws Exception {
        GooglePlayConnector unbound = connector(Optional.empty());
        assertThat(unbound.health()).isInstanceOf(StoreHealth.NotConfigured.class);
        assertThatThrownBy(() -> unbound.catalog(Optional.empty())).isInstanceOf(AppStoreException.class).hasMessageContaining("'enterprise'");
        keys.remove();
        assertThat(connector.health().problem()).hasValueSatisfying(problem -> assertThat(problem).contains("service-account"));
    }

    @Test
    void theCatalogIsTheAddedAppsPageByPageWithWhatGoogleSaysOfThem() throws Exception {
        for (int index = 0; index < GooglePlayConnector.PAGE_SIZE + 4; index++) {
            publish("com.example.app" + (char) ('a' + index), "[]", "[{\"versionString\": \"1.0\", \"versionCode\": 1, \"production\": true}]");
            catalog.fetch(ENTERPRISE, "com.example.app" + (char) ('a' + index), true);
        }
        publish("com.example.notes", """
                [{"key": "server", "type": "STRING"}]""", """
                [{"versionString": "2.1", "versionCode": 21, "production": true},
                 {"versionString": "2.2-beta", "versionCode": 22, "production": false, "trackIds": ["beta"]},
                 {"versionString": "2.0", "versionCode": 20, "production": true}]""");
        catalog.fetch(ENTERPRISE, "com.example.notes", true);
        google.withdraw("com.example.appb"); // Google no longer offers it

        CatalogPage first = connector.catalog(Optional.empty());
        CatalogPage second = connector.catalog(first.nextCursor());

        assertThat(first.apps()).hasSize(GooglePlayConnector.PAGE_SIZE - 1).noneMatch(app -> app.storeAppId().equals("com.example.appb"));
        assertThat(first.nextCursor()).contains(Integer.toString(GooglePlayConnector.PAGE_SIZE));
        assertThat(second.nextCursor()).isEmpty();
        StoreApp notes = second.apps().stream().filter(app -> app.storeAppId().equals("com.example.notes")).findFirst().orElseThrow();
        assertThat(notes.platform()).isEqualTo(Platform.ANDROID);
        assertThat(notes.identifier()).isEqualTo("com.example.notes");
        assertThat(notes.name()).isEqualTo("Title of com.example.notes");
        assertThat(notes.publisher()).isEqualTo("Example Corp");
        assertThat(notes.version()).as("the newest production version").contains("2.1");
        assertThat(notes.icon()).hasValueSatisfying(icon -> assertThat(icon.getScheme()).isEqualTo("https"));
        assertThat(notes.licensed()).isFalse();
        assertThat(JSON.readTree(notes.configurationSchema().orElseThrow()).path("properties").path("server").path("type").asText()).isEqualTo("string");
    }

    @Test
    void devicesInstallFromPlayWithTheVersionsCodeAndNeedNoLicence() throws Exception {
        publish("com.example.notes", "[]", "[{\"versionString\": \"2.1\", \"versionCode\": 21, \"production\": true}]");
        catalog.fetch(ENTERPRISE, "com.example.notes", true);
        StoreApp notes = connector.lookup("com.example.notes").orElseThrow();
        Device device = new Device(DeviceId.random(), Platform.ANDROID, DeviceStatus.ENROLLED, Ownership.CORPORATE, "Pixel 8", "SERIAL1",
                "Pixel 8", "14", Map.of("amapiDevice", ENTERPRISE + "/devices/1"), Optional.empty(), Optional.empty(), ComplianceState.UNKNOWN,
                Optional.empty(), Optional.empty(), Set.of(), Map.of());

        AppInstallation installation = connector.installation(notes, device);

        assertThat(installation.source()).isEqualTo(new AppInstallation.FromStore("com.example.notes"));
        assertThat(installation.version()).contains("2.1");
        assertThat(installation.options()).containsEntry(GooglePlayConnector.VERSION_CODE, 21L).containsEntry(GooglePlayConnector.MIN_SDK, 26L);
        assertThat(connector.assignLicence(LicenceRequest.forDevice("com.example.notes", device))).isInstanceOf(LicenceOutcome.NotRequired.class);
    }

    @Test
    void lookupAndSearchFindOnlyWhatGoogleOffersByPackageName() throws Exception {
        publish("com.example.notes", "[]", "[]");
        assertThat(connector.lookup("com.example.unknown")).isEmpty();
        assertThat(connector.lookup("../../enterprises")).isEmpty();
        assertThat(connector.search("com.example.notes", 5)).extracting(StoreApp::storeAppId).containsExactly("com.example.notes");
        assertThat(connector.search("notes", 5)).isEmpty();
        assertThat(catalog.packages()).as("looking up adds nothing to the store's catalog").isEmpty();
    }

    @Test
    void googlesTroubleIsARetryableFailureThatTheHealthShowsUntilACallSucceeds() throws Exception {
        publish("com.example.notes", "[]", "[]");
        google.failWith(503);
        assertThatThrownBy(() -> connector.lookup("com.example.notes")).isInstanceOfSatisfying(AppStoreException.class,
                e -> assertThat(e.retryable()).isTrue());
        assertThat(connector.health()).isInstanceOf(StoreHealth.Failing.class);
        google.failWith(0);
        assertThat(connector.lookup("com.example.notes")).isPresent();
        assertThat(connector.health()).isEqualTo(StoreHealth.ready());
    }

    private GooglePlayConnector connector(Optional<String> enterprise) {
        String url = google.url();
        PluginConfig config = () -> enterprise.map(name -> Map.of("apiUrl", url, "enterprise", name)).orElse(Map.of("apiUrl", url));
        PlayContext context = new PlayContext(config);
        catalog = new PlayCatalog(storage, new PlayApi(keys, context));
        return new GooglePlayConnector(catalog, keys, context, Clock.systemUTC());
    }

    private void publish(String packageName, String managedProperties, String versions) throws IOException {
        google.publish(packageName, managedProperties, versions);
    }
}
