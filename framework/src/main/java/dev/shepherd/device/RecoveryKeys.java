package dev.shepherd.device;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.json.Json;
import dev.shepherd.security.SecretBox;
import dev.shepherd.storage.Transactions;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Disk-encryption recovery keys escrowed by devices, such as a Mac's FileVault personal recovery key: sealed at rest
 * with the server's secrets key, never logged or audited in the clear, and read back only by admins holding
 * {@link dev.shepherd.security.Permission#DEVICE_RECOVERY_KEY_READ}, each read audited. A rotated key is kept
 * behind the new one (a rotated key may still open an older backup); a key reported again is not stored twice.
 */
public final class RecoveryKeys {

    private static final int MAX_KEY_LENGTH = 4096;

    private final Transactions transactions;
    private final SecretBox secrets;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;

    public RecoveryKeys(Transactions transactions, SecretBox secrets, AuditLog audit, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * One escrowed key.
     *
     * @param kind what it opens, such as {@code filevault-personal}
     * @param key the recovery key itself
     * @param reportedAt when the device reported it
     */
    public record RecoveryKey(String kind, String key, Instant reportedAt) {
        public RecoveryKey {
            requireNonNull(kind, "kind is null");
            requireNonNull(key, "key is null");
            requireNonNull(reportedAt, "reportedAt is null");
        }
    }

    /**
     * A device's escrowed keys.
     *
     * @param deviceId the device
     * @param current the newest key
     * @param previous the keys it replaced, newest first
     */
    public record Escrowed(String deviceId, RecoveryKey current, List<RecoveryKey> previous) {
        public Escrowed {
            requireNonNull(deviceId, "deviceId is null");
            requireNonNull(current, "current is null");
            previous = List.copyOf(previous);
        }
    }

    /**
     * Stores a key a device reported, unless it is the device's newest key of that kind already.
     *
     * @return whether it was new
     * @throws IllegalArgumentException when the kind or key is blank or oversized
     */
    public boolean escrow(Actor actor, DeviceId device, String kind, String key) {
        requireNonNull(device, "device is null");
        if (kind == null || kind.isBlank() || kind.length() > 64 || key == null || key.isBlank() || key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("a recovery key needs a kind (at most 64 characters) and a key (at most " + MAX_KEY_LENGTH + ")");
        }
        String hash = sha256(key);
        return transactions.inTransaction("escrow a recovery key", tx -> {
            try (PreparedStatement newest = tx.connection().prepareStatement(
                    "SELECT key_hash FROM device_recovery_key WHERE device_id = ? AND kind = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY")) {
                newest.setString(1, device.toString());
                newest.setString(2, kind);
                try (ResultSet rows = newest.executeQuery()) {
                    if (rows.next() && rows.getString(1).equals(hash)) {
                        return false;
                    }
                }
            }
            try (PreparedStatement insert = tx.connection().prepareStatement(
                    "INSERT INTO device_recovery_key (device_id, kind, key_sealed, key_hash, reported_at) VALUES (?, ?, ?, ?, ?)")) {
                insert.setString(1, device.toString());
                insert.setString(2, kind);
                insert.setString(3, secrets.encrypt(key));
                insert.setString(4, hash);
                insert.setTimestamp(5, Timestamp.from(clock.instant()));
                insert.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "device.recovery-key.escrow", "device", device.toString(), Optional.empty(),
                    Optional.of(json.write(Map.of("kind", kind)))));
            return true;
        });
    }

    /**
     * Reads a device's keys of every kind, newest first, for an admin; the read is audited (who, which device, which kinds).
     *
     * @return the keys by kind, empty when the device escrowed none
     */
    public List<Escrowed> read(Actor actor, DeviceId device) {
        requireNonNull(actor, "actor is null");
        return transactions.inTransaction("read recovery keys", tx -> {
            List<RecoveryKey> all = new ArrayList<>();
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT kind, key_sealed, reported_at FROM device_recovery_key WHERE device_id = ? ORDER BY id DESC")) {
                select.setString(1, device.toString());
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        all.add(new RecoveryKey(rows.getString(1), secrets.decrypt(rows.getString(2)), rows.getTimestamp(3).toInstant()));
                    }
                }
            }
            List<Escrowed> escrowed = new ArrayList<>();
            for (String kind : all.stream().map(RecoveryKey::kind).distinct().toList()) {
                List<RecoveryKey> ofKind = all.stream().filter(key -> key.kind().equals(kind)).toList();
                escrowed.add(new Escrowed(device.toString(), ofKind.get(0), ofKind.subList(1, ofKind.size())));
            }
            if (!escrowed.isEmpty()) {
                audit.append(tx, new AuditRecord(actor, "device.recovery-key.read", "device", device.toString(), Optional.empty(),
                        Optional.of(json.write(Map.of("kinds", escrowed.stream().map(keys -> keys.current().kind()).toList())))));
            }
            return escrowed;
        });
    }

    private static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
