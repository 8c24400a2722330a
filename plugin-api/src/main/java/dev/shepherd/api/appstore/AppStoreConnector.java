package dev.shepherd.api.appstore;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import org.pf4j.ExtensionPoint;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An app store (a public store, volume purchasing, an organisation's own packages) the kernel's app catalog draws
 * from.
 *
 * <p>The kernel calls a connector on the plugin's executor with a time limit, so a slow or failing store never blocks
 * the others; a connector reports a store that cannot answer by throwing {@link AppStoreException}, never by
 * answering with an empty catalog. The kernel keeps the catalog, the assignments and the per-device state; a
 * connector only answers for its store: what the organisation holds there, how many licences it has, and how a
 * device installs one of its apps.
 *
 * @since 0.8.0
 */
public interface AppStoreConnector extends ExtensionPoint {

    /**
     * The store's stable id, such as {@code apple-vpp}, {@code google-play} or {@code private}: lower case, digits
     * and dashes. The catalog keeps it with every app, so it must never change.
     *
     * @return the id
     * @since 0.8.0
     */
    String id();

    /**
     * The store's name as admins see it.
     *
     * @return the name
     * @since 0.8.0
     */
    String displayName();

    /**
     * The platforms whose apps this store holds.
     *
     * @return the platforms, never empty
     * @since 0.8.0
     */
    Set<Platform> platforms();

    /**
     * Whether the store can be used now, answered without a remote call (from configuration and the outcome of the
     * last call), so the kernel may ask often.
     *
     * @return the store's health
     * @since 0.8.0
     */
    StoreHealth health();

    /**
     * One page of the apps the organisation holds in this store, with their licence counts. The kernel starts with
     * an empty cursor and asks again with each page's {@link CatalogPage#nextCursor()} until it is empty; an app
     * missing from a complete pass is marked removed from the store.
     *
     * @param cursor empty for the first page, otherwise the previous page's next cursor
     * @return the page
     * @throws AppStoreException when the store cannot answer; the kernel keeps the catalog as it was
     * @since 0.8.0
     */
    CatalogPage catalog(Optional<String> cursor) throws AppStoreException;

    /**
     * Searches the store for apps an admin may add to the catalog. A store without search (one whose catalog is
     * everything it offers) keeps the default, which finds nothing.
     *
     * @param query free text, not blank
     * @param limit the most results to return, at least 1
     * @return matching apps, best first, at most {@code limit}
     * @throws AppStoreException when the store cannot answer
     * @since 0.8.0
     */
    default List<StoreApp> search(String query, int limit) throws AppStoreException {
        return List.of();
    }

    /**
     * Looks one app up by the store's id of it.
     *
     * @param storeAppId the store's id of the app ({@link StoreApp#storeAppId()})
     * @return the app, or empty when the store does not know it
     * @throws AppStoreException when the store cannot answer
     * @since 0.8.0
     */
    Optional<StoreApp> lookup(String storeAppId) throws AppStoreException;

    /**
     * The kinds of licence this store can assign: an admin choosing another kind for an assignment of one of its apps
     * is refused. Stores that license devices only keep the default.
     *
     * @return the kinds, never empty
     * @since 0.10.0
     */
    default Set<LicenceKind> licenceKinds() {
        return Set.of(LicenceKind.DEVICE);
    }

    /**
     * Gives a device (or its user, when {@link LicenceRequest#kind()} is {@link LicenceKind#USER}) a licence to an app before the kernel asks the device to install it. Stores whose
     * apps need no licence keep the default. Assigning a licence the device (or user) already holds must succeed again.
     * The kernel asks for a user licence once per user and app, and only of a store whose {@link #licenceKinds()}
     * include {@link LicenceKind#USER}.
     *
     * @param request the app and the device
     * @return the outcome; {@link LicenceOutcome.Exhausted} and {@link LicenceOutcome.Refused} become the device's
     *         failure reason for the app
     * @throws AppStoreException when the store cannot answer now; the kernel tries again later
     * @since 0.8.0
     */
    default LicenceOutcome assignLicence(LicenceRequest request) throws AppStoreException {
        return LicenceOutcome.notRequired();
    }

    /**
     * Takes a device's licence to an app back, after the app was removed or the device retired or wiped; a user's
     * licence ({@link LicenceRequest#kind()} {@link LicenceKind#USER}) once no device of the user needs the app any
     * more. Revoking a licence the device or user does not hold must succeed.
     *
     * @param request the app and the device
     * @throws AppStoreException when the store cannot answer now; the kernel tries again later
     * @since 0.8.0
     */
    default void revokeLicence(LicenceRequest request) throws AppStoreException {
    }

    /**
     * How a device installs an app: from the store, from a manifest or from a package, with store-specific options.
     * Asked per device and per install, because a store may hand out per-device, expiring download links.
     *
     * @param app the app, as this store last described it
     * @param device the device that installs it
     * @return the installation; the kernel turns it into an {@code INSTALL_APP} or {@code UPDATE_APP} command with
     *         {@link AppInstallation#toParameters()}
     * @throws AppStoreException when the store cannot describe the installation now
     * @since 0.8.0
     */
    AppInstallation installation(StoreApp app, Device device) throws AppStoreException;
}
