package dev.shepherd.plugins.appstore.privatepackages;

import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.DeviceId;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Per-device, expiring download links: {@code <base>/<purpose>/<sha256>?device=<id>&expires=<epoch seconds>&signature=…},
 * the signature an HMAC-SHA256 over the purpose, the device, the package's digest and the expiry. The key is made
 * on first use and kept sealed with the server's secrets key in the plugin's storage (so every node signs and checks
 * with the same one); it never leaves the plugin.
 */
public final class DownloadLinks {

    /** A link to a package's bytes. */
    public static final String PACKAGES = "packages";
    /** A link to an iOS app's manifest. */
    public static final String MANIFESTS = "manifests";
    static final String KEY = "link-key/sealed";
    private static final String ALGORITHM = "HmacSHA256";

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Clock clock;
    private final Duration lifetime;
    private final Object keyLock = new Object();
    private byte[] key;

    /** Why a link does not open. */
    public enum Refusal {
        /** It lacks a part, or a part is malformed. */
        MALFORMED,
        /** Its signature does not match its parts: altered, or made for another device or package. */
        FORGED,
        /** Its time is up. */
        EXPIRED
    }

    /**
     * @param storage where the sealed key is kept
     * @param sealer seals and opens the key
     * @param clock the time links expire by
     * @param lifetime how long a new link works
     */
    public DownloadLinks(PluginStorage storage, SecretSealer sealer, Clock clock, Duration lifetime) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.lifetime = requireNonNull(lifetime, "lifetime is null");
    }

    /**
     * A new link for a device.
     *
     * @param base where the plugin's device endpoint is reached, such as {@code https://mdm.example.com/mdm/appstore-private}
     * @param purpose {@link #PACKAGES} or {@link #MANIFESTS}
     * @param device the device it is for
     * @param sha256 the package's digest
     * @return the link, working for the configured lifetime
     */
    public URI link(String base, String purpose, DeviceId device, String sha256) {
        return link(base, purpose, device, sha256, clock.instant().plus(lifetime));
    }

    /**
     * A link for a device that works until a given time, such as the package link inside a manifest, which expires
     * with the manifest's.
     *
     * @param base where the plugin's device endpoint is reached
     * @param purpose {@link #PACKAGES} or {@link #MANIFESTS}
     * @param device the device it is for
     * @param sha256 the package's digest
     * @param expires when it stops working (kept to the second)
     * @return the link
     */
    public URI link(String base, String purpose, DeviceId device, String sha256, Instant expires) {
        requireNonNull(base, "base is null");
        long expiresAt = requireNonNull(expires, "expires is null").getEpochSecond();
        String signature = sign(purpose, device.value().toString(), sha256, expiresAt);
        return URI.create(base + "/" + purpose + "/" + sha256 + "?device=" + device.value() + "&expires=" + expiresAt
                + "&signature=" + signature);
    }

    /**
     * Checks a link's parts.
     *
     * @param purpose what the link was asked for
     * @param sha256 the digest in its path
     * @param device its {@code device} parameter
     * @param expires its {@code expires} parameter
     * @param signature its {@code signature} parameter
     * @return the device it was made for, or why it does not open
     */
    public Verdict verify(String purpose, String sha256, Optional<String> device, Optional<String> expires, Optional<String> signature) {
        if (device.isEmpty() || expires.isEmpty() || signature.isEmpty()) {
            return new Verdict(Optional.empty(), Optional.of(Refusal.MALFORMED));
        }
        DeviceId deviceId;
        long expiresAt;
        try {
            deviceId = DeviceId.parse(device.get());
            expiresAt = Long.parseLong(expires.get());
        } catch (IllegalArgumentException malformed) {
            return new Verdict(Optional.empty(), Optional.of(Refusal.MALFORMED));
        }
        byte[] expected = sign(purpose, deviceId.value().toString(), sha256, expiresAt).getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, signature.get().getBytes(StandardCharsets.US_ASCII))) {
            return new Verdict(Optional.empty(), Optional.of(Refusal.FORGED));
        }
        if (clock.instant().getEpochSecond() >= expiresAt) {
            return new Verdict(Optional.empty(), Optional.of(Refusal.EXPIRED));
        }
        return new Verdict(Optional.of(deviceId), Optional.empty());
    }

    /**
     * The outcome of {@link #verify}.
     *
     * @param device the device the link was made for, when it opens
     * @param refusal why it does not open, when it does not
     */
    public record Verdict(Optional<DeviceId> device, Optional<Refusal> refusal) {
        /** Validates every part. */
        public Verdict {
            requireNonNull(device, "device is null");
            requireNonNull(refusal, "refusal is null");
            if (device.isPresent() == refusal.isPresent()) {
                throw new IllegalArgumentException("a verdict has either a device or a refusal");
            }
        }
    }

    private String sign(String purpose, String device, String sha256, long expiresAt) {
        String message = purpose + "\n" + device + "\n" + sha256 + "\n" + expiresAt;
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key(), ALGORITHM));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }

    private byte[] key() {
        synchronized (keyLock) {
            if (key == null) {
                Optional<byte[]> sealed = storage.get(KEY);
                if (sealed.isEmpty()) {
                    byte[] fresh = new byte[32];
                    new SecureRandom().nextBytes(fresh);
                    storage.put(KEY, sealer.seal(fresh));
                    // read back: when two nodes made a key at once, both use the one that was written last
                    sealed = storage.get(KEY);
                }
                key = sealer.open(sealed.orElseThrow());
            }
            return key.clone();
        }
    }
}
