package dev.shepherd.google;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** A plugin's storage in memory, and a sealer whose sealed form shows plainly that it is not the secret. */
final class InMemoryStorage implements PluginStorage {

    private final Map<String, byte[]> values = new ConcurrentSkipListMap<>();

    @Override
    public Optional<byte[]> get(String key) {
        return Optional.ofNullable(values.get(key)).map(byte[]::clone);
    }

    @Override
    public void put(String key, byte[] value) {
        values.put(key, value.clone());
    }

    @Override
    public boolean delete(String key) {
        return values.remove(key) != null;
    }

    @Override
    public List<String> keys(String prefix) {
        return values.keySet().stream().filter(key -> key.startsWith(prefix)).toList();
    }

    /** Sealing inverts every byte behind a marker; good enough to tell sealed from clear, nothing more. */
    static final class InvertingSealer implements SecretSealer {

        private static final byte[] MARKER = "sealed:".getBytes(StandardCharsets.US_ASCII);

        @Override
        public byte[] seal(byte[] secret) {
            byte[] sealed = Arrays.copyOf(MARKER, MARKER.length + secret.length);
            for (int i = 0; i < secret.length; i++) {
                sealed[MARKER.length + i] = (byte) ~secret[i];
            }
            return sealed;
        }

        @Override
        public byte[] open(byte[] sealed) {
            if (sealed.length < MARKER.length || !Arrays.equals(Arrays.copyOf(sealed, MARKER.length), MARKER)) {
                throw new IllegalArgumentException("not sealed by this sealer");
            }
            byte[] secret = new byte[sealed.length - MARKER.length];
            for (int i = 0; i < secret.length; i++) {
                secret[i] = (byte) ~sealed[MARKER.length + i];
            }
            return secret;
        }
    }
}
