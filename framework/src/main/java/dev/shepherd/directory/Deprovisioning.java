package dev.shepherd.directory;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.command.CommandService;
import dev.shepherd.device.DeviceConflictException;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * Applies the deprovisioning policy: with {@link DeprovisioningPolicy.Action#RETIRE}, each person deactivated for
 * longer than the grace period has their devices retired through the kernel's one way to end management
 * ({@link CommandService#endManagement}), as the retire action does, and is marked deprovisioned so it happens once.
 * A person reactivated before then keeps their devices: reactivation clears the deactivation this counts from.
 */
public final class Deprovisioning {

    private static final Logger log = LoggerFactory.getLogger(Deprovisioning.class);
    private static final int PEOPLE_PER_RUN = 100;

    private final Transactions transactions;
    private final CommandService commands;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;
    private final DeprovisioningPolicy policy;

    public Deprovisioning(Transactions transactions, CommandService commands, AuditLog audit, Json json, Clock clock,
                          DeprovisioningPolicy policy) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.policy = requireNonNull(policy, "policy is null");
    }

    public DeprovisioningPolicy policy() {
        return policy;
    }

    /** What one person's deprovisioning did, as its audit entry records it. */
    private record Deprovisioned(Instant deactivatedAt, List<String> retiredDevices, Map<String, String> refusedDevices) {
    }

    /**
     * Deprovisions the people whose grace period is over, up to a hundred a run.
     *
     * @return how many people were deprovisioned
     */
    public int runOnce() {
        if (policy.action() == DeprovisioningPolicy.Action.FLAG) {
            return 0;
        }
        Instant now = clock.instant();
        List<Due> due = transactions.read("read the directory", connection -> due(connection, now.minus(policy.grace())));
        int done = 0;
        for (Due person : due) {
            List<String> retired = new ArrayList<>();
            Map<String, String> refused = new TreeMap<>();
            for (DeviceId device : transactions.read("read the directory", connection -> managedDevices(connection, person.userId()))) {
                try {
                    commands.endManagement(Actor.SYSTEM, device, false, "deprovisioned: user " + person.userId()
                            + " deactivated by their identity provider at " + person.deactivatedAt());
                    retired.add(device.toString());
                } catch (DeviceConflictException | IllegalArgumentException e) {
                    // A device that cannot be retired (ended the other way meanwhile, a platform that cannot) stays for an admin.
                    log.warn("Deprovisioning user {}: device {} was not retired: {}", person.userId(), device, e.getMessage());
                    refused.put(device.toString(), e.getMessage());
                }
            }
            boolean marked = transactions.inTransaction("mark a user deprovisioned", tx -> {
                try (PreparedStatement mark = tx.connection().prepareStatement("UPDATE directory_user SET deprovisioned_at = ?"
                        + " WHERE id = ? AND active = 0 AND deprovisioned_at IS NULL AND deactivated_at = ?")) {
                    mark.setTimestamp(1, Timestamp.from(now));
                    mark.setString(2, person.userId());
                    mark.setTimestamp(3, Timestamp.from(person.deactivatedAt()));
                    if (mark.executeUpdate() == 0) {
                        return false;
                    }
                }
                audit.append(tx, new AuditRecord(Actor.SYSTEM, "user.deprovision", "user", person.userId(), Optional.empty(),
                        Optional.of(json.write(new Deprovisioned(person.deactivatedAt(), retired, refused)))));
                return true;
            });
            if (marked) {
                done++;
            }
        }
        return done;
    }

    private record Due(String userId, Instant deactivatedAt) {
    }

    private static List<Due> due(Connection connection, Instant deactivatedBefore) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT id, deactivated_at FROM directory_user WHERE active = 0"
                + " AND deprovisioned_at IS NULL AND deactivated_at <= ? ORDER BY deactivated_at FETCH FIRST " + PEOPLE_PER_RUN + " ROWS ONLY")) {
            select.setTimestamp(1, Timestamp.from(deactivatedBefore));
            List<Due> due = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    due.add(new Due(rows.getString(1).trim(), rows.getTimestamp(2).toInstant()));
                }
            }
            return due;
        }
    }

    private static List<DeviceId> managedDevices(Connection connection, String userId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT id FROM device WHERE user_id = ? AND status NOT IN ('RETIRED', 'WIPED') ORDER BY id")) {
            select.setString(1, userId);
            List<DeviceId> devices = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    devices.add(DeviceId.parse(rows.getString(1).trim()));
                }
            }
            return devices;
        }
    }
}
