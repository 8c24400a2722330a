package dev.shepherd.plugin;

import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.StorageException;
import dev.shepherd.storage.Transactions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * Keeps the plugins directories of the nodes of a cluster alike through the shared database (table
 * {@code plugin_file}): a file dropped into, replaced in or removed from one node's directory is stored, replaced or
 * marked removed in the table, and every node's scan writes what the table holds into its own directory (a temporary
 * file moved into place, so the plugin host never reads half a file) and deletes what it marks removed. Each node's
 * plugin host then loads, upgrades or unloads as for a file an operator put there, so a broken file is refused on
 * every node without taking any down.
 *
 * <p>What each node last agreed with the table is remembered per file name. A local file that differs from that is a
 * local change and wins (the last change of a name wins cluster-wide); a table entry that differs is another node's
 * change and is applied. What was agreed is kept in a file across restarts. For a name never agreed (a node's first
 * start, or a file new on both sides) the newer of the two wins: the local file when it was modified after the table's
 * entry was changed, else the table's entry. A file is stored only once it looks the
 * same on two scans in a row (not while it is still being copied), and only up to {@link #MAX_FILE_BYTES}; bigger
 * files stay on their node and a warning says so. Files are streamed to and from the database, never held whole by
 * this class.
 *
 * <p>Called by the plugin host on its own thread, under its lock, at the start of every scan.
 */
public final class ClusterPluginFiles implements PluginHost.PluginFiles {

    private static final Logger log = LoggerFactory.getLogger(ClusterPluginFiles.class);
    /** The largest plugin file shared through the database; the platform plugins are a few MB. */
    static final long MAX_FILE_BYTES = 128L * 1024 * 1024;

    private final Transactions transactions;
    private final String node;
    private final Clock clock;
    private final Path stateFile;
    /** Per file name: the content (SHA-256) this node and the table last agreed on. */
    private final Map<String, String> agreed = new HashMap<>();
    /** Per file name: how the local file looked at the last scan, and its hash when it was settled. */
    private final Map<String, Seen> seen = new HashMap<>();
    /** Files too big to share, by name and hash, so the warning is given once. */
    private final Set<String> tooBig = new HashSet<>();

    /**
     * @param node this node's name, recorded with each change it makes
     * @param stateFile where what this node agreed with the table is kept across restarts, so a file removed while the
     *        node was down counts as removed, not as missing
     */
    public ClusterPluginFiles(Transactions transactions, String node, Clock clock, Path stateFile) {
        this.transactions = requireNonNull(transactions, "transactions is null");
        this.node = requireNonNull(node, "node is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.stateFile = requireNonNull(stateFile, "stateFile is null");
        loadAgreed();
    }

    private void loadAgreed() {
        if (!Files.isRegularFile(stateFile)) {
            return;
        }
        Properties saved = new Properties();
        try (InputStream in = Files.newInputStream(stateFile)) {
            saved.load(in);
        } catch (IOException e) {
            log.warn("Cannot read {}; every plugin file is compared with the cluster's afresh: {}", stateFile, e.getMessage());
            return;
        }
        saved.stringPropertyNames().forEach(name -> agreed.put(name, saved.getProperty(name)));
    }

    private void agree(String name, String sha) {
        if (!sha.equals(agreed.put(name, sha))) {
            saveAgreed();
        }
    }

    private void forget(String name) {
        if (agreed.remove(name) != null) {
            saveAgreed();
        }
    }

    /** Written beside, then moved over the old state, so a crash leaves the old state or the new, never half. */
    private void saveAgreed() {
        Properties state = new Properties();
        state.putAll(agreed);
        Path staging = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
        try {
            Files.createDirectories(stateFile.getParent());
            try (OutputStream out = Files.newOutputStream(staging)) {
                state.store(out, "Plugin files this node agreed with the cluster: file name = SHA-256");
            }
            Files.move(staging, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.warn("Cannot write {}: {}", stateFile, e.getMessage());
        }
    }

    @Override
    public boolean clusterWide() {
        return true;
    }

    @Override
    public void bringInStep(Path directory, boolean initial) {
        Map<String, Entry> table;
        try {
            table = catalogue();
        } catch (StorageException e) {
            log.warn("Cannot read the cluster's plugin files; the local plugins directory is used as it is: {}", e.getMessage());
            return;
        }
        Map<String, Path> local = new HashMap<>();
        try (Stream<Path> entries = Files.list(directory)) {
            entries.filter(Files::isRegularFile).filter(PluginArchive::isPluginFile)
                    .forEach(file -> local.put(file.getFileName().toString(), file));
        } catch (IOException e) {
            log.warn("Cannot list plugins directory {}: {}", directory, e.getMessage());
            return;
        }
        Set<String> names = new TreeSet<>(local.keySet());
        // Only what a directory listing could have produced: a name read from the table never leaves the directory.
        table.keySet().stream().filter(name -> isPlainFileName(directory, name)).forEach(names::add);
        names.addAll(agreed.keySet());
        for (String name : names) {
            try {
                bringInStep(directory, name, Optional.ofNullable(local.get(name)), Optional.ofNullable(table.get(name)), initial);
            } catch (IOException | StorageException e) {
                log.warn("Cannot bring plugin file {} in step with the cluster (tried again at the next scan): {}", name, e.getMessage());
            }
        }
    }

    private static boolean isPlainFileName(Path directory, String name) {
        if (name.isEmpty() || name.startsWith(".") || name.contains("/") || name.contains("\\")) {
            return false;
        }
        Path resolved = directory.resolve(name).normalize();
        return directory.normalize().equals(resolved.getParent()) && PluginArchive.isPluginFile(resolved);
    }

    private void bringInStep(Path directory, String name, Optional<Path> file, Optional<Entry> entry, boolean initial) throws IOException {
        String last = agreed.get(name);
        if (file.isEmpty()) {
            seen.remove(name);
            if (last != null) {
                forget(name);
                if (entry.isPresent() && !entry.get().removed() && entry.get().sha256().equals(last)) {
                    markRemoved(name, last);
                    log.info("Plugin file {} was removed here; it is removed from every node", name);
                    return;
                }
            }
            if (entry.isPresent() && !entry.get().removed()) {
                write(directory, name, entry.get());
            }
            return;
        }
        Path local = file.get();
        PluginHost.FileStamp stamp = PluginHost.FileStamp.of(local);
        Seen before = seen.get(name);
        if (!initial && (before == null || !before.stamp().equals(stamp))) {
            seen.put(name, new Seen(stamp, null)); // first sighting, or still being written: look again next scan
            return;
        }
        String sha = before != null && before.stamp().equals(stamp) && before.sha256() != null ? before.sha256() : PluginArchive.sha256(local);
        seen.put(name, new Seen(stamp, sha));
        if (entry.isPresent() && !entry.get().removed() && entry.get().sha256().equals(sha)) {
            agree(name, sha); // in step
            return;
        }
        boolean localChange = entry.isEmpty() || (last != null ? !last.equals(sha)
                : Files.getLastModifiedTime(local).toInstant().isAfter(entry.get().changedAt()));
        if (localChange) {
            if (stamp.size() > MAX_FILE_BYTES) {
                if (tooBig.add(name + "/" + sha)) {
                    log.warn("Plugin file {} ({} bytes) is bigger than the {} bytes shared through the database; it stays on this node only",
                            name, stamp.size(), MAX_FILE_BYTES);
                }
                return;
            }
            publish(name, local, sha, stamp.size());
            agree(name, sha);
            log.info("Plugin file {} ({}) stored for every node of the cluster", name, shortHash(sha));
        } else if (entry.get().removed()) {
            Files.deleteIfExists(local);
            forget(name);
            seen.remove(name);
            log.info("Plugin file {} was removed on node {}; removed here too", name, entry.get().changedBy());
        } else {
            write(directory, name, entry.get());
        }
    }

    /** Writes the table's content of a file into the directory: a temporary file first, moved into place. */
    private void write(Path directory, String name, Entry entry) throws IOException {
        Path staging = directory.resolve("." + name + ".cluster");
        try {
            boolean found = transactions.inTransaction("read a plugin file", tx -> {
                try (PreparedStatement select = tx.connection().prepareStatement(
                        "SELECT content FROM plugin_file WHERE name = ? AND sha256 = ? AND removed = 0")) {
                    select.setString(1, name);
                    select.setString(2, entry.sha256());
                    try (ResultSet rows = select.executeQuery()) {
                        if (!rows.next()) {
                            return false;
                        }
                        try (InputStream content = rows.getBinaryStream(1)) {
                            Files.copy(content, staging, StandardCopyOption.REPLACE_EXISTING);
                        } catch (IOException e) {
                            throw new SQLException("cannot write " + staging + ": " + e.getMessage(), e);
                        }
                        return true;
                    }
                }
            });
            if (!found) {
                return; // changed meanwhile: the next scan sees the new entry
            }
            String written = PluginArchive.sha256(staging);
            if (!written.equals(entry.sha256())) {
                throw new IOException("the stored content of " + name + " does not match its hash");
            }
            Path target = directory.resolve(name);
            Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            agree(name, entry.sha256());
            seen.put(name, new Seen(PluginHost.FileStamp.of(target), entry.sha256()));
            log.info("Plugin file {} ({}) from node {} written into the plugins directory", name, shortHash(entry.sha256()), entry.changedBy());
        } finally {
            Files.deleteIfExists(staging);
        }
    }

    private void publish(String name, Path file, String sha, long size) {
        transactions.inTransaction("store a plugin file", tx -> {
            Timestamp now = Timestamp.from(clock.instant().truncatedTo(ChronoUnit.MICROS));
            try (InputStream content = Files.newInputStream(file)) {
                int updated;
                try (PreparedStatement update = tx.connection().prepareStatement("""
                        UPDATE plugin_file SET sha256 = ?, size_bytes = ?, content = ?, removed = 0, changed_by = ?, changed_at = ?
                        WHERE name = ?""")) {
                    update.setString(1, sha);
                    update.setLong(2, size);
                    update.setBinaryStream(3, content, size);
                    update.setString(4, node);
                    update.setTimestamp(5, now);
                    update.setString(6, name);
                    updated = update.executeUpdate();
                }
                if (updated == 0) {
                    try (InputStream fresh = Files.newInputStream(file); PreparedStatement insert = tx.connection().prepareStatement("""
                            INSERT INTO plugin_file (name, sha256, size_bytes, content, removed, changed_by, changed_at)
                            VALUES (?, ?, ?, ?, 0, ?, ?)""")) {
                        insert.setString(1, name);
                        insert.setString(2, sha);
                        insert.setLong(3, size);
                        insert.setBinaryStream(4, fresh, size);
                        insert.setString(5, node);
                        insert.setTimestamp(6, now);
                        insert.executeUpdate();
                    }
                }
            } catch (IOException e) {
                throw new SQLException("cannot read " + file + ": " + e.getMessage(), e);
            } catch (SQLException e) {
                if (Dialect.isConstraintViolation(e)) {
                    // Another node stored the same name at the same moment: its change wins, this node follows it.
                    throw new StorageException("plugin file " + name + " was stored by another node at the same time", e);
                }
                throw e;
            }
            return null;
        });
    }

    private void markRemoved(String name, String sha) {
        transactions.inTransaction("remove a plugin file", tx -> {
            try (PreparedStatement update = tx.connection().prepareStatement("""
                    UPDATE plugin_file SET removed = 1, content = NULL, changed_by = ?, changed_at = ?
                    WHERE name = ? AND sha256 = ? AND removed = 0""")) {
                update.setString(1, node);
                update.setTimestamp(2, Timestamp.from(clock.instant().truncatedTo(ChronoUnit.MICROS)));
                update.setString(3, name);
                update.setString(4, sha);
                // Zero rows: another node changed it meanwhile, and its change stands.
                update.executeUpdate();
            }
            return null;
        });
    }

    private Map<String, Entry> catalogue() {
        return transactions.inTransaction("list the cluster's plugin files", tx -> {
            Map<String, Entry> entries = new HashMap<>();
            try (PreparedStatement select = tx.connection().prepareStatement(
                    "SELECT name, sha256, removed, changed_by, changed_at FROM plugin_file");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    entries.put(rows.getString(1), new Entry(rows.getString(2).trim(), rows.getShort(3) != 0, rows.getString(4),
                            rows.getTimestamp(5).toInstant()));
                }
            }
            return entries;
        });
    }

    private static String shortHash(String sha) {
        return "sha256 " + sha.substring(0, 12);
    }

    /** A file as the table lists it. */
    private record Entry(String sha256, boolean removed, String changedBy, Instant changedAt) {
    }

    /** How a local file looked: its stamp, and its hash once it was settled. */
    private record Seen(PluginHost.FileStamp stamp, String sha256) {
    }
}
