package dev.shepherd.security;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import static java.util.Objects.requireNonNull;

/** bcrypt password hashing (BouncyCastle), with a cost chosen to take a few hundred milliseconds. */
public final class PasswordHasher {

    public static final int MIN_PASSWORD_LENGTH = 12;
    private static final int MAX_PASSWORD_BYTES = 72; // bcrypt ignores anything longer
    private final int cost;
    private final SecureRandom random = new SecureRandom();

    public PasswordHasher(int cost) {
        if (cost < 4 || cost > 31) {
            throw new IllegalArgumentException("bcrypt cost must be 4 to 31");
        }
        this.cost = cost;
    }

    /**
     * @param password the password
     * @return its bcrypt hash in the {@code $2y$} form
     */
    public String hash(char[] password) {
        checkLength(password);
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password, salt, cost);
    }

    /**
     * @param hash a stored hash
     * @param password a candidate password
     * @return whether they match; false for a malformed hash
     */
    public boolean matches(String hash, char[] password) {
        requireNonNull(hash, "hash is null");
        requireNonNull(password, "password is null");
        if (password.length == 0 || new String(password).getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            return false;
        }
        try {
            return OpenBSDBCrypt.checkPassword(hash, password);
        } catch (IllegalArgumentException malformed) {
            return false;
        }
    }

    /**
     * Rejects passwords too short to resist guessing, or too long for bcrypt to use whole.
     *
     * @param password the password
     * @throws IllegalArgumentException saying what is wrong
     */
    public static void checkLength(char[] password) {
        requireNonNull(password, "password is null");
        if (password.length < MIN_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("passwords must be at least " + MIN_PASSWORD_LENGTH + " characters long");
        }
        if (new String(password).getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw new IllegalArgumentException("passwords must be at most " + MAX_PASSWORD_BYTES + " bytes long");
        }
    }
}
