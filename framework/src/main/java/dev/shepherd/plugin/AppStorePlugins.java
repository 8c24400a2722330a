package dev.shepherd.plugin;

import dev.shepherd.api.appstore.AppStoreConnector;
import dev.shepherd.api.appstore.AppStoreException;
import dev.shepherd.app.AppStores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The running app-store plugins by store id, kept current as they come and go; every call into one goes through its
 * plugin generation (its threads, class loader, timeout and circuit breaker).
 */
public final class AppStorePlugins implements ExtensionRegistry.Listener, AppStores {

    private static final Logger log = LoggerFactory.getLogger(AppStorePlugins.class);

    private final Map<String, ExtensionRegistry.Registration<?>> stores = new ConcurrentHashMap<>();

    /** A store's answer or its own failure, carried back across the plugin boundary as a value. */
    private record Answer<T>(T value, AppStoreException failure) {
    }

    @Override
    public void registered(ExtensionRegistry.Registration<?> registration) {
        if (registration.point() != AppStoreConnector.class) {
            return;
        }
        AppStoreConnector store = (AppStoreConnector) registration.extension();
        try {
            String id = registration.owner().call("AppStoreConnector.id", store::id);
            ExtensionRegistry.Registration<?> earlier = stores.putIfAbsent(requireNonNull(id, "the store id is null"), registration);
            if (earlier != null && earlier != registration) {
                log.warn("Plugin {} offers store {}, which plugin {} already offers; the first keeps it",
                        registration.owner().id(), id, earlier.owner().id());
                return;
            }
            log.info("Plugin {} offers app store {}", registration.owner().id(), id);
        } catch (PluginCallException | RuntimeException e) {
            log.warn("Plugin {} did not say which app store it offers: {}", registration.owner().id(), e.getMessage());
        }
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
        stores.values().remove(registration);
    }

    @Override
    public List<String> storeIds() {
        return stores.keySet().stream().sorted().toList();
    }

    @Override
    public <T> T call(String storeId, String operation, StoreCall<T> call) throws AppStoreException {
        ExtensionRegistry.Registration<?> registration = stores.get(storeId);
        if (registration == null) {
            throw AppStoreException.retryable("No app-store plugin for store " + storeId + " is running.", Optional.empty());
        }
        AppStoreConnector store = (AppStoreConnector) registration.extension();
        Answer<T> answer;
        try {
            // The store's own failure is an answer, not a broken plugin: it is returned, so the breaker does not count it.
            answer = registration.owner().call(operation, () -> {
                try {
                    return new Answer<>(call.call(store), null);
                } catch (AppStoreException e) {
                    return new Answer<>(null, e);
                }
            });
        } catch (PluginCallException e) {
            throw new AppStoreException("Store " + storeId + " failed: " + e.getMessage(), true, e.retryAfter(), e);
        }
        if (answer.failure() != null) {
            throw answer.failure();
        }
        return answer.value();
    }
}
