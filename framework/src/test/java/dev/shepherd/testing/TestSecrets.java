package dev.shepherd.testing;

import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.security.SecretBox;
import dev.shepherd.security.SecretBoxSealer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/** The kernel's own secret sealing, with a fresh key, for unit tests of plugin components that seal what they store. */
public final class TestSecrets {

    private TestSecrets() {
    }

    /** @return a sealer over a new key in a temporary folder, as a running server gives each plugin */
    public static SecretSealer sealer() {
        try {
            return new SecretBoxSealer(SecretBox.open(Files.createTempDirectory("shepherd-test-secrets")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
