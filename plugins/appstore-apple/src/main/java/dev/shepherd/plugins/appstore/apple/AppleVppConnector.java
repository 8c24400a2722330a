package dev.shepherd.plugins.appstore.apple;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.api.appstore.CatalogPage;
import dev.shepherd.api.appstore.LicenceCount;
import dev.shepherd.api.appstore.LicenceKind;
import dev.shepherd.api.appstore.LicenceOutcome;
import dev.shepherd.api.appstore.LicenceRequest;
import dev.shepherd.api.appstore.LicenceUser;
import dev.shepherd.api.appstore.StoreApp;
import dev.shepherd.api.appstore.StoreHealth;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The store {@value #ID}: the apps the location's content token owns in Apple's Apps and Books for Organizations,
 * with their licence counts and App Store metadata, and licences assigned to devices by serial number or to users by
 * Apple's {@code clientUserId}. Devices install them from the App Store with the volume-purchased licence
 * ({@code InstallApplication} with {@code Options.PurchaseMethod} 1, carried as the option {@value #PURCHASE_METHOD}),
 * whichever holds the licence.
 *
 * <p>A user licence goes to Apple's record of the directory user, keyed by {@code clientUserId} = the directory's
 * stable user id (Apple advises a GUID, never an email address). The record is created on first need
 * ({@code users/create}, with the email and, when {@link VppSettings#managedAppleAccounts()} says the emails are
 * Managed Apple Accounts, the {@code managedAppleId}, which Apple links at once). A user Apple has not linked to an
 * Apple Account yet (status Registered: the invitation is not accepted) is refused with the invitation code, since
 * their devices could not use the licence.
 */
@Extension
public final class AppleVppConnector implements AppStoreConnector {

    /** The store's id. */
    public static final String ID = "apple-vpp";
    /** The installation option naming how the device gets the app: {@code InstallApplication}'s {@code Options.PurchaseMethod}. */
    public static final String PURCHASE_METHOD = "purchaseMethod";
    /** {@code PurchaseMethod} 1: install with a volume-purchased (Apps and Books) licence. */
    public static final int VOLUME_PURCHASE = 1;

    private static final Logger log = LoggerFactory.getLogger(AppleVppConnector.class);
    private static final Pattern ADAM_ID = Pattern.compile("[0-9]{1,20}");

    private final ContentTokens tokens;
    private final Clock clock;
    /** The last failure talking to Apple, cleared by the next success: what {@link #health()} reports without a call. */
    private volatile StoreHealth.Failing lastFailure;

    @Inject
    public AppleVppConnector(ContentTokens tokens, Clock clock) {
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String displayName() {
        return "Apple Apps and Books";
    }

    @Override
    public Set<Platform> platforms() {
        return Set.of(Platform.IOS, Platform.MACOS);
    }

    @Override
    public StoreHealth health() {
        Optional<ContentTokens.Status> status = tokens.status();
        if (status.isEmpty()) {
            return StoreHealth.notConfigured("No content token has been uploaded: upload the location's .vpptoken file from Apple Business or School Manager.");
        }
        if (!status.get().expiresAt().isAfter(clock.instant())) {
            return StoreHealth.failing(status.get().warning().orElse("The content token has expired."), status.get().expiresAt());
        }
        StoreHealth.Failing failing = lastFailure;
        return failing != null ? failing : StoreHealth.ready();
    }

    /** The cursor is Apple's zero-based {@code pageIndex} of {@code GET assets}. */
    @Override
    public CatalogPage catalog(Optional<String> cursor) throws AppStoreException {
        int pageIndex = cursor.map(AppleVppConnector::pageIndex).orElse(0);
        ContentToken token = token();
        try {
            VppClient.AssetPage page = tokens.client().assetPage(token, pageIndex);
            List<StoreApp> apps = storeApps(token, page.assets());
            succeeded();
            return new CatalogPage(apps, page.nextPageIndex().isPresent()
                    ? Optional.of(Integer.toString(page.nextPageIndex().getAsInt())) : Optional.empty());
        } catch (VppException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    @Override
    public List<StoreApp> search(String query, int limit) throws AppStoreException {
        String needle = requireNonNull(query, "query is null").toLowerCase(Locale.ROOT);
        ContentToken token = token();
        try {
            List<StoreApp> found = storeApps(token, tokens.client().assets(token)).stream()
                    .filter(app -> app.name().toLowerCase(Locale.ROOT).contains(needle)
                            || app.identifier().toLowerCase(Locale.ROOT).contains(needle) || app.storeAppId().equals(query))
                    .limit(Math.max(0, limit)).toList();
            succeeded();
            return found;
        } catch (VppException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    @Override
    public Optional<StoreApp> lookup(String storeAppId) throws AppStoreException {
        if (!ADAM_ID.matcher(requireNonNull(storeAppId, "storeAppId is null")).matches()) {
            return Optional.empty();
        }
        ContentToken token = token();
        try {
            Optional<VppClient.Asset> asset = tokens.client().asset(token, storeAppId);
            List<StoreApp> apps = asset.isEmpty() ? List.of() : storeApps(token, List.of(asset.get()));
            succeeded();
            return apps.stream().filter(app -> app.platform().equals(Platform.IOS)).findFirst().or(() -> apps.stream().findFirst());
        } catch (VppException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** Device licences by serial number, user licences by Apple's {@code clientUserId}. */
    @Override
    public Set<LicenceKind> licenceKinds() {
        return Set.of(LicenceKind.DEVICE, LicenceKind.USER);
    }

    /**
     * Associates a licence with the device's serial number (or, for a user licence, with the user's
     * {@code clientUserId}) and waits for Apple's asynchronous event: assigned when it completes,
     * {@link LicenceOutcome.Exhausted} when Apple has too few licences left (9709), refused for every other reason
     * Apple gives. Associating a holder that already holds the licence assigns nothing new.
     */
    @Override
    public LicenceOutcome assignLicence(LicenceRequest request) throws AppStoreException {
        requireNonNull(request, "request is null");
        if (request.kind() == LicenceKind.USER) {
            return assignUserLicence(request, request.licenceUser().orElseThrow());
        }
        if (request.serialNumber().isEmpty()) {
            return LicenceOutcome.refused("The device has not reported its serial number yet; Apple assigns device licences by serial number.");
        }
        if (!ADAM_ID.matcher(request.storeAppId()).matches()) {
            return LicenceOutcome.refused("Apple identifies apps by their numeric adam id, not " + request.storeAppId() + ".");
        }
        ContentToken token = token();
        String serial = request.serialNumber().get();
        try {
            Optional<VppClient.Asset> asset = tokens.client().asset(token, request.storeAppId());
            if (asset.isEmpty()) {
                succeeded();
                return LicenceOutcome.refused("The organisation holds no licences of app " + request.storeAppId() + " in Apple Business or School Manager.");
            }
            if (!asset.get().deviceAssignable()) {
                succeeded();
                return LicenceOutcome.refused("Apple does not let app " + request.storeAppId() + " be assigned to devices.");
            }
            return outcome(request, licenceEvent(true, token, asset.get(), LicenceKind.DEVICE, serial));
        } catch (VppException e) {
            if (!e.retriable() && !e.tokenRejected()) {
                succeeded();
                return LicenceOutcome.refused("Apple refused the licence of app " + request.storeAppId() + ": " + e.getMessage());
            }
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /**
     * A user licence: finds (or creates) Apple's record of the user, and associates the asset with their
     * {@code clientUserId} once Apple has linked them to an Apple Account.
     */
    private LicenceOutcome assignUserLicence(LicenceRequest request, LicenceUser user) throws AppStoreException {
        if (!ADAM_ID.matcher(request.storeAppId()).matches()) {
            return LicenceOutcome.refused("Apple identifies apps by their numeric adam id, not " + request.storeAppId() + ".");
        }
        ContentToken token = token();
        try {
            Optional<VppClient.Asset> asset = tokens.client().asset(token, request.storeAppId());
            if (asset.isEmpty()) {
                succeeded();
                return LicenceOutcome.refused("The organisation holds no licences of app " + request.storeAppId() + " in Apple Business or School Manager.");
            }
            AppleUser appleUser = appleUser(token, user);
            succeeded();
            if (appleUser.refusal().isPresent()) {
                return LicenceOutcome.refused(appleUser.refusal().get());
            }
            VppClient.VppUser registered = appleUser.user().orElseThrow();
            if (!registered.associated()) {
                return LicenceOutcome.refused(user.displayName() + " has no Apple Account linked to the organisation's Apps and Books yet, so"
                        + " Apple cannot give them a licence their devices could use."
                        + registered.inviteCode().map(code -> " They must accept Apple's invitation (code " + code + ") with their Apple Account;").orElse("")
                        + " when the organisation's users have Managed Apple Accounts as their email, set the plugin's managedAppleAccounts;"
                        + " or choose device licences for the assignment.");
            }
            return outcome(request, licenceEvent(true, token, asset.get(), LicenceKind.USER, user.id()));
        } catch (VppException e) {
            if (!e.retriable() && !e.tokenRejected()) {
                succeeded();
                return LicenceOutcome.refused("Apple refused the licence of app " + request.storeAppId() + " for " + user.displayName() + ": " + e.getMessage());
            }
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** Apple's record of a directory user, or why there is none. */
    private record AppleUser(Optional<VppClient.VppUser> user, Optional<String> refusal) {
    }

    /**
     * Apple's active record of the user ({@code clientUserId} = the directory's id), created when there is none; a
     * Registered one is updated with the Managed Apple Account when the settings say the email is one, which links it.
     */
    private AppleUser appleUser(ContentToken token, LicenceUser user) throws VppException, InterruptedException, AppStoreException {
        VppClient client = tokens.client();
        Optional<VppClient.VppUser> found = client.user(token, user.id());
        Optional<String> managedAppleId = tokens.settings().managedAppleAccounts() ? user.email() : Optional.empty();
        if (found.isPresent() && (found.get().associated() || managedAppleId.isEmpty())) {
            return new AppleUser(found, Optional.empty());
        }
        VppClient.NewUser wanted = new VppClient.NewUser(user.id(), user.email(), managedAppleId);
        String eventId = found.isPresent() ? client.updateUsers(token, List.of(wanted)) : client.createUsers(token, List.of(wanted));
        VppClient.Event event = client.awaitEvent(token, eventId, tokens.settings().eventWait());
        if (event.pending()) {
            throw AppStoreException.retryable("Apple is still registering " + user.displayName() + " for Apps and Books (event " + eventId + ")",
                    Optional.empty());
        }
        if (!event.complete()) {
            return new AppleUser(Optional.empty(), Optional.of("Apple did not register " + user.displayName() + " for Apps and Books: "
                    + describe(event)));
        }
        log.info("Apple registered user {} for Apps and Books (event {})", user.id(), eventId);
        Optional<VppClient.VppUser> registered = client.user(token, user.id());
        return registered.isPresent() ? new AppleUser(registered, Optional.empty())
                : new AppleUser(Optional.empty(), Optional.of("Apple registered " + user.displayName() + " but does not list them."));
    }

    /** What an association event means for the device or user asking. */
    private static LicenceOutcome outcome(LicenceRequest request, VppClient.Event event) {
        if (event.complete()) {
            return LicenceOutcome.assigned(Optional.of(event.eventId()));
        }
        String reason = describe(event);
        if (event.failures().stream().anyMatch(failure -> failure.errorNumber() == VppException.NOT_ENOUGH_LICENCES)) {
            return LicenceOutcome.exhausted("No licences of app " + request.storeAppId() + " are left: " + reason);
        }
        return LicenceOutcome.refused("Apple did not assign the licence of app " + request.storeAppId() + ": " + reason);
    }

    /**
     * Disassociates the device's licence (or the user's, by {@code clientUserId}) and waits for Apple's event, so the
     * licence counts as free again.
     */
    @Override
    public void revokeLicence(LicenceRequest request) throws AppStoreException {
        requireNonNull(request, "request is null");
        if (request.kind() == LicenceKind.USER) {
            revokeUserLicence(request, request.licenceUser().orElseThrow());
            return;
        }
        if (request.serialNumber().isEmpty() || !ADAM_ID.matcher(request.storeAppId()).matches()) {
            throw new AppStoreException("Apple revokes device licences by serial number and numeric adam id; this request has "
                    + (request.serialNumber().isEmpty() ? "no serial number" : "the app id " + request.storeAppId()));
        }
        ContentToken token = token();
        String serial = request.serialNumber().get();
        try {
            Optional<VppClient.Asset> asset = tokens.client().asset(token, request.storeAppId());
            if (asset.isEmpty()) {
                succeeded();
                return; // the organisation no longer owns the app, so the device holds no licence of it
            }
            VppClient.Event event = licenceEvent(false, token, asset.get(), LicenceKind.DEVICE, serial);
            if (!event.complete()) {
                throw new AppStoreException("Apple did not revoke the licence of app " + request.storeAppId() + " from " + serial + ": " + describe(event));
            }
        } catch (VppException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /** Disassociates the user's licence; a user Apple no longer has (9609) holds none, which is what was wanted. */
    private void revokeUserLicence(LicenceRequest request, LicenceUser user) throws AppStoreException {
        if (!ADAM_ID.matcher(request.storeAppId()).matches()) {
            throw new AppStoreException("Apple revokes licences by numeric adam id, not " + request.storeAppId());
        }
        ContentToken token = token();
        try {
            Optional<VppClient.Asset> asset = tokens.client().asset(token, request.storeAppId());
            if (asset.isEmpty()) {
                succeeded();
                return;
            }
            VppClient.Event event = licenceEvent(false, token, asset.get(), LicenceKind.USER, user.id());
            boolean unknownUser = !event.failures().isEmpty()
                    && event.failures().stream().allMatch(failure -> failure.errorNumber() == VppException.REGISTERED_USER_NOT_FOUND);
            if (!event.complete() && !unknownUser) {
                throw new AppStoreException("Apple did not revoke the licence of app " + request.storeAppId() + " from " + user.displayName()
                        + ": " + describe(event));
            }
        } catch (VppException e) {
            throw failed(e);
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
    }

    /**
     * Associates ({@code associate}) or disassociates one device's licence (by serial number) or one user's (by
     * {@code clientUserId}) and waits up to {@code eventWait} for Apple's asynchronous event to end; one still pending
     * is a retryable failure, since devices install only once Apple is done.
     */
    private VppClient.Event licenceEvent(boolean associate, ContentToken token, VppClient.Asset asset, LicenceKind kind, String holder)
            throws VppException, InterruptedException, AppStoreException {
        VppClient client = tokens.client();
        List<String> holders = List.of(holder);
        String eventId;
        if (kind == LicenceKind.USER) {
            eventId = associate ? client.associateUsers(token, asset.adamId(), asset.pricingParam(), holders)
                    : client.disassociateUsers(token, asset.adamId(), asset.pricingParam(), holders);
        } else {
            eventId = associate ? client.associate(token, asset.adamId(), asset.pricingParam(), holders)
                    : client.disassociate(token, asset.adamId(), asset.pricingParam(), holders);
        }
        VppClient.Event event = client.awaitEvent(token, eventId, tokens.settings().eventWait());
        succeeded();
        String what = (associate ? "assigning the licence of app " + asset.adamId() + " to " : "revoking the licence of app " + asset.adamId() + " from ")
                + (kind == LicenceKind.USER ? "user " : "") + holder;
        if (event.pending()) {
            throw AppStoreException.retryable("Apple is still " + what + " (event " + eventId + ")", Optional.empty());
        }
        log.info("Apple ended {} with {} (event {})", what, event.eventStatus(), eventId);
        return event;
    }

    /** From the App Store, with the volume-purchased licence ({@code PurchaseMethod} 1). */
    @Override
    public AppInstallation installation(StoreApp app, Device device) {
        requireNonNull(app, "app is null");
        requireNonNull(device, "device is null");
        return new AppInstallation(app.identifier(), app.version(), new AppInstallation.FromStore(app.storeAppId()),
                Map.of(PURCHASE_METHOD, VOLUME_PURCHASE));
    }

    /**
     * The catalog entries of some assets: apps only (books are not installed by MDM), one per platform the asset
     * supports, named from the App Store lookup. An app the store cannot describe is left out with a warning, since
     * without its bundle id the device's inventory could never show it installed.
     */
    private List<StoreApp> storeApps(ContentToken token, List<VppClient.Asset> assets) throws VppException, AppStoreException {
        List<VppClient.Asset> apps = assets.stream().filter(asset -> !asset.productType().equalsIgnoreCase("Book")).toList();
        Map<String, VppClient.AppMetadata> metadata;
        try {
            metadata = tokens.client().metadata(token, apps.stream().map(VppClient.Asset::adamId).toList(), tokens.settings().storefront());
        } catch (InterruptedException e) {
            throw interrupted(e);
        }
        List<StoreApp> storeApps = new ArrayList<>();
        for (VppClient.Asset asset : apps) {
            VppClient.AppMetadata app = metadata.get(asset.adamId());
            if (app == null || app.bundleId().isBlank()) {
                log.warn("The App Store has no details of app {} (owned with {} licences); it is left out of the catalog", asset.adamId(), asset.totalCount());
                continue;
            }
            for (Platform platform : platforms(asset, app)) {
                storeApps.add(new StoreApp(ID, asset.adamId(), platform, app.bundleId(), app.name(), app.publisher(), app.version(),
                        app.icon(), app.size(), Optional.empty(), true,
                        Optional.of(new LicenceCount(asset.totalCount(), asset.assignedCount()))));
            }
        }
        return storeApps;
    }

    /** Apple's {@code supportedPlatforms} names iOS and macOS; without them the store's {@code kind} decides. */
    private static List<Platform> platforms(VppClient.Asset asset, VppClient.AppMetadata app) {
        List<Platform> platforms = new ArrayList<>();
        for (String name : asset.supportedPlatforms()) {
            if (name.equalsIgnoreCase("iOS") && !platforms.contains(Platform.IOS)) {
                platforms.add(Platform.IOS);
            } else if (name.equalsIgnoreCase("macOS") && !platforms.contains(Platform.MACOS)) {
                platforms.add(Platform.MACOS);
            }
        }
        if (platforms.isEmpty()) {
            platforms.add(app.kind().toLowerCase(Locale.ROOT).startsWith("mac") ? Platform.MACOS : Platform.IOS);
        }
        return platforms;
    }

    private ContentToken token() throws AppStoreException {
        return tokens.token().orElseThrow(() -> new AppStoreException(
                "No content token has been uploaded: upload the location's .vpptoken file from Apple Business or School Manager."));
    }

    private static int pageIndex(String cursor) {
        if (!cursor.matches("[0-9]{1,9}")) {
            throw new IllegalArgumentException("not a cursor of this store: " + cursor);
        }
        return Integer.parseInt(cursor);
    }

    private static String describe(VppClient.Event event) {
        if (event.failures().isEmpty()) {
            return "the event ended " + event.eventStatus();
        }
        return String.join("; ", event.failures().stream()
                .map(failure -> failure.errorMessage() + " (error " + failure.errorNumber() + ")").toList());
    }

    private void succeeded() {
        lastFailure = null;
    }

    private AppStoreException failed(VppException e) {
        Instant since = lastFailure != null ? lastFailure.since() : clock.instant();
        lastFailure = new StoreHealth.Failing(e.getMessage(), since);
        if (e.tokenRejected()) {
            return new AppStoreException("Apple no longer accepts the content token; upload a new one: " + e.getMessage());
        }
        return e.retriable() ? AppStoreException.retryable(e.getMessage(), e.retryAfter()) : new AppStoreException(e.getMessage());
    }

    private static AppStoreException interrupted(InterruptedException e) {
        Thread.currentThread().interrupt();
        return AppStoreException.retryable("interrupted while waiting for Apple", Optional.empty());
    }
}
