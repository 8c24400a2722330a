package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The store {@value #ID}: the Chrome apps and extensions the organisation deploys to its Chromebooks, as the app
 * catalog sees them.
 *
 * <p>ChromeOS installs apps through its policy, per organisational unit, never per device: an app is deployed by a
 * {@code chrome.users.apps.InstallType} policy on a unit (the plugin's {@code chromeos.app} setting). So the catalog
 * is read from Google's policies ({@code policies:resolve} of {@code chrome.users.apps.*} on every org unit the
 * plugin synced, following {@code nextPageToken}), one app per Chrome Web Store id installed {@code FORCED} or
 * {@code NORMAL} (with or without pinning), described by the Chrome Management API's app details. Apps an admin adds
 * by id are looked up there too; the kernel keeps them without the store having to list them.
 *
 * <p>{@link #installation} refuses for good: the kernel cannot queue an install for one Chromebook, and the refusal
 * tells the admin to set the app in the unit's policy instead.
 *
 * <p>Ids: the store's id of an app ({@link StoreApp#storeAppId()}) is its bare 32-letter Chrome Web Store id, as the
 * Web Store and the Chrome Management API name it; its identifier is Google's policy {@code app_id},
 * {@code chrome:<id>}, the value the {@code chromeos.app} setting takes.
 */
@Extension
public final class ChromeWebStoreConnector implements AppStoreConnector {

    /** The store's id. */
    public static final String ID = "chrome-web-store";
    /** How a Chrome Web Store app is named in a Chrome policy's {@code app_id}. */
    static final String APP_ID_PREFIX = "chrome:";
    /** The schema whose {@code appInstallType} says how a unit's users get an app. */
    static final String INSTALL_TYPE_SCHEMA = "chrome.users.apps.InstallType";
    /** Every user app policy: Google lists each app's policies under its {@code app_id}. */
    static final String USER_APPS_FILTER = "chrome.users.apps.*";
    /** The install types that put an app on the unit's devices; ALLOWED, BLOCKED and REMOVE deploy nothing. */
    static final Set<String> DEPLOYED = Set.of("FORCED", "FORCED_AND_PIN_TO_TOOLBAR", "NORMAL", "NORMAL_AND_PIN_TO_TOOLBAR");

    /** A Chrome Web Store id: 32 letters a to p. */
    private static final Pattern WEB_STORE_ID = Pattern.compile("[a-p]{32}");
    /** Longer text from Google is cut to what the catalog stores. */
    private static final int MAX_TEXT = 512;
    /**
     * Policies asked for per page: each deployed app on a page costs one call for its details, so pages stay small
     * enough to finish well within the kernel's time limit for a plugin call.
     */
    static final int RESOLVE_PAGE_SIZE = 20;
    /** A cursor is an org unit id and Google's page token; anything longer is not one of ours. */
    private static final int MAX_CURSOR = 4096;

    private final GoogleApi google;
    private final OrgUnits orgUnits;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper();
    /** The last failure talking to Google, cleared by the next success: what {@link #health()} reports without a call. */
    private volatile StoreHealth.Failing lastFailure;

    @Inject
    public ChromeWebStoreConnector(GoogleApi google, OrgUnits orgUnits, Clock clock) {
        this.google = requireNonNull(google, "google is null");
        this.orgUnits = requireNonNull(orgUnits, "orgUnits is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "Chrome Web Store (ChromeOS policy)";
    }

    @Override
    public Set<Platform> platforms() {
        return Set.of(Platform.CHROMEOS);
    }

    @Override
    public StoreHealth health() {
        if (!google.connected()) {
            return StoreHealth.notConfigured("The ChromeOS plugin is not connected to Google: upload the service account key and set "
                    + "the plugin setting 'adminUser'.");
        }
        StoreHealth.Failing failing = lastFailure;
        return failing != null ? failing : StoreHealth.ready();
    }

    /**
     * One page of one org unit's app policies. The cursor is the unit's id, then Google's page token when the unit
     * has more; units are read in the order of their paths. An app set on several units appears once per unit that
     * sets it; the kernel keeps it once.
     */
    @Override
    public CatalogPage catalog(Optional<String> cursor) throws AppStoreException {
        requireNonNull(cursor, "cursor is null");
        List<OrgUnits.OrgUnit> units = orgUnits.current().units().values().stream()
                .sorted((a, b) -> a.path().compareTo(b.path())).toList();
        if (units.isEmpty()) {
            // An empty page would mark every app removed from the store; no unit known means no sync yet, not no apps.
            throw AppStoreException.retryable("The ChromeOS plugin has not synced the org units from Google yet; "
                    + "the apps deployed through their policies are read after the next sync.", Optional.empty());
        }
        int unitIndex = 0;
        Optional<String> pageToken = Optional.empty();
        if (cursor.isPresent()) {
            String text = cursor.get();
            int space = text.indexOf(' ');
            String unitId = space < 0 ? text : text.substring(0, space);
            if (text.length() > MAX_CURSOR || unitId.isEmpty()) {
                throw new IllegalArgumentException("not a cursor of this store: " + text.substring(0, Math.min(64, text.length())));
            }
            unitIndex = indexOf(units, unitId);
            pageToken = space < 0 ? Optional.empty() : Optional.of(text.substring(space + 1)).filter(token -> !token.isEmpty());
        }
        OrgUnits.OrgUnit unit = units.get(unitIndex);
        try {
            JsonNode page = resolveApps(unit, pageToken);
            List<StoreApp> apps = new ArrayList<>();
            Set<String> synced = units.stream().map(OrgUnits.OrgUnit::targetResource).collect(Collectors.toSet());
            for (String webStoreId : deployedApps(page, unit.targetResource(), synced)) {
                apps.add(details(webStoreId).orElseGet(() -> unpublished(webStoreId)));
            }
            Optional<String> next = Optional.of(page.path("nextPageToken").asText("")).filter(token -> !token.isEmpty())
                    .map(token -> unit.id() + " " + token);
            if (next.isEmpty() && unitIndex + 1 < units.size()) {
                next = Optional.of(units.get(unitIndex + 1).id());
            }
            succeeded();
            return new CatalogPage(apps, next);
        } catch (GoogleException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** An app by its Chrome Web Store id, from the Chrome Management API; a {@code chrome:} app id or another id is unknown. */
    @Override
    public Optional<StoreApp> lookup(String storeAppId) throws AppStoreException {
        if (!WEB_STORE_ID.matcher(requireNonNull(storeAppId, "storeAppId is null")).matches()) {
            return Optional.empty();
        }
        try {
            Optional<StoreApp> app = details(storeAppId);
            succeeded();
            return app;
        } catch (GoogleException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /**
     * Refused for good: ChromeOS takes apps from its org unit's policy, so no command can install one on a single
     * Chromebook. The device's state becomes FAILED with this explanation, and the kernel does not try again until
     * the assignment changes.
     */
    @Override
    public AppInstallation installation(StoreApp app, Device device) throws AppStoreException {
        requireNonNull(app, "app is null");
        requireNonNull(device, "device is null");
        String unit = orgUnits.current().of(device.id()).map(found -> "its org unit " + found.path()).orElse("its org unit");
        throw new AppStoreException("ChromeOS installs apps per organisational unit through its policy, not per device, so Shepherd "
                + "cannot install " + app.name() + " on this Chromebook alone. Add a chromeos.app setting {\"appId\": \"" + app.identifier()
                + "\", \"installType\": \"FORCED\"} to a policy assigned to a group holding " + unit
                + " (such as the plugin's group 'ChromeOS <org unit path>'); the app then reaches every device of the unit.");
    }

    /** {@code policies:resolve} of every user app policy on the unit: one page. */
    private JsonNode resolveApps(OrgUnits.OrgUnit unit, Optional<String> pageToken) throws GoogleException, InterruptedException {
        ObjectNode body = json.createObjectNode().put("policySchemaFilter", USER_APPS_FILTER);
        body.putObject("policyTargetKey").put("targetResource", unit.targetResource());
        body.put("pageSize", RESOLVE_PAGE_SIZE);
        pageToken.ifPresent(token -> body.put("pageToken", token));
        ChromeOsSettings settings = google.settings();
        return google.call("POST", URI.create(settings.policyUrl() + "/v1/customers/" + settings.customerId() + "/policies:resolve"), body);
    }

    /**
     * The Chrome Web Store ids a resolve page of a unit deploys, in Google's order, each once. An app the unit inherits
     * from another synced unit is listed with that unit, not again with each of its children; one set on a unit the
     * plugin does not sync (the root, which the Directory API does not list) is listed with every unit that has it.
     *
     * @param page Google's answer
     * @param unit the unit's target resource, {@code orgunits/<id>}
     * @param synced the target resources of every synced unit
     */
    static List<String> deployedApps(JsonNode page, String unit, Set<String> synced) {
        Set<String> ids = new LinkedHashSet<>();
        for (JsonNode item : page.path("resolvedPolicies")) {
            JsonNode value = item.path("value");
            String appId = item.path("targetKey").path("additionalTargetKeys").path("app_id").asText("");
            String webStoreId = appId.startsWith(APP_ID_PREFIX) ? appId.substring(APP_ID_PREFIX.length()) : "";
            String source = item.path("sourceKey").path("targetResource").asText(unit);
            boolean setHere = source.equals(unit) || !synced.contains(source);
            if (setHere && INSTALL_TYPE_SCHEMA.equals(value.path("policySchema").asText())
                    && DEPLOYED.contains(value.path("value").path("appInstallType").asText())
                    && WEB_STORE_ID.matcher(webStoreId).matches()) {
                ids.add(webStoreId);
            }
        }
        return List.copyOf(ids);
    }

    /** The Chrome Management API's details of an app ({@code customers.apps.chrome.get}); empty when Google does not know it. */
    private Optional<StoreApp> details(String webStoreId) throws GoogleException, InterruptedException {
        ChromeOsSettings settings = google.settings();
        JsonNode details;
        try {
            details = google.call("GET", URI.create(settings.managementUrl() + "/v1/customers/" + settings.customerId()
                    + "/apps/chrome/" + webStoreId), null);
        } catch (GoogleException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
        String name = text(details.path("displayName")).orElse(webStoreId);
        return Optional.of(new StoreApp(ID, webStoreId, Platform.CHROMEOS, APP_ID_PREFIX + webStoreId, name,
                text(details.path("publisher")).orElse(""), text(details.path("revisionId")), icon(details.path("iconUri")),
                OptionalLong.empty(), Optional.empty(), false, Optional.empty()));
    }

    /**
     * A deployed app the Chrome Management API does not describe (a self-hosted or unpublished extension): listed under
     * its id, so the catalog still shows what the organisation deploys.
     */
    private static StoreApp unpublished(String webStoreId) {
        return StoreApp.free(ID, webStoreId, Platform.CHROMEOS, APP_ID_PREFIX + webStoreId, webStoreId, "");
    }

    private static Optional<String> text(JsonNode node) {
        String text = node.asText("").strip();
        return text.isEmpty() ? Optional.empty() : Optional.of(text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) : text);
    }

    /** Google's icon URL, when it is an absolute http(s) URL; anything else is no icon rather than a broken catalog entry. */
    private static Optional<URI> icon(JsonNode node) {
        Optional<String> text = text(node);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI uri = URI.create(text.get());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            return uri.isAbsolute() && (scheme.equals("https") || scheme.equals("http")) ? Optional.of(uri) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static int indexOf(List<OrgUnits.OrgUnit> units, String unitId) throws AppStoreException {
        for (int i = 0; i < units.size(); i++) {
            if (units.get(i).id().equals(unitId)) {
                return i;
            }
        }
        throw AppStoreException.retryable("The org units changed while the Chrome apps were being read; they are read again at the next sync.",
                Optional.empty());
    }

    private void succeeded() {
        lastFailure = null;
    }

    /** Google's refusal in its words; throttling and Google's own trouble may pass, with the wait Google asked for. */
    private AppStoreException failed(GoogleException e) {
        Instant since = lastFailure != null ? lastFailure.since() : clock.instant();
        lastFailure = new StoreHealth.Failing(e.getMessage(), since);
        return new AppStoreException(e.getMessage(), e.retriable(), e.retriable() ? e.retryAfter() : Optional.empty(), null);
    }

    private static AppStoreException interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        return AppStoreException.retryable("interrupted while waiting for Google", Optional.empty());
    }
}
