package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.DeviceId;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Which device an identity certificate speaks for, and which kernel device a UDID (or EnrollmentID) is: stored in the
 * plugin's storage at Authenticate and read on every message, so the reads are served from a bounded cache. Only
 * Authenticate and CheckOut change them, both through this class.
 */
final class DeviceBindings {

    private static final int MAX_CACHED = 50_000;

    private final PluginStorage storage;
    private final Map<String, Optional<String>> cache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Optional<String>> eldest) {
            return size() > MAX_CACHED;
        }
    };

    DeviceBindings(PluginStorage storage) {
        this.storage = requireNonNull(storage, "storage is null");
    }

    /** @return the device key the certificate is bound to */
    Optional<String> deviceKeyOf(String certificateSerial) {
        return read("certificate/" + certificateSerial);
    }

    /** @return the kernel device a device key names */
    Optional<DeviceId> deviceOf(String deviceKey) {
        return read("device/" + deviceKey).map(DeviceId::parse);
    }

    /** Binds a certificate to a device key, and the key to its kernel device. */
    void bind(String certificateSerial, String deviceKey, DeviceId device) {
        write("certificate/" + certificateSerial, deviceKey);
        write("device/" + deviceKey, device.toString());
    }

    /** The certificate speaks for nobody any more. */
    void unbind(String certificateSerial) {
        String key = "certificate/" + certificateSerial;
        storage.delete(key);
        synchronized (cache) {
            cache.put(key, Optional.empty());
        }
    }

    private Optional<String> read(String key) {
        synchronized (cache) {
            Optional<String> cached = cache.get(key);
            if (cached != null) {
                return cached;
            }
        }
        Optional<String> stored = storage.get(key).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        synchronized (cache) {
            cache.put(key, stored);
        }
        return stored;
    }

    private void write(String key, String value) {
        storage.put(key, value.getBytes(StandardCharsets.UTF_8));
        synchronized (cache) {
            cache.put(key, Optional.of(value));
        }
    }
}
