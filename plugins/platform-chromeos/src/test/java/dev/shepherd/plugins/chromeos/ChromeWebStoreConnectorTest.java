package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
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

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Chrome Web Store connector against the Google stand-in: the catalog is every Chrome app an org unit's policy
 * deploys, page by page and unit by unit, described by the Chrome Management API; a lookup is that API's app details;
 * Google's errors become the store's errors (retryable with Google's wait, or not); and an installation on one
 * Chromebook is refused for good, saying to set the app in the unit's policy.
 */
class ChromeWebStoreConnectorTest {

    private static final String DRAWINGS = "mkaakpdehdafacodkgkpghoibnmamcme";
    private static final String TRANSLATE = "aapbdbdomjkkjkaonfhkkikfgjllcleb";
    private static final String KEEP = "hmjkmjkepdijhoojdojkdfohbdgmmhki";
    private static final String BLOCKED = "ghbmnnjooekpmoecnnnilnnbdlolhkhi";
    private static final String SELF_HOSTED = "abcdefghijklmnopabcdefghijklmnop";

    private LocalGoogle google;
    private GoogleApi api;
    private ChromeWebStoreConnector store;
    private final DeviceId anaChromebook = DeviceId.random();

    @BeforeEach
    void start() throws Exception {
        google = LocalGoogle.start();
        google.publishApp(DRAWINGS, "Google Drawings", "Google LLC", "1.0.0.4");
        google.publishApp(TRANSLATE, "Google Translate", "Google LLC", "2.0.13");
        google.publishApp(KEEP, "Google Keep", "Google LLC", null);
        MemoryPluginStorage storage = new MemoryPluginStorage();
        ChromeOsServiceAccountKeys keys = new ChromeOsServiceAccountKeys(storage, TestSecrets.sealer());
        keys.upload(google.serviceAccountKey().getBytes(StandardCharsets.UTF_8));
        URI url = URI.create(google.url());
        ChromeOsSettings settings = new ChromeOsSettings(Optional.of("it-admin@example.com"), "my_customer", url, url, url,
                Optional.of(URI.create(google.url() + "/token")), Duration.ofHours(1), Duration.ofSeconds(30), 1,
                Duration.ofMillis(10), Duration.ofMinutes(2), Duration.ofSeconds(20));
        OrgUnits orgUnits = new OrgUnits(storage);
        orgUnits.replace(new OrgUnits.Snapshot(Map.of("/Sales", new OrgUnits.OrgUnit("/Sales", "03sales"), "/Lab", new OrgUnits.OrgUnit("/Lab", "03lab")),
                Map.of(anaChromebook, "/Sales")));
        api = new GoogleApi(keys, settings);
        store = new ChromeWebStoreConnector(api, orgUnits, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        google.close();
        assertThat(google.violations()).as("requests Google would refuse").isEmpty();
    }

    @Test
    void theCatalogIsEveryChromeAppTheOrgUnitsPoliciesDeployPageByPage() throws Exception {
        google.setAppInstallType("03sales", "chrome:" + DRAWINGS, "FORCED");
        google.setAppInstallType("03sales", "chrome:" + TRANSLATE, "NORMAL_AND_PIN_TO_TOOLBAR");
        google.setAppInstallType("03sales", "chrome:" + BLOCKED, "BLOCKED");
        google.setAppInstallType("03sales", "android:com.google.android.keep", "FORCED");
        google.setAppInstallType("03lab", "chrome:" + KEEP, "FORCED_AND_PIN_TO_TOOLBAR");
        google.setAppInstallType("03lab", "chrome:" + SELF_HOSTED, "FORCED");

        List<CatalogPage> pages = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            CatalogPage page = store.catalog(cursor);
            pages.add(page);
            cursor = page.nextCursor();
        } while (cursor.isPresent() && pages.size() < 10);

        // /Lab first (paths in order): one page of two apps; /Sales: four app policies, two a page.
        assertThat(pages).hasSize(3);
        List<StoreApp> apps = pages.stream().flatMap(page -> page.apps().stream()).toList();
        assertThat(apps).extracting(StoreApp::storeAppId).containsExactlyInAnyOrder(KEEP, SELF_HOSTED, DRAWINGS, TRANSLATE);
        StoreApp drawings = apps.stream().filter(app -> app.storeAppId().equals(DRAWINGS)).findFirst().orElseThrow();
        assertThat(drawings).isEqualTo(new StoreApp(ChromeWebStoreConnector.ID, DRAWINGS, Platform.CHROMEOS, "chrome:" + DRAWINGS,
                "Google Drawings", "Google LLC", Optional.of("1.0.0.4"), Optional.of(URI.create("https://lh3.googleusercontent.com/" + DRAWINGS + "=s128")),
                OptionalLong.empty(), Optional.empty(), false, Optional.empty()));
        assertThat(apps.stream().filter(app -> app.storeAppId().equals(KEEP)).findFirst().orElseThrow().version()).as("no revision").isEmpty();
        assertThat(apps.stream().filter(app -> app.storeAppId().equals(SELF_HOSTED)).findFirst().orElseThrow())
                .as("deployed but not in the Web Store: listed under its id")
                .satisfies(app -> assertThat(app.name()).isEqualTo(SELF_HOSTED))
                .satisfies(app -> assertThat(app.identifier()).isEqualTo("chrome:" + SELF_HOSTED));

        List<LocalGoogle.Request> resolves = google.requests("POST", "/policies:resolve");
        assertThat(resolves).extracting(request -> request.json().path("policyTargetKey").path("targetResource").asText())
                .containsExactly("orgunits/03lab", "orgunits/03sales", "orgunits/03sales");
        assertThat(resolves).allSatisfy(request -> assertThat(request.json().path("policySchemaFilter").asText()).isEqualTo("chrome.users.apps.*"))
                .allSatisfy(request -> assertThat(request.json().path("pageSize").asInt()).isEqualTo(ChromeWebStoreConnector.RESOLVE_PAGE_SIZE));
        assertThat(resolves.get(2).json().path("pageToken").asText()).as("Google's page token followed").isEqualTo("2");
        assertThat(google.requests("GET", "/apps/chrome/" + DRAWINGS)).singleElement()
                .satisfies(request -> assertThat(request.path()).isEqualTo("/v1/customers/my_customer/apps/chrome/" + DRAWINGS));
        assertThat(google.requests("GET", "/apps/chrome/" + BLOCKED)).as("a blocked app is not deployed").isEmpty();
        assertThat(store.health()).isEqualTo(StoreHealth.ready());
    }

    @Test
    void anAppInheritedFromAnotherSyncedUnitIsListedWithThatUnitOnly() throws Exception {
        JsonNode page = new ObjectMapper().readTree("""
                {"resolvedPolicies": [
                  {"targetKey": {"targetResource": "orgunits/03child", "additionalTargetKeys": {"app_id": "chrome:%1$s"}},
                   "value": {"policySchema": "chrome.users.apps.InstallType", "value": {"appInstallType": "FORCED"}},
                   "sourceKey": {"targetResource": "orgunits/03sales", "additionalTargetKeys": {"app_id": "chrome:%1$s"}}},
                  {"targetKey": {"targetResource": "orgunits/03child", "additionalTargetKeys": {"app_id": "chrome:%2$s"}},
                   "value": {"policySchema": "chrome.users.apps.InstallType", "value": {"appInstallType": "NORMAL"}},
                   "sourceKey": {"targetResource": "orgunits/03root", "additionalTargetKeys": {"app_id": "chrome:%2$s"}}},
                  {"targetKey": {"targetResource": "orgunits/03child", "additionalTargetKeys": {"app_id": "chrome:%3$s"}},
                   "value": {"policySchema": "chrome.users.apps.InstallType", "value": {"appInstallType": "FORCED"}},
                   "sourceKey": {"targetResource": "orgunits/03child", "additionalTargetKeys": {"app_id": "chrome:%3$s"}}}]}"""
                .formatted(DRAWINGS, TRANSLATE, KEEP));

        assertThat(ChromeWebStoreConnector.deployedApps(page, "orgunits/03child", Set.of("orgunits/03sales", "orgunits/03child")))
                .as("Drawings comes with /Sales; Translate from the root, which is not synced; Keep is set here")
                .containsExactly(TRANSLATE, KEEP);
    }

    @Test
    void withoutSyncedOrgUnitsTheCatalogFailsInsteadOfAnsweringEmpty() {
        OrgUnits none = new OrgUnits(new MemoryPluginStorage());
        ChromeWebStoreConnector unsynced = new ChromeWebStoreConnector(api, none, Clock.systemUTC());

        assertThatThrownBy(() -> unsynced.catalog(Optional.empty())).isInstanceOfSatisfying(AppStoreException.class,
                e -> assertThat(e.retryable()).isTrue()).hasMessageContaining("has not synced the org units");
    }

    @Test
    void aLookupIsTheChromeManagementApisAppDetailsByWebStoreId() throws Exception {
        assertThat(store.lookup(TRANSLATE)).hasValueSatisfying(app -> {
            assertThat(app.name()).isEqualTo("Google Translate");
            assertThat(app.publisher()).isEqualTo("Google LLC");
            assertThat(app.version()).contains("2.0.13");
            assertThat(app.identifier()).isEqualTo("chrome:" + TRANSLATE);
            assertThat(app.licensed()).isFalse();
        });
        assertThat(store.lookup(BLOCKED)).as("not in the Web Store (Google's 404)").isEmpty();
        assertThat(store.lookup("chrome:" + TRANSLATE)).as("the policy's app id is not the store's id").isEmpty();
        assertThat(store.lookup("com.google.android.keep")).isEmpty();
        assertThat(google.requests("GET", "/apps/chrome/chrome:" + TRANSLATE)).as("nothing Google would refuse is sent").isEmpty();
    }

    @Test
    void googlesThrottlingIsRetryableWithItsWaitAndARefusalIsNot() throws Exception {
        google.setAppInstallType("03lab", "chrome:" + KEEP, "FORCED");
        google.fail("/policies:resolve", 429, Map.of("Retry-After", "30"),
                "{\"error\":{\"code\":429,\"message\":\"Quota exceeded for quota metric 'Policy requests'.\",\"status\":\"RESOURCE_EXHAUSTED\"}}");

        assertThatThrownBy(() -> store.catalog(Optional.empty())).isInstanceOfSatisfying(AppStoreException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
        }).hasMessageContaining("Quota exceeded");
        assertThat(store.health()).isInstanceOfSatisfying(StoreHealth.Failing.class,
                failing -> assertThat(failing.reason()).contains("Quota exceeded"));

        google.fail("/apps/chrome/" + KEEP, 403, Map.of(),
                "{\"error\":{\"code\":403,\"message\":\"Chrome Management API has not been used in project 1234567890.\",\"status\":\"PERMISSION_DENIED\"}}");
        assertThatThrownBy(() -> store.catalog(Optional.empty())).isInstanceOfSatisfying(AppStoreException.class,
                e -> assertThat(e.retryable()).isFalse()).hasMessageContaining("Chrome Management API has not been used");

        google.fail("/apps/chrome/" + KEEP, 503, Map.of(), "{\"error\":{\"code\":503,\"message\":\"The service is currently unavailable.\",\"status\":\"UNAVAILABLE\"}}");
        assertThatThrownBy(() -> store.lookup(KEEP)).isInstanceOfSatisfying(AppStoreException.class, e -> {
            assertThat(e.retryable()).isTrue();
            assertThat(e.retryAfter()).isEmpty();
        });

        assertThat(store.catalog(Optional.empty()).apps()).extracting(StoreApp::name).containsExactly("Google Keep");
        assertThat(store.health()).as("the next success clears the failure").isEqualTo(StoreHealth.ready());
    }

    @Test
    void anInstallationOnOneChromebookIsRefusedForGoodNamingThePolicyThatInstallsIt() throws Exception {
        StoreApp drawings = store.lookup(DRAWINGS).orElseThrow();
        Device chromebook = new Device(anaChromebook, Platform.CHROMEOS, DeviceStatus.ENROLLED, Ownership.CORPORATE, "Chromebook 5CD1230001",
                "5CD1230001", "HP Chromebook x360 14c", "124.0.6367.171", Map.of(), Optional.empty(), Optional.empty(), ComplianceState.UNKNOWN,
                Optional.empty(), Optional.empty(), Set.of(), Map.of());

        assertThatThrownBy(() -> store.installation(drawings, chromebook)).isInstanceOfSatisfying(AppStoreException.class,
                        e -> assertThat(e.retryable()).as("never tried again in a loop").isFalse())
                .hasMessageContaining("ChromeOS installs apps per organisational unit through its policy, not per device")
                .hasMessageContaining("chromeos.app setting {\"appId\": \"chrome:" + DRAWINGS + "\", \"installType\": \"FORCED\"}")
                .hasMessageContaining("its org unit /Sales");
    }

    @Test
    void withoutAKeyOrAdminTheStoreIsNotConfigured() {
        MemoryPluginStorage storage = new MemoryPluginStorage();
        URI url = URI.create(google.url());
        GoogleApi unconnected = new GoogleApi(new ChromeOsServiceAccountKeys(storage, TestSecrets.sealer()),
                new ChromeOsSettings(Optional.empty(), "my_customer", url, url, url, Optional.empty(), Duration.ofHours(1),
                        Duration.ofSeconds(30), 1, Duration.ofMillis(10), Duration.ofMinutes(2), Duration.ofSeconds(20)));

        assertThat(new ChromeWebStoreConnector(unconnected, new OrgUnits(storage), Clock.systemUTC()).health())
                .isInstanceOfSatisfying(StoreHealth.NotConfigured.class, health -> assertThat(health.reason()).contains("adminUser"));
    }

}
