package dev.shepherd.plugins.threat.webhook;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import static java.util.Objects.requireNonNull;

/**
 * A source's symmetric signing secret in the Standard Webhooks serialization: {@code whsec_} followed by the base64
 * of 24 to 64 random bytes (the specification asks for at least 24; this plugin generates 32). The key bytes never
 * appear in {@link #toString()}.
 */
final class WebhookSecret {

    static final String PREFIX = "whsec_";
    static final int MIN_BYTES = 24;
    static final int MAX_BYTES = 64;
    private static final int GENERATED_BYTES = 32;

    private final byte[] key;

    private WebhookSecret(byte[] key) {
        if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
            throw new IllegalArgumentException("a signing secret has " + MIN_BYTES + " to " + MAX_BYTES + " bytes");
        }
        this.key = key.clone();
    }

    /** @return a new random secret */
    static WebhookSecret generate(SecureRandom random) {
        byte[] key = new byte[GENERATED_BYTES];
        random.nextBytes(key);
        return new WebhookSecret(key);
    }

    /**
     * @param text {@code whsec_<base64>}, or the base64 alone, as Standard Webhooks libraries accept both
     * @return the secret
     * @throws IllegalArgumentException when it is not base64 of 24 to 64 bytes; the message never repeats the text
     */
    static WebhookSecret parse(String text) {
        String base64 = requireNonNull(text, "text is null").strip();
        if (base64.startsWith(PREFIX)) {
            base64 = base64.substring(PREFIX.length());
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a signing secret is 'whsec_' followed by standard base64");
        }
        if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
            throw new IllegalArgumentException("a signing secret decodes to " + MIN_BYTES + " to " + MAX_BYTES + " bytes, not " + key.length);
        }
        return new WebhookSecret(key);
    }

    /** @return the key for wrapping in storage */
    static WebhookSecret ofKey(byte[] key) {
        return new WebhookSecret(key);
    }

    byte[] key() {
        return key.clone();
    }

    /** @return the serialized form an admin copies into the sender: {@code whsec_<base64>} */
    String serialized() {
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WebhookSecret that && Arrays.equals(key, that.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
        return "WebhookSecret[hidden]";
    }
}
