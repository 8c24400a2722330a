package dev.shepherd.security;

import dev.shepherd.storage.Transactions;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The optional second factor of local admin accounts: a TOTP key (RFC 6238, as authenticator apps use it) that an admin
 * enrolls for themselves, and one-time recovery codes for when the phone is lost. The key is sealed with the server's
 * {@link SecretBox}; it becomes active only once the admin proves their app has it by giving a current code. A code is
 * accepted once: the last accepted time step is stored, and a code of that step or an earlier one is refused, on every
 * node alike. Recovery codes are kept as SHA-256 (80 random bits each) and each works once.
 *
 * <p>Between a right password and the code, a sign-in is pending: a random token, of which only the hash is stored,
 * bound to the address the password came from, good for {@link #PENDING_FOR} and for one attempt. It is no session and
 * opens nothing else.
 */
public final class AdminTotp {

    /** How long a sign-in waits for its code after the right password. */
    public static final Duration PENDING_FOR = Duration.ofMinutes(5);
    /** How many recovery codes an admin gets when the second factor becomes active. */
    public static final int RECOVERY_CODES = 10;
    private static final int KEY_BYTES = 20;
    private static final int RECOVERY_CODE_BYTES = 10;
    private static final String ISSUER = "Shepherd";

    /**
     * A key being enrolled, shown once: for the authenticator app to scan ({@link #otpauthUri}) or type ({@link #secret}).
     *
     * @param secret the key in base32
     * @param otpauthUri the key as an {@code otpauth://totp/…} URI
     */
    public record Enrollment(String secret, String otpauthUri) {
        @Override
        public String toString() {
            return "Enrollment[hidden]";
        }
    }

    /**
     * Where an account stands.
     *
     * @param active whether sign-in asks for a code
     * @param enrolling whether a key was started and awaits its confirming code
     * @param recoveryCodesLeft recovery codes not used yet
     */
    public record Status(boolean active, boolean enrolling, int recoveryCodesLeft) {
    }

    private final Transactions transactions;
    private final SecretBox box;
    private final Clock clock;
    private final Totp totp = Totp.AUTHENTICATOR_APPS;
    private final SecureRandom random = new SecureRandom();

    public AdminTotp(Transactions transactions, SecretBox box, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.box = requireNonNull(box, "box is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return whether the account's sign-in asks for a code */
    public boolean active(String username) {
        requireNonNull(username, "username is null");
        return transactions.inTransaction("read a second factor", tx -> {
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT active FROM admin_totp WHERE username = ? AND active = 1")) {
                select.setString(1, username);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next();
                }
            }
        });
    }

    public Status status(String username) {
        requireNonNull(username, "username is null");
        return transactions.inTransaction("read a second factor", tx -> {
            boolean active = false;
            boolean enrolling = false;
            try (PreparedStatement select = tx.connection().prepareStatement("SELECT active FROM admin_totp WHERE username = ?")) {
                select.setString(1, username);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next()) {
                        active = rows.getShort(1) != 0;
                        enrolling = !active;
                    }
                }
            }
            int left = 0;
            try (PreparedStatement count = tx.connection().prepareStatement(
                    "SELECT COUNT(*) FROM admin_recovery_code WHERE username = ? AND used_at IS NULL")) {
                count.setString(1, username);
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    left = rows.getInt(1);
                }
            }
            return new Status(active, enrolling, active ? left : 0);
        });
    }

    /**
     * Starts enrolling a new key, replacing one started and not confirmed.
     *
     * @throws IllegalStateException when the account already has an active second factor (remove it first)
     */
    public Enrollment start(String username) {
        requireNonNull(username, "username is null");
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        String sealed = box.encrypt(Base64.getEncoder().encodeToString(key));
        transactions.inTransaction("start enrolling a second factor", tx -> {
            try (PreparedStatement select = tx.connection().prepareStatement("SELECT active FROM admin_totp WHERE username = ?")) {
                select.setString(1, username);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next() && rows.getShort(1) != 0) {
                        throw new IllegalStateException("the account already has an active second factor; remove it first");
                    }
                }
            }
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM admin_totp WHERE username = ?")) {
                delete.setString(1, username);
                delete.executeUpdate();
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO admin_totp (username, secret_sealed, active, created_at) VALUES (?, ?, 0, ?)")) {
                insert.setString(1, username);
                insert.setString(2, sealed);
                insert.setTimestamp(3, Timestamp.from(clock.instant()));
                insert.executeUpdate();
            }
            return null;
        });
        String secret = Totp.base32(key);
        String label = encode(ISSUER + ":" + username);
        return new Enrollment(secret, "otpauth://totp/" + label + "?secret=" + secret + "&issuer=" + encode(ISSUER)
                + "&algorithm=SHA1&digits=" + totp.digits() + "&period=" + totp.step().toSeconds());
    }

    /**
     * Activates the key being enrolled when the code is current for it, and issues fresh recovery codes.
     *
     * @return the recovery codes, shown this once; empty when nothing is being enrolled or the code is wrong
     */
    public Optional<List<String>> confirm(String username, String code) {
        requireNonNull(username, "username is null");
        if (!acceptStep(username, code, false)) {
            return Optional.empty();
        }
        List<String> codes = new ArrayList<>();
        for (int i = 0; i < RECOVERY_CODES; i++) {
            codes.add(recoveryCode());
        }
        transactions.inTransaction("activate a second factor", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE admin_totp SET active = 1, activated_at = ? WHERE username = ?")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, username);
                update.executeUpdate();
            }
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM admin_recovery_code WHERE username = ?")) {
                delete.setString(1, username);
                delete.executeUpdate();
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO admin_recovery_code (username, code_hash) VALUES (?, ?)")) {
                for (String recovery : codes) {
                    insert.setString(1, username);
                    insert.setString(2, Secrets.sha256(normalize(recovery)));
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            return null;
        });
        return Optional.of(List.copyOf(codes));
    }

    /** @return whether the code is current for the account's active key and no code of its step was accepted before */
    public boolean verifyCode(String username, String code) {
        return acceptStep(username, code, true);
    }

    /** @return whether the recovery code is one of the account's unused ones; it is used up by this call */
    public boolean useRecoveryCode(String username, String code) {
        requireNonNull(username, "username is null");
        requireNonNull(code, "code is null");
        if (!active(username)) {
            return false;
        }
        return transactions.inTransaction("use a recovery code", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE admin_recovery_code SET used_at = ? WHERE username = ? AND code_hash = ? AND used_at IS NULL")) {
                update.setTimestamp(1, Timestamp.from(clock.instant()));
                update.setString(2, username);
                update.setString(3, Secrets.sha256(normalize(code)));
                return update.executeUpdate() == 1;
            }
        });
    }

    /**
     * Removes the account's second factor, active or being enrolled, and its recovery codes.
     *
     * @return whether there was one
     */
    public boolean remove(String username) {
        requireNonNull(username, "username is null");
        return transactions.inTransaction("remove a second factor", tx -> {
            try (PreparedStatement codes = tx.connection().prepareStatement("DELETE FROM admin_recovery_code WHERE username = ?")) {
                codes.setString(1, username);
                codes.executeUpdate();
            }
            try (PreparedStatement pending = tx.connection().prepareStatement("DELETE FROM admin_sign_in_pending WHERE username = ?")) {
                pending.setString(1, username);
                pending.executeUpdate();
            }
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM admin_totp WHERE username = ?")) {
                delete.setString(1, username);
                return delete.executeUpdate() == 1;
            }
        });
    }

    /**
     * A sign-in waiting for its code.
     *
     * @param token what the client sends back with the code
     * @param expiresAt until when
     */
    public record Pending(String token, Instant expiresAt) {
        @Override
        public String toString() {
            return "Pending[expiresAt=" + expiresAt + "]";
        }
    }

    /** Records a sign-in whose password was right and whose code is to come. */
    public Pending beginPending(String username, String remote) {
        requireNonNull(username, "username is null");
        requireNonNull(remote, "remote is null");
        String token = Secrets.random("");
        Instant now = clock.instant();
        transactions.inTransaction("start a pending sign-in", tx -> {
            try (PreparedStatement expired = tx.connection().prepareStatement("DELETE FROM admin_sign_in_pending WHERE expires_at < ?")) {
                expired.setTimestamp(1, Timestamp.from(now));
                expired.executeUpdate();
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO admin_sign_in_pending (id_hash, username, remote, expires_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, Secrets.sha256(token));
                insert.setString(2, username);
                insert.setString(3, clip(remote));
                insert.setTimestamp(4, Timestamp.from(now.plus(PENDING_FOR)));
                insert.executeUpdate();
            }
            return null;
        });
        return new Pending(token, now.plus(PENDING_FOR));
    }

    /**
     * Takes a pending sign-in for its one attempt: it is gone after this call, whatever the code turns out to be.
     *
     * @return whose sign-in it is, when the token is known, not expired and comes from the address the password did
     */
    public Optional<String> takePending(String token, String remote) {
        requireNonNull(token, "token is null");
        requireNonNull(remote, "remote is null");
        String hash = Secrets.sha256(token);
        return transactions.inTransaction("take a pending sign-in", tx -> {
            String username = null;
            Instant expiresAt = null;
            String from = null;
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT username, expires_at, remote FROM admin_sign_in_pending WHERE id_hash = ?")) {
                select.setString(1, hash);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next()) {
                        username = rows.getString(1);
                        expiresAt = rows.getTimestamp(2).toInstant();
                        from = rows.getString(3);
                    }
                }
            }
            // Deleting decides which of two racing attempts with one token gets it: only the one that deleted the row.
            boolean taken;
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM admin_sign_in_pending WHERE id_hash = ?")) {
                delete.setString(1, hash);
                taken = delete.executeUpdate() == 1;
            }
            return taken && expiresAt.isAfter(clock.instant()) && from.equals(clip(remote)) ? Optional.of(username) : Optional.<String>empty();
        });
    }

    /**
     * Accepts a code when it is current for the account's key (active, or being enrolled) and newer than the last step
     * accepted; the step is recorded in the same statement, so the code is refused from then on, on every node.
     */
    private boolean acceptStep(String username, String code, boolean active) {
        requireNonNull(username, "username is null");
        requireNonNull(code, "code is null");
        String digits = code.replace(" ", "");
        if (!digits.matches("[0-9]{" + totp.digits() + "}")) {
            return false;
        }
        return transactions.inTransaction("check a one-time code", tx -> {
            String sealed;
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT secret_sealed FROM admin_totp WHERE username = ? AND active = ?")) {
                select.setString(1, username);
                select.setShort(2, (short) (active ? 1 : 0));
                try (ResultSet rows = select.executeQuery()) {
                    if (!rows.next()) {
                        return false;
                    }
                    sealed = rows.getString(1);
                }
            }
            long step = totp.matchingStep(Base64.getDecoder().decode(box.decrypt(sealed)), digits, clock.instant());
            if (step < 0) {
                return false;
            }
            try (PreparedStatement update = tx.connection().prepareStatement(
                    "UPDATE admin_totp SET last_step = ? WHERE username = ? AND active = ? AND (last_step IS NULL OR last_step < ?)")) {
                update.setLong(1, step);
                update.setString(2, username);
                update.setShort(3, (short) (active ? 1 : 0));
                update.setLong(4, step);
                return update.executeUpdate() == 1;
            }
        });
    }

    /** A recovery code: 80 random bits as four groups of four base32 characters. */
    private String recoveryCode() {
        byte[] bytes = new byte[RECOVERY_CODE_BYTES];
        random.nextBytes(bytes);
        String text = Totp.base32(bytes);
        return text.substring(0, 4) + "-" + text.substring(4, 8) + "-" + text.substring(8, 12) + "-" + text.substring(12, 16);
    }

    /** Recovery codes are compared without their dashes, spaces or case, as people type them. */
    private static String normalize(String code) {
        return code.replaceAll("[\\s-]", "").toUpperCase(Locale.ROOT);
    }

    private static String clip(String remote) {
        return remote.length() > 100 ? remote.substring(0, 100) : remote;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
