package dev.shepherd.security;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import static java.util.Objects.requireNonNull;

/**
 * Encrypts the secrets the server must be able to read back (webhook signing keys, service credentials) with
 * AES-256-GCM under a key kept outside the database: {@code data/keys/secrets.key}, created on first use and
 * readable only by the server's user. A stolen database alone reveals none of them.
 */
public final class SecretBox {

    private static final String PREFIX = "v1:";
    private static final int NONCE_BYTES = 12;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    private SecretBox(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    /** Opens the key file in the data directory, creating it when missing. */
    public static SecretBox open(Path dataDir) {
        return openKeyFile(defaultKeyFile(dataDir));
    }

    /** @return where the key is kept unless configured otherwise ({@code security.secretsKeyFile}) */
    public static Path defaultKeyFile(Path dataDir) {
        return requireNonNull(dataDir, "dataDir is null").resolve("keys").resolve("secrets.key");
    }

    /**
     * Opens a key file, creating it when missing; several nodes sharing one database share one key file (the same
     * content, copied or on shared storage).
     */
    public static SecretBox openKeyFile(Path file) {
        requireNonNull(file, "file is null");
        try {
            if (!Files.exists(file)) {
                OwnerOnlyFiles.directory(file.getParent());
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                OwnerOnlyFiles.write(file, Base64.getEncoder().encodeToString(key).getBytes(StandardCharsets.US_ASCII));
            }
            byte[] key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
            if (key.length != 32) {
                throw new IllegalStateException(file + " does not hold a 256-bit key");
            }
            return new SecretBox(key);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the secrets key " + file, e);
        }
    }

    public String encrypt(String plaintext) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = Arrays.copyOf(nonce, nonce.length + sealed.length);
            System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is part of every JDK", e);
        }
    }

    /**
     * @throws IllegalArgumentException when the text was not sealed with this key or was altered
     */
    public String decrypt(String sealed) {
        if (!sealed.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a sealed secret");
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, bytes, 0, NONCE_BYTES));
            return new String(cipher.doFinal(bytes, NONCE_BYTES, bytes.length - NONCE_BYTES), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the secret cannot be decrypted with this server's key", e);
        }
    }
}
