package dev.shepherd.device;

import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Saved device list views and each admin's chosen list columns. A view is only a query: the devices it shows are
 * narrowed to the admin's scope each time it runs, so sharing a view shares no device.
 */
public final class DeviceViews {

    /** The columns the device list and its export know, in their default order. */
    public static final List<String> COLUMNS = List.of("name", "platform", "model", "osVersion", "serialNumber", "user",
            "status", "compliance", "ownership", "tags", "lastCheckIn");
    public static final List<String> DEFAULT_COLUMNS = List.of("name", "platform", "model", "osVersion", "serialNumber",
            "status", "compliance", "lastCheckIn");
    public static final int MAX_QUERY_LENGTH = 2000;
    public static final int MAX_NAME_LENGTH = 100;
    public static final int MAX_VIEWS_PER_ADMIN = 100;

    /**
     * A saved view.
     *
     * @param owner the admin who saved it
     * @param query the list's URL query (filters, search text, sort)
     * @param columns the columns shown, in order
     * @param shared whether every admin may use it
     */
    public record View(String id, String owner, String name, String query, List<String> columns, boolean shared, Instant createdAt) {
        public View {
            requireNonNull(id, "id is null");
            requireNonNull(owner, "owner is null");
            requireNonNull(name, "name is null");
            requireNonNull(query, "query is null");
            columns = List.copyOf(columns);
            requireNonNull(createdAt, "createdAt is null");
        }
    }

    private final Transactions transactions;
    private final Clock clock;

    public DeviceViews(Transactions transactions, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The admin's own views and those others shared, by name. */
    public List<View> visibleTo(String owner) {
        return transactions.read("list device views", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT id, owner, name, query, columns, shared, created_at"
                    + " FROM device_view WHERE owner = ? OR shared = 1 ORDER BY name, id")) {
                select.setString(1, owner);
                return views(select);
            }
        });
    }

    /**
     * @throws IllegalArgumentException for a name, query or column list out of bounds
     * @throws DeviceConflictException when the admin already has a view of that name, or too many views
     */
    public View create(String owner, String name, String query, List<String> columns, boolean shared) {
        String trimmed = requireNonNull(name, "name is null").strip();
        if (trimmed.isEmpty() || trimmed.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("a view's name is 1 to " + MAX_NAME_LENGTH + " characters");
        }
        String cleanQuery = requireNonNull(query, "query is null").startsWith("?") ? query.substring(1) : query;
        if (cleanQuery.length() > MAX_QUERY_LENGTH) {
            throw new IllegalArgumentException("a view's query is at most " + MAX_QUERY_LENGTH + " characters");
        }
        List<String> checked = checkColumns(columns);
        View view = new View(UUID.randomUUID().toString(), owner, trimmed, cleanQuery, checked, shared, clock.instant());
        return transactions.inTransaction("save a device view", tx -> {
            Connection connection = tx.connection();
            try (PreparedStatement count = connection.prepareStatement("SELECT COUNT(*) FROM device_view WHERE owner = ?")) {
                count.setString(1, owner);
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) >= MAX_VIEWS_PER_ADMIN) {
                        throw new DeviceConflictException("you have " + MAX_VIEWS_PER_ADMIN + " saved views; delete one first");
                    }
                }
            }
            try (PreparedStatement exists = connection.prepareStatement("SELECT id FROM device_view WHERE owner = ? AND name = ?")) {
                exists.setString(1, owner);
                exists.setString(2, trimmed);
                try (ResultSet rows = exists.executeQuery()) {
                    if (rows.next()) {
                        throw new DeviceConflictException("you already have a view named '" + trimmed + "'");
                    }
                }
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO device_view"
                    + " (id, owner, name, query, columns, shared, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, view.id());
                insert.setString(2, owner);
                insert.setString(3, trimmed);
                insert.setString(4, cleanQuery);
                insert.setString(5, String.join(",", checked));
                insert.setInt(6, shared ? 1 : 0);
                insert.setTimestamp(7, Timestamp.from(view.createdAt()));
                insert.executeUpdate();
            }
            return view;
        });
    }

    /** Deletes one of the admin's own views; false when they have none with that id (another's shared view included). */
    public boolean delete(String owner, String id) {
        return transactions.inTransaction("delete a device view", tx -> {
            try (PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM device_view WHERE id = ? AND owner = ?")) {
                delete.setString(1, id);
                delete.setString(2, owner);
                return delete.executeUpdate() == 1;
            }
        });
    }

    /** The columns the admin chose for the device list, or the default ones. */
    public List<String> columns(String owner) {
        Optional<String> stored = transactions.read("read device list columns", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT columns FROM device_list_columns WHERE owner = ?")) {
                select.setString(1, owner);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
                }
            }
        });
        // Columns a later version dropped are left out rather than failing the list.
        return stored.map(text -> Arrays.stream(text.split(",")).filter(COLUMNS::contains).toList())
                .filter(columns -> !columns.isEmpty()).orElse(DEFAULT_COLUMNS);
    }

    /** @throws IllegalArgumentException for an unknown or repeated column, or none */
    public List<String> chooseColumns(String owner, List<String> columns) {
        List<String> checked = checkColumns(columns);
        return transactions.inTransaction("choose device list columns", tx -> {
            Connection connection = tx.connection();
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE device_list_columns SET columns = ?, updated_at = ? WHERE owner = ?")) {
                update.setString(1, String.join(",", checked));
                update.setTimestamp(2, Timestamp.from(clock.instant()));
                update.setString(3, owner);
                if (update.executeUpdate() == 0) {
                    try (PreparedStatement insert = connection.prepareStatement(
                            "INSERT INTO device_list_columns (owner, columns, updated_at) VALUES (?, ?, ?)")) {
                        insert.setString(1, owner);
                        insert.setString(2, String.join(",", checked));
                        insert.setTimestamp(3, Timestamp.from(clock.instant()));
                        insert.executeUpdate();
                    }
                }
            }
            return checked;
        });
    }

    private static List<String> checkColumns(List<String> columns) {
        requireNonNull(columns, "columns is null");
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("choose at least one column");
        }
        for (String column : columns) {
            if (!COLUMNS.contains(column)) {
                throw new IllegalArgumentException("'" + column + "' is not a column; the columns are " + String.join(", ", COLUMNS));
            }
        }
        if (Set.copyOf(columns).size() != columns.size()) {
            throw new IllegalArgumentException("a column is listed twice");
        }
        return List.copyOf(columns);
    }

    private static List<View> views(PreparedStatement select) throws SQLException {
        List<View> views = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                views.add(new View(rows.getString(1).trim(), rows.getString(2), rows.getString(3), rows.getString(4),
                        Arrays.stream(rows.getString(5).split(",")).filter(COLUMNS::contains).toList(), rows.getInt(6) == 1,
                        rows.getTimestamp(7).toInstant()));
            }
        }
        return views;
    }
}
