package dev.shepherd.directory;

import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.json.Json;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The people devices belong to. The built-in {@code local} directory is managed here; identity-provider plugins
 * add their people under their own provider id as they are first seen.
 */
public final class DirectoryService {

    public static final String LOCAL = "local";
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9._@+-]{1,200}");
    static final String SELECT = "SELECT id, provider, external_id, username, display_name, email, active, deactivated_at, created_at,"
            + " updated_at FROM directory_user";

    private final Transactions transactions;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;

    public DirectoryService(Transactions transactions, AuditLog audit, Json json, Clock clock) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Adds a person to a directory.
     *
     * @throws IllegalArgumentException for a malformed username or e-mail, or a username taken in that directory
     */
    public DirectoryUser create(Actor actor, String provider, String username, String displayName, String email) {
        checkPerson(username, displayName, email);
        Instant now = clock.instant();
        DirectoryUser user = new DirectoryUser(UUID.randomUUID().toString(), provider, Optional.empty(), username, displayName, email,
                true, Optional.empty(), now, now);
        transactions.inTransaction("add a user", tx -> {
            insert(tx.connection(), user);
            audit.append(tx, new AuditRecord(actor, "user.create", "user", user.id(), Optional.empty(), Optional.of(json.write(user))));
            return null;
        });
        return user;
    }

    /**
     * Checks the form of a person's username, name and e-mail.
     *
     * @throws IllegalArgumentException naming what is malformed
     */
    static void checkPerson(String username, String displayName, String email) {
        if (!USERNAME.matcher(requireNonNull(username, "username is null")).matches()) {
            throw new IllegalArgumentException("usernames are 1 to 200 letters, digits and . _ @ + -");
        }
        if (!requireNonNull(email, "email is null").isEmpty() && (!email.contains("@") || email.length() > 320)) {
            throw new IllegalArgumentException("email is not an e-mail address");
        }
        if (requireNonNull(displayName, "displayName is null").isBlank() || displayName.length() > 200) {
            throw new IllegalArgumentException("displayName must be 1 to 200 characters");
        }
    }

    /** @throws IllegalArgumentException when the provider has a person of that username (or external id) already */
    static void insert(Connection connection, DirectoryUser user) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO directory_user (id, provider, external_id, username,"
                + " display_name, email, active, deactivated_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, user.id());
            insert.setString(2, user.provider());
            insert.setString(3, user.externalId().orElse(null));
            insert.setString(4, user.username());
            insert.setString(5, user.displayName());
            insert.setString(6, user.email());
            insert.setInt(7, user.active() ? 1 : 0);
            insert.setTimestamp(8, user.deactivatedAt().map(Timestamp::from).orElse(null));
            insert.setTimestamp(9, Timestamp.from(user.createdAt()));
            insert.setTimestamp(10, Timestamp.from(user.updatedAt()));
            insert.executeUpdate();
        } catch (SQLException e) {
            if (!Dialect.isConstraintViolation(e)) {
                throw e;
            }
            throw new IllegalArgumentException("the " + user.provider() + " directory has a user named '" + user.username() + "' already");
        }
    }

    public Optional<DirectoryUser> get(String id) {
        return query(SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
    }

    public Optional<DirectoryUser> find(String provider, String username) {
        return query(SELECT + " WHERE provider = ? AND username = ?", List.of(provider, username)).stream().findFirst();
    }

    /** People whose username, name or e-mail starts with the text, in username order, after a cursor username. */
    public List<DirectoryUser> search(String prefix, Optional<String> afterUsername, int limit) {
        String like = prefix.toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%";
        return query(SELECT + " WHERE (LOWER(username) LIKE ? ESCAPE '!' OR LOWER(display_name) LIKE ? ESCAPE '!'"
                        + " OR LOWER(email) LIKE ? ESCAPE '!') AND username > ? ORDER BY username FETCH FIRST "
                        + Math.max(1, Math.min(limit, 500)) + " ROWS ONLY",
                List.of(like, like, like, afterUsername.orElse("")));
    }

    /** @return false when there is no such user; their devices are left unassigned */
    public boolean delete(Actor actor, String id) {
        return transactions.inTransaction("remove a user", tx -> {
            Optional<DirectoryUser> before = query(tx.connection(), SELECT + " WHERE id = ?", List.of(id)).stream().findFirst();
            if (before.isEmpty()) {
                return false;
            }
            try (PreparedStatement unassign = tx.connection().prepareStatement("UPDATE device SET user_id = NULL WHERE user_id = ?");
                 PreparedStatement delete = tx.connection().prepareStatement("DELETE FROM directory_user WHERE id = ?")) {
                unassign.setString(1, id);
                unassign.executeUpdate();
                delete.setString(1, id);
                delete.executeUpdate();
            }
            audit.append(tx, new AuditRecord(actor, "user.delete", "user", id, Optional.of(json.write(before.get())), Optional.empty()));
            return true;
        });
    }

    private List<DirectoryUser> query(String sql, List<Object> parameters) {
        try (Connection connection = transactions.dataSource().getConnection()) {
            return query(connection, sql, parameters);
        } catch (SQLException e) {
            throw new StorageException("Cannot read the directory", e);
        }
    }

    static List<DirectoryUser> query(Connection connection, String sql, List<Object> parameters) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                select.setObject(i + 1, parameters.get(i));
            }
            List<DirectoryUser> users = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    users.add(new DirectoryUser(rows.getString(1).trim(), rows.getString(2), Optional.ofNullable(rows.getString(3)),
                            rows.getString(4), rows.getString(5), rows.getString(6), rows.getInt(7) == 1,
                            Optional.ofNullable(rows.getTimestamp(8)).map(Timestamp::toInstant), rows.getTimestamp(9).toInstant(),
                            rows.getTimestamp(10).toInstant()));
                }
            }
            return users;
        }
    }
}
