package dev.shepherd.apple;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Which kernel device an identity certificate speaks for: stored in the plugin's storage when the device proves it
 * holds the certificate (Authenticate, or its first message after an identity renewal) and read on every message, so
 * the reads are served from a bounded cache.
 *
 * <p>A device is resolved by the certificate it proves, never by the UDID it asserts: two devices may assert one UDID
 * (an impostor enrolling with a token of its own), and each speaks only for its own record. What the plugin keeps per
 * device (push token, unlock and bootstrap tokens, declarations) is kept under the device's {@link #storageKey}, which
 * is its UDID (or EnrollmentID) only when its kernel record holds that identifier, and otherwise its kernel id.
 */
final class DeviceBindings {

    private static final int MAX_CACHED = 50_000;
    /** Prefix of the storage key of a device whose record does not hold the identifier it asserts. */
    static final String BY_DEVICE_ID = "Device:";

    /**
     * What a certificate speaks for.
     *
     * @param deviceKey the UDID (or prefixed EnrollmentID) the certificate's messages must name
     * @param device the kernel device
     * @param storageKey where the plugin keeps the device's state
     */
    record Binding(String deviceKey, DeviceId device, String storageKey) {
        Binding {
            requireNonNull(deviceKey, "deviceKey is null");
            requireNonNull(device, "device is null");
            requireNonNull(storageKey, "storageKey is null");
        }

        private String encoded() {
            return device + "\n" + storageKey + "\n" + deviceKey;
        }

        private static Binding decode(String encoded) {
            String[] parts = encoded.split("\n", 3);
            return new Binding(parts[2], DeviceId.parse(parts[0]), parts[1]);
        }
    }

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

    /**
     * The key the plugin keeps a device's state under: its UDID, or its EnrollmentID (prefixed) under user enrollment,
     * when its record holds it; otherwise its kernel id, so that a device asserting another's UDID shares nothing
     * with it.
     */
    static String storageKey(Device device) {
        String udid = device.hardwareIds().get("udid");
        if (udid != null) {
            return udid;
        }
        String enrollmentId = device.hardwareIds().get("enrollmentId");
        if (enrollmentId != null) {
            return new Sender(enrollmentId, true, Optional.empty()).deviceKey();
        }
        return BY_DEVICE_ID + device.id();
    }

    /** @return what the certificate speaks for */
    Optional<Binding> of(String certificateSerial) {
        Optional<Binding> binding = read("binding/" + certificateSerial).map(Binding::decode);
        if (binding.isPresent()) {
            return binding;
        }
        // Bound by an earlier version of the plugin: certificate to UDID, UDID to device.
        return read("certificate/" + certificateSerial).flatMap(deviceKey -> read("device/" + deviceKey)
                .map(device -> new Binding(deviceKey, DeviceId.parse(device), deviceKey)));
    }

    /** Binds a certificate. */
    void bind(String certificateSerial, Binding binding) {
        write("binding/" + certificateSerial, binding.encoded());
    }

    /** The certificate speaks for nobody any more. */
    void unbind(String certificateSerial) {
        for (String key : new String[]{"binding/" + certificateSerial, "certificate/" + certificateSerial}) {
            storage.delete(key);
            synchronized (cache) {
                cache.put(key, Optional.empty());
            }
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
