package dev.shepherd.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingTypeProvider;
import dev.shepherd.json.Json;
import dev.shepherd.plugin.ExtensionRegistry;
import dev.shepherd.storage.KernelJobs;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import dev.shepherd.storage.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Seals the secrets a server from before secret sealing stored in the clear: the {@code writeOnly} fields of a setting
 * type in policies, their versions, and the setting deliveries queued or kept as command history. It runs when a type
 * with secret fields becomes known (the kernel's at start, a plugin's when its plugin starts) and remembers, per type
 * and set of secret fields, that it has run, so a restart does not scan again.
 *
 * <p>A sealed value differs from the clear one it replaces, so devices are sent each swept setting once more; the
 * setting itself is unchanged.
 */
public final class StoredSecretSweep implements ExtensionRegistry.Listener {

    private static final Logger log = LoggerFactory.getLogger(StoredSecretSweep.class);
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final Transactions transactions;
    private final PolicyService policies;
    private final SettingSecrets secrets;
    private final Json json;
    private final Clock clock;

    public StoredSecretSweep(Transactions transactions, PolicyService policies, SettingSecrets secrets, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.policies = requireNonNull(policies, "policies is null");
        this.secrets = requireNonNull(secrets, "secrets is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Sweeps every setting type known now that has not been swept with its current secret fields. */
    public void sweepKnownTypes() {
        for (SettingType type : policies.settingTypes().all().values()) {
            sweep(type);
        }
    }

    @Override
    public void registered(ExtensionRegistry.Registration<?> registration) {
        // Listed after the setting types, so a plugin's types are known by the time this runs.
        if (registration.point() == SettingTypeProvider.class) {
            sweepKnownTypes();
        }
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
    }

    /**
     * Seals one type's clear secrets everywhere they are stored, once per set of secret fields.
     *
     * @return how many rows were rewritten (0 when the type has no secrets or was swept before)
     */
    public int sweep(SettingType type) {
        Set<String> fields = SettingSecrets.fields(type);
        if (fields.isEmpty()) {
            return 0;
        }
        String job = "seal-setting-secrets:" + type.name() + ":" + String.join(",", fields);
        try {
            int rewritten = transactions.inTransaction("seal stored secrets of " + type.name(), tx -> {
                if (KernelJobs.done(tx, job)) {
                    return -1;
                }
                int rows = sweepSettings(tx, type, "SELECT settings, id FROM policy", "UPDATE policy SET settings = ? WHERE id = ?", 1)
                        + sweepSettings(tx, type, "SELECT settings, policy_id, version FROM policy_version",
                        "UPDATE policy_version SET settings = ? WHERE policy_id = ? AND version = ?", 2)
                        + sweepDeliveries(tx, type);
                KernelJobs.markDone(tx, job, clock.instant());
                return rows;
            });
            if (rewritten > 0) {
                log.info("Sealed the clear secrets of setting type {} in {} stored row(s)", type.name(), rewritten);
            }
            return Math.max(0, rewritten);
        } catch (StorageException e) {
            // Not sealing old rows never blocks the server: they stay as they were, and the next start tries again.
            log.warn("Could not seal the stored secrets of setting type {}: {}", type.name(), e.getMessage());
            return 0;
        }
    }

    /**
     * Policies and their versions: a JSON list of settings per row.
     *
     * @param select the settings column, then the row's key columns
     * @param update sets the settings, then matches the key columns in the same order
     */
    private int sweepSettings(Tx tx, SettingType type, String select, String update, int keyColumns) throws SQLException {
        Map<List<Object>, String> changed = new LinkedHashMap<>();
        try (PreparedStatement query = tx.connection().prepareStatement(select); ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                List<Setting> settings = policies.readSettings(rows.getString(1));
                List<Setting> sealed = new ArrayList<>();
                boolean any = false;
                for (Setting setting : settings) {
                    if (setting.type().equals(type.name())) {
                        Map<String, Object> value = secrets.seal(type, setting.value(), Map.of());
                        any |= !value.equals(setting.value());
                        sealed.add(new Setting(setting.type(), setting.key(), value));
                    } else {
                        sealed.add(setting);
                    }
                }
                if (any) {
                    List<Object> key = new ArrayList<>();
                    for (int column = 2; column <= keyColumns + 1; column++) {
                        key.add(rows.getObject(column));
                    }
                    changed.put(key, policies.writeSettings(sealed));
                }
            }
        }
        return write(tx, update, changed);
    }

    /** Setting deliveries (INSTALL_PROFILE commands the policy engine queued): the value among their parameters. */
    private int sweepDeliveries(Tx tx, SettingType type) throws SQLException {
        Map<List<Object>, String> changed = new LinkedHashMap<>();
        // Only deliveries of this type are read and parsed; the kernel writes their parameters as compact JSON.
        try (PreparedStatement query = tx.connection().prepareStatement("SELECT id, parameters FROM command"
                + " WHERE command_type = 'INSTALL_PROFILE' AND parameters LIKE ? ESCAPE '!'")) {
            query.setString(1, "%\"settingType\":\"" + type.name().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "\"%");
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    Map<String, Object> parameters = read(rows.getString(2));
                    if (type.name().equals(parameters.get("settingType")) && parameters.get("value") instanceof Map<?, ?> value) {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> clear = (Map<String, Object>) value;
                        Map<String, Object> sealed = secrets.seal(type, clear, Map.of());
                        if (!sealed.equals(clear)) {
                            Map<String, Object> rewritten = new LinkedHashMap<>(parameters);
                            rewritten.put("value", sealed);
                            changed.put(List.of(rows.getString(1)), json.write(rewritten));
                        }
                    }
                }
            }
        }
        return write(tx, "UPDATE command SET parameters = ? WHERE id = ?", changed);
    }

    private static int write(Tx tx, String update, Map<List<Object>, String> changed) throws SQLException {
        if (changed.isEmpty()) {
            return 0;
        }
        try (PreparedStatement statement = tx.connection().prepareStatement(update)) {
            for (Map.Entry<List<Object>, String> row : changed.entrySet()) {
                statement.setString(1, row.getValue());
                for (int index = 0; index < row.getKey().size(); index++) {
                    statement.setObject(index + 2, row.getKey().get(index));
                }
                statement.addBatch();
            }
            statement.executeBatch();
        }
        return changed.size();
    }

    private Map<String, Object> read(String text) {
        try {
            return json.mapper().readValue(text, MAP);
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }
}
