package dev.shepherd.app;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An app a device's assignments offer its user in the self-service portal.
 *
 * @param app the catalog's app
 * @param intent AVAILABLE (the user may install it) or REQUIRED (installed for them, shown read-only)
 * @param state where the device stands with it, once the reconciler or the user's request recorded it
 */
public record OfferedApp(CatalogApp app, AppIntent intent, Optional<DeviceAppState> state) {
    public OfferedApp {
        requireNonNull(app, "app is null");
        requireNonNull(intent, "intent is null");
        requireNonNull(state, "state is null");
    }
}
