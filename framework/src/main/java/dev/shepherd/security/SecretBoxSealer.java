package dev.shepherd.security;

import dev.shepherd.api.config.SecretSealer;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static java.util.Objects.requireNonNull;

/** Plugin secrets sealed with the server's {@link SecretBox}. */
public final class SecretBoxSealer implements SecretSealer {

    private final SecretBox box;

    public SecretBoxSealer(SecretBox box) {
        this.box = requireNonNull(box, "box is null");
    }

    @Override
    public byte[] seal(byte[] secret) {
        return box.encrypt(Base64.getEncoder().encodeToString(requireNonNull(secret, "secret is null"))).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public byte[] open(byte[] sealed) {
        try {
            return Base64.getDecoder().decode(box.decrypt(new String(requireNonNull(sealed, "sealed is null"), StandardCharsets.US_ASCII)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the sealed secret was altered or sealed with another key", e);
        }
    }
}
