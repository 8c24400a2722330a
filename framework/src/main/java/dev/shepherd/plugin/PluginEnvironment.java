package dev.shepherd.plugin;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.shepherd.api.ShepherdApi;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginDatabase;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventPublisher;
import dev.shepherd.event.EventSink;
import dev.shepherd.storage.Database;
import dev.shepherd.storage.PluginKeyValueStore;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * What a plugin may inject: its own configuration, storage, database schema and event publisher, and the
 * kernel services deliberately exported to all plugins. Nothing else of the kernel is bound, and the plugin's
 * class loader cannot even see the kernel's other classes.
 */
public final class PluginEnvironment {

    private final Map<String, Map<String, String>> pluginSettings;
    private final Clock clock;
    private final PluginKeyValueStore keyValueStore;
    private final Database database;
    private final EventSink events;
    private final Map<Class<?>, Object> exportedServices = new LinkedHashMap<>();
    private final Map<Class<?>, Function<String, ?>> perPluginServices = new LinkedHashMap<>();

    public PluginEnvironment(Map<String, Map<String, String>> pluginSettings, PluginKeyValueStore keyValueStore,
                             Database database, EventSink events) {
        this(pluginSettings, keyValueStore, database, events, Clock.systemUTC());
    }

    /**
     * @param clock the kernel's clock, which plugins inject as {@link Clock} so that their notion of time (such as
     *        how near a certificate is to its expiry) agrees with the kernel's
     */
    public PluginEnvironment(Map<String, Map<String, String>> pluginSettings, PluginKeyValueStore keyValueStore,
                             Database database, EventSink events, Clock clock) {
        this.clock = requireNonNull(clock, "clock is null");
        this.pluginSettings = Map.copyOf(requireNonNull(pluginSettings, "pluginSettings is null"));
        this.keyValueStore = requireNonNull(keyValueStore, "keyValueStore is null");
        this.database = requireNonNull(database, "database is null");
        this.events = requireNonNull(events, "events is null");
    }

    /**
     * Exports a kernel service to every plugin loaded from now on.
     *
     * @param type the plugin-API interface plugins inject
     * @param implementation the kernel's implementation
     */
    public synchronized <T> void export(Class<T> type, T implementation) {
        if (!type.getName().startsWith(ShepherdApi.PACKAGE_PREFIX) || !type.isInterface()) {
            throw new IllegalArgumentException("only plugin-API interfaces can be exported: " + type.getName());
        }
        exportedServices.put(type, requireNonNull(implementation, "implementation is null"));
    }

    /**
     * Exports a kernel service of which each plugin gets its own instance, for example one that attributes the
     * plugin's changes to it in the audit log.
     *
     * @param type the plugin-API interface plugins inject
     * @param factory makes the instance for a plugin id
     */
    public synchronized <T> void exportPerPlugin(Class<T> type, Function<String, ? extends T> factory) {
        if (!type.getName().startsWith(ShepherdApi.PACKAGE_PREFIX) || !type.isInterface()) {
            throw new IllegalArgumentException("only plugin-API interfaces can be exported: " + type.getName());
        }
        perPluginServices.put(type, requireNonNull(factory, "factory is null"));
    }

    /** The schema holding a plugin's own tables. */
    static String schemaOf(String pluginId) {
        return "PLUGIN_" + pluginId.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    Database database() {
        return database;
    }

    synchronized Module moduleFor(String pluginId, String version) {
        Map<Class<?>, Object> services = new LinkedHashMap<>(exportedServices);
        perPluginServices.forEach((type, factory) -> services.put(type, factory.apply(pluginId)));
        PluginConfig config = new MapPluginConfig(pluginSettings.getOrDefault(pluginId, Map.of()));
        PluginStorage storage = new KeyValuePluginStorage(pluginId, keyValueStore);
        PluginDatabase pluginDatabase = new SchemaPluginDatabase(schemaOf(pluginId), database);
        EventPublisher publisher = new PluginEventPublisher(pluginId, events);
        PluginIdentity identity = new PluginIdentity(pluginId, version, "/mdm/" + pluginId);
        return new AbstractModule() {
            @Override
            @SuppressWarnings({"unchecked", "rawtypes"})
            protected void configure() {
                bind(PluginConfig.class).toInstance(config);
                bind(PluginStorage.class).toInstance(storage);
                bind(PluginDatabase.class).toInstance(pluginDatabase);
                bind(EventPublisher.class).toInstance(publisher);
                bind(PluginIdentity.class).toInstance(identity);
                bind(Clock.class).toInstance(clock);
                services.forEach((type, implementation) -> bind((Class) type).toInstance(implementation));
            }
        };
    }

    private record MapPluginConfig(Map<String, String> asMap) implements PluginConfig {
    }

    private record KeyValuePluginStorage(String pluginId, PluginKeyValueStore store) implements PluginStorage {
        @Override
        public Optional<byte[]> get(String key) {
            return store.get(pluginId, checkKey(key));
        }

        @Override
        public void put(String key, byte[] value) {
            store.put(pluginId, checkKey(key), value);
        }

        @Override
        public boolean putIfAbsent(String key, byte[] value) {
            return store.putIfAbsent(pluginId, checkKey(key), value);
        }

        @Override
        public boolean delete(String key) {
            return store.delete(pluginId, checkKey(key));
        }

        @Override
        public List<String> keys(String prefix) {
            return store.keys(pluginId, requireNonNull(prefix, "prefix is null"));
        }

        @Override
        public Set<String> present(Collection<String> keys) {
            requireNonNull(keys, "keys is null").forEach(KeyValuePluginStorage::checkKey);
            return store.present(pluginId, keys);
        }

        private static String checkKey(String key) {
            requireNonNull(key, "key is null");
            if (key.isEmpty() || key.length() > 200) {
                throw new IllegalArgumentException("storage keys are 1 to 200 characters long");
            }
            return key;
        }
    }

    private record SchemaPluginDatabase(String schema, Database database) implements PluginDatabase {
        @Override
        public Connection connection() throws SQLException {
            Connection connection = database.dataSource().getConnection();
            try {
                connection.setSchema(schema);
                return connection;
            } catch (SQLException e) {
                connection.close();
                throw e;
            }
        }
    }

    private record PluginEventPublisher(String pluginId, EventSink events) implements EventPublisher {
        @Override
        public Event publish(String type, Map<String, Object> data) {
            requireNonNull(type, "type is null");
            if (!type.startsWith(pluginId + ".") || type.length() == pluginId.length() + 1) {
                throw new IllegalArgumentException("plugin " + pluginId + " may only raise events named " + pluginId + ".*, not " + type);
            }
            Event event = Event.of(type, pluginId, data);
            events.publish(event);
            return event;
        }
    }
}
