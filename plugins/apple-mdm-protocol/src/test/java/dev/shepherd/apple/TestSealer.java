package dev.shepherd.apple;

import dev.shepherd.api.config.SecretSealer;

/**
 * A stand-in for the kernel's sealer in unit tests: it only has to make sealed bytes differ from the secret and give
 * the secret back, so it reverses them with a marker.
 */
final class TestSealer implements SecretSealer {

    private static final byte MARKER = 0x5A;

    @Override
    public byte[] seal(byte[] secret) {
        byte[] sealed = new byte[secret.length + 1];
        sealed[0] = MARKER;
        for (int i = 0; i < secret.length; i++) {
            sealed[i + 1] = (byte) ~secret[secret.length - 1 - i];
        }
        return sealed;
    }

    @Override
    public byte[] open(byte[] sealed) {
        if (sealed.length == 0 || sealed[0] != MARKER) {
            throw new IllegalArgumentException("not sealed by this sealer");
        }
        byte[] secret = new byte[sealed.length - 1];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) ~sealed[sealed.length - 1 - i];
        }
        return secret;
    }
}
