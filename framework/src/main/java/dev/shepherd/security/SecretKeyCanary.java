package dev.shepherd.security;

import dev.shepherd.config.ConfigException;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Proves at start-up that this node's secrets key is the one the database's secrets are sealed with. The first node
 * seals a known text with its key into {@code secret_key_canary}; every later start opens it. A node given another key
 * (a second node that generated its own, a restored data directory without its key) refuses to start with a message
 * that says so, instead of failing later on the first sealed secret it reads.
 */
public final class SecretKeyCanary {

    private static final String NAME = "secrets.key";
    private static final String KNOWN_TEXT = "Shepherd secrets key canary";

    private SecretKeyCanary() {
    }

    /**
     * @param keyFile the key file the box was opened from, named in the message
     * @throws ConfigException when the stored canary does not open with this key
     */
    public static void check(Transactions transactions, SecretBox secrets, Path keyFile, Clock clock) {
        requireNonNull(transactions, "transactions is null");
        requireNonNull(secrets, "secrets is null");
        requireNonNull(keyFile, "keyFile is null");
        Optional<String> stored = stored(transactions);
        // A store from before the canary: its certificate authority's key, sealed at its first start, tells instead.
        boolean opens = stored.isPresent() ? opens(secrets, stored.get(), KNOWN_TEXT)
                : authorityKey(transactions).map(key -> opens(secrets, key, null)).orElse(true);
        if (opens && stored.isEmpty()) {
            opens = opens(secrets, seal(transactions, secrets, clock).orElseThrow(), KNOWN_TEXT);
        }
        if (!opens) {
            throw new ConfigException("The secrets key " + keyFile + " is not the key this database's secrets are sealed with."
                    + " Every node on one database must use the same key file: copy it from the first node, or point"
                    + " security.secretsKeyFile (SHEPHERD_SECURITY_SECRETS_KEY_FILE) at the shared one.");
        }
    }

    /** @return whether the sealed text opens with this key (and is the expected text, when one is given) */
    private static boolean opens(SecretBox secrets, String sealed, String expected) {
        try {
            String opened = secrets.decrypt(sealed);
            return expected == null || expected.equals(opened);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Optional<String> authorityKey(Transactions transactions) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT private_key_sealed FROM pki_authority WHERE id = 1");
             ResultSet rows = select.executeQuery()) {
            return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
        } catch (SQLException e) {
            throw new StorageException("Cannot read the certificate authority", e);
        }
    }

    private static Optional<String> stored(Transactions transactions) {
        try (Connection connection = transactions.dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT sealed FROM secret_key_canary WHERE name = ?")) {
            select.setString(1, NAME);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StorageException("Cannot read the secrets key canary", e);
        }
    }

    /** Seals the canary with this node's key; when another node did so at the same moment, its canary is read back. */
    private static Optional<String> seal(Transactions transactions, SecretBox secrets, Clock clock) {
        String sealed = secrets.encrypt(KNOWN_TEXT);
        try {
            transactions.inTransaction("seal the secrets key canary", tx -> {
                try (PreparedStatement insert = tx.connection().prepareStatement(
                        "INSERT INTO secret_key_canary (name, sealed, created_at) VALUES (?, ?, ?)")) {
                    insert.setString(1, NAME);
                    insert.setString(2, sealed);
                    insert.setTimestamp(3, Timestamp.from(clock.instant()));
                    insert.executeUpdate();
                }
                return null;
            });
            return Optional.of(sealed);
        } catch (StorageException e) {
            if (e.getCause() instanceof SQLException sql && Dialect.isConstraintViolation(sql)) {
                return stored(transactions);
            }
            throw e;
        }
    }
}
