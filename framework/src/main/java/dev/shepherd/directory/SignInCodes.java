package dev.shepherd.directory;

import dev.shepherd.security.Secrets;
import dev.shepherd.storage.Transactions;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One-time codes that stand for a directory user's sign-in, for a client that signed the user in through a web page
 * and must prove it in another protocol: Windows' enrollment client takes the code from the server's federated
 * sign-in page and presents it in its enrollment request. A code is 256 random bits; only its SHA-256 is stored; it
 * works once, for one purpose, until it expires.
 */
public final class SignInCodes {

    /** How long a code works: the time between signing in on the page and the client's enrollment request. */
    public static final Duration LIFETIME = Duration.ofMinutes(10);

    private final Transactions transactions;
    private final Clock clock;

    public SignInCodes(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * @param userId the directory user who signed in
     * @param purpose what the code may be redeemed for, such as {@code windows-enrollment}
     * @return the code, to be handed to the client once
     */
    public String issue(String userId, String purpose) {
        requireNonNull(userId, "userId is null");
        requireNonNull(purpose, "purpose is null");
        String code = Secrets.random("");
        Instant now = clock.instant();
        transactions.inTransaction("issue a sign-in code", tx -> {
            try (PreparedStatement expired = tx.connection().prepareStatement("DELETE FROM user_sign_in_code WHERE expires_at < ?")) {
                expired.setTimestamp(1, Timestamp.from(now));
                expired.executeUpdate();
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO user_sign_in_code (code_hash, user_id, purpose, expires_at) VALUES (?, ?, ?, ?)")) {
                insert.setString(1, Secrets.sha256(code));
                insert.setString(2, userId);
                insert.setString(3, purpose);
                insert.setTimestamp(4, Timestamp.from(now.plus(LIFETIME)));
                insert.executeUpdate();
            }
            return null;
        });
        return code;
    }

    /** @return the directory user the code stands for, when redeeming it now would succeed; the code stays */
    public Optional<String> check(String code, String purpose) {
        requireNonNull(code, "code is null");
        requireNonNull(purpose, "purpose is null");
        if (code.length() > 100) {
            return Optional.empty();
        }
        return transactions.inTransaction("check a sign-in code", tx -> {
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT user_id FROM user_sign_in_code WHERE code_hash = ? AND purpose = ? AND expires_at > ?")) {
                select.setString(1, Secrets.sha256(code));
                select.setString(2, purpose);
                select.setTimestamp(3, Timestamp.from(clock.instant()));
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1).trim()) : Optional.<String>empty();
                }
            }
        });
    }

    /**
     * Takes a code for its one use: it is gone after this call whatever the purpose turns out to be.
     *
     * @return the directory user the code stands for, when it is known, unexpired and for this purpose
     */
    public Optional<String> redeem(String code, String purpose) {
        requireNonNull(code, "code is null");
        requireNonNull(purpose, "purpose is null");
        if (code.length() > 100) {
            return Optional.empty();
        }
        String hash = Secrets.sha256(code);
        return transactions.inTransaction("redeem a sign-in code", tx -> {
            String userId = null;
            String issuedFor = null;
            Instant expiresAt = null;
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT user_id, purpose, expires_at FROM user_sign_in_code WHERE code_hash = ?")) {
                select.setString(1, hash);
                try (ResultSet rows = select.executeQuery()) {
                    if (rows.next()) {
                        userId = rows.getString(1).trim();
                        issuedFor = rows.getString(2);
                        expiresAt = rows.getTimestamp(3).toInstant();
                    }
                }
            }
            if (userId == null) {
                return Optional.<String>empty();
            }
            // Deleting decides which of two racing redemptions gets the code: only the one whose delete took the row.
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM user_sign_in_code WHERE code_hash = ?")) {
                delete.setString(1, hash);
                if (delete.executeUpdate() != 1) {
                    return Optional.<String>empty();
                }
            }
            return issuedFor.equals(purpose) && clock.instant().isBefore(expiresAt) ? Optional.of(userId) : Optional.<String>empty();
        });
    }
}
