package dev.shepherd.plugin;

import dev.shepherd.api.ShepherdApi;
import dev.shepherd.api.event.Event;
import dev.shepherd.api.event.EventTypes;
import dev.shepherd.event.EventSink;
import org.pf4j.DefaultVersionManager;
import org.pf4j.PluginDescriptor;
import org.pf4j.VersionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * Loads PF4J plugin files from the plugins directory and keeps the running set in step with it: a new file
 * is loaded and started, a replaced file is upgraded (the new generation starts before the old one stops,
 * and a new generation that fails leaves the old one running), a removed file is stopped and unloaded.
 *
 * <p>The directory is polled rather than watched: polling behaves the same on every file system, including
 * network and container mounts where watch events go missing. A file must look the same on two scans in a
 * row before it is loaded, so a half-copied file is not mistaken for a corrupt one; a file that fails is not
 * retried until its content changes.
 */
public final class PluginHost implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PluginHost.class);
    private static final Pattern PLUGIN_ID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    private final Path pluginsDir;
    private final Path workRoot;
    private final Duration scanInterval;
    private final Duration callTimeout;
    private final PluginEnvironment environment;
    private final ExtensionRegistry registry;
    private final EventSink events;
    private final ClassLoader kernelLoader = PluginHost.class.getClassLoader();
    private final PluginSwitches switches;
    private final VersionManager versions = new DefaultVersionManager();
    private final String apiVersion = ShepherdApi.version();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "plugin-host");
        thread.setDaemon(true);
        return thread;
    });

    /** Guarded by {@code this}: what each file in the directory became. */
    private final Map<Path, FileRecord> files = new HashMap<>();
    /** Guarded by {@code this}: files seen once and waiting to look the same on the next scan. */
    private final Map<Path, FileStamp> settling = new HashMap<>();
    private final Map<String, PluginGeneration> active = new ConcurrentHashMap<>();
    private volatile boolean ready;
    private volatile boolean closed;

    /** Which plugins operators switched off, kept durably. */
    public interface PluginSwitches {
        boolean isDisabled(String pluginId);

        void set(String pluginId, boolean enabled, String changedBy);
    }

    public PluginHost(Path pluginsDir, Path workRoot, Duration scanInterval, Duration callTimeout,
                      PluginEnvironment environment, ExtensionRegistry registry, EventSink events, PluginSwitches switches) {
        this.switches = requireNonNull(switches, "switches is null");
        this.pluginsDir = requireNonNull(pluginsDir, "pluginsDir is null");
        this.workRoot = requireNonNull(workRoot, "workRoot is null");
        this.scanInterval = requireNonNull(scanInterval, "scanInterval is null");
        this.callTimeout = requireNonNull(callTimeout, "callTimeout is null");
        this.environment = requireNonNull(environment, "environment is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.events = requireNonNull(events, "events is null");
    }

    /** Loads what is in the directory now, then keeps watching it. */
    public void start() {
        try {
            Files.createDirectories(pluginsDir);
            PluginArchive.deleteQuietly(workRoot);
            Files.createDirectories(workRoot);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare plugin directories " + pluginsDir + " and " + workRoot, e);
        }
        log.info("Plugin host watching {} (plugin API {})", pluginsDir, apiVersion);
        scan(true);
        ready = true;
        long millis = scanInterval.toMillis();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                scan(false);
            } catch (RuntimeException e) {
                log.error("Plugin directory scan failed", e);
            }
        }, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** @return true once the plugins present at start have been loaded or refused */
    public boolean isReady() {
        return ready && !closed;
    }

    /**
     * Brings the running plugins in step with the directory.
     *
     * @param initial whether this is the first scan, when files at rest load without settling
     */
    synchronized void scan(boolean initial) {
        if (closed) {
            return;
        }
        Set<Path> present = new HashSet<>(listPluginFiles());
        for (Path file : present.stream().sorted().toList()) {
            FileStamp stamp;
            try {
                stamp = FileStamp.of(file);
            } catch (IOException vanished) {
                continue;
            }
            FileRecord known = files.get(file);
            if (known != null && known.stamp().equals(stamp)) {
                settling.remove(file);
                continue;
            }
            if (!initial && !stamp.equals(settling.put(file, stamp))) {
                continue; // first sighting of this content, or still being written: look again next scan
            }
            settling.remove(file);
            String sha;
            try {
                sha = PluginArchive.sha256(file);
            } catch (IOException vanished) {
                continue;
            }
            if (known != null && known.sha256().equals(sha)) {
                files.put(file, known.withStamp(stamp)); // touched, same content
                continue;
            }
            load(file, stamp, sha);
        }
        for (Path file : new ArrayList<>(files.keySet())) {
            if (!present.contains(file)) {
                unload(file);
            }
        }
        settling.keySet().retainAll(present);
    }

    private List<Path> listPluginFiles() {
        try (Stream<Path> entries = Files.list(pluginsDir)) {
            return entries.filter(Files::isRegularFile).filter(PluginArchive::isPluginFile).toList();
        } catch (IOException e) {
            log.error("Cannot list plugins directory {}: {}", pluginsDir, e.getMessage());
            return List.copyOf(files.keySet());
        }
    }

    private void load(Path file, FileStamp stamp, String sha) {
        String fileName = file.getFileName().toString();
        PluginArchive archive = null;
        try {
            archive = PluginArchive.open(file, sha, workRoot);
            PluginDescriptor descriptor = archive.descriptor();
            checkDescriptor(descriptor);
            String id = descriptor.getPluginId();
            if (switches.isDisabled(id)) {
                archive.delete();
                log.info("Plugin {} {} in {} is disabled; not loading it", id, descriptor.getVersion(), fileName);
                files.put(file, FileRecord.failed(stamp, sha, new PluginInfo(id, descriptor.getVersion(), fileName, PluginState.DISABLED,
                        Optional.empty(), requiresOf(descriptor), descriptionOf(descriptor), List.of(), Instant.now())));
                return;
            }
            PluginGeneration previous = active.get(id);
            if (previous != null && !previous.archive().source().equals(file) && Files.exists(previous.archive().source())) {
                throw new PluginLoadException("duplicates plugin id '" + id + "' already provided by "
                        + previous.archive().source().getFileName() + "; remove one of the two files");
            }
            log.info("Loading plugin {} {} from {}", id, descriptor.getVersion(), fileName);
            PluginGeneration generation = PluginGeneration.start(archive, kernelLoader, environment, callTimeout, this::failed);
            archive = null; // owned by the generation from here on
            registry.register(generation.registrations());
            active.put(id, generation);
            files.put(file, FileRecord.running(stamp, sha, generation));
            if (previous != null) {
                registry.unregister(previous.registrations());
                previous.stop();
                files.values().removeIf(record -> record.generation() == previous);
                log.info("Upgraded plugin {} from {} to {}", id, previous.version(), generation.version());
            }
            log.info("Started plugin {} {} with {} extension(s)", id, generation.version(), generation.registrations().size());
            events.publish(Event.of(EventTypes.PLUGIN_STARTED, "kernel", Map.of("pluginId", id, "version", generation.version())));
        } catch (PluginLoadException e) {
            if (archive != null) {
                archive.delete();
            }
            PluginDescriptor descriptor = archive != null ? archive.descriptor() : e.descriptor().orElse(null);
            String id = descriptor != null && descriptor.getPluginId() != null ? descriptor.getPluginId() : fileName;
            String reason = e.getMessage();
            log.warn("Plugin file {} refused: {}", fileName, reason, e.getCause());
            files.put(file, FileRecord.failed(stamp, sha, new PluginInfo(id,
                    descriptor == null || descriptor.getVersion() == null ? "" : descriptor.getVersion(), fileName,
                    PluginState.FAILED, Optional.of(reason), requiresOf(descriptor), descriptionOf(descriptor),
                    List.of(), Instant.now())));
            events.publish(Event.of(EventTypes.PLUGIN_FAILED, "kernel", Map.of("pluginId", id, "reason", reason)));
        }
    }

    private void checkDescriptor(PluginDescriptor descriptor) throws PluginLoadException {
        String id = descriptor.getPluginId();
        if (!PLUGIN_ID.matcher(id).matches()) {
            throw new PluginLoadException("plugin id '" + id + "' must be lower case letters, digits and dashes, starting with a letter");
        }
        String version = descriptor.getVersion();
        if (version == null || version.isBlank()) {
            throw new PluginLoadException("declares no Plugin-Version");
        }
        String requires = descriptor.getRequires();
        if (requires == null || requires.isBlank() || requires.equals("*")) {
            throw new PluginLoadException("declares no Plugin-Requires; state the plugin API range it was built for, such as ^"
                    + apiVersion);
        }
        boolean compatible;
        try {
            compatible = versions.checkVersionConstraint(apiVersion, requires);
        } catch (RuntimeException e) {
            throw new PluginLoadException("has an unreadable Plugin-Requires '" + requires + "': " + e.getMessage(), e);
        }
        if (!compatible) {
            throw new PluginLoadException("requires plugin API " + requires + " but this server provides " + apiVersion);
        }
        if (descriptor.getDependencies() != null && !descriptor.getDependencies().isEmpty()) {
            throw new PluginLoadException("declares Plugin-Dependencies, which Shepherd does not support: plugins talk"
                    + " through the plugin API only");
        }
    }

    private void unload(Path file) {
        files.remove(file);
        settling.remove(file);
        // The running generation may come from an older content of this file whose upgrade failed.
        for (PluginGeneration generation : List.copyOf(active.values())) {
            if (generation.archive().source().equals(file)) {
                stopActive(generation);
            }
        }
    }

    private void stopActive(PluginGeneration generation) {
        if (active.remove(generation.id(), generation)) {
            registry.unregister(generation.registrations());
            generation.stop();
            log.info("Stopped and unloaded plugin {} {}", generation.id(), generation.version());
            events.publish(Event.of(EventTypes.PLUGIN_STOPPED, "kernel", Map.of("pluginId", generation.id(), "version", generation.version())));
        }
    }

    /** Called from whichever thread saw a plugin call throw or hang. */
    private void failed(PluginGeneration generation, String reason) {
        // Take it out of service at once; tidy up on the host thread, away from the caller.
        registry.unregister(generation.registrations());
        log.error("Plugin {} {} failed and was taken out of service: {}", generation.id(), generation.version(), reason);
        if (!closed) {
            scheduler.execute(() -> retire(generation, reason));
        }
    }

    private synchronized void retire(PluginGeneration generation, String reason) {
        if (!active.remove(generation.id(), generation)) {
            return;
        }
        files.replaceAll((file, record) -> record.generation() != generation ? record
                : FileRecord.failed(record.stamp(), record.sha256(), new PluginInfo(generation.id(), generation.version(),
                file.getFileName().toString(), PluginState.FAILED, Optional.of(reason),
                requiresOf(generation.archive().descriptor()), descriptionOf(generation.archive().descriptor()),
                List.of(), Instant.now())));
        generation.stop();
        events.publish(Event.of(EventTypes.PLUGIN_FAILED, "kernel", Map.of("pluginId", generation.id(), "reason", reason)));
    }

    /**
     * Switches a plugin off: it is stopped and unloaded now and not loaded again, even from a new file, until it is
     * switched on.
     *
     * @return false when no plugin with that id is known
     */
    public synchronized boolean disable(String id, String changedBy) {
        boolean known = active.containsKey(id) || files.values().stream().anyMatch(record -> record.failure() != null
                && record.failure().id().equals(id));
        if (!known) {
            return false;
        }
        switches.set(id, false, changedBy);
        PluginGeneration generation = active.get(id);
        if (generation != null) {
            Path file = generation.archive().source();
            FileRecord record = files.get(file);
            stopActive(generation);
            if (record != null) {
                files.put(file, FileRecord.failed(record.stamp(), record.sha256(), new PluginInfo(id, generation.version(),
                        file.getFileName().toString(), PluginState.DISABLED, Optional.empty(), requiresOf(generation.archive().descriptor()),
                        descriptionOf(generation.archive().descriptor()), List.of(), Instant.now())));
            }
        }
        return true;
    }

    /**
     * Switches a plugin back on; its file is loaded at the next scan.
     *
     * @return false when no disabled plugin has that id
     */
    public synchronized boolean enable(String id, String changedBy) {
        boolean known = files.values().stream().anyMatch(record -> record.failure() != null && record.failure().id().equals(id));
        if (!known && !switches.isDisabled(id)) {
            return false;
        }
        switches.set(id, true, changedBy);
        // Forget the files of this plugin, so the next scan loads them afresh.
        files.values().removeIf(record -> record.failure() != null && record.failure().id().equals(id)
                && record.failure().state() == PluginState.DISABLED);
        return true;
    }

    /** @return the directory plugin files are loaded from */
    public Path directory() {
        return pluginsDir;
    }

    /** @return every running plugin and every refused or failed file, by id */
    public synchronized List<PluginInfo> plugins() {
        List<PluginInfo> infos = new ArrayList<>();
        for (PluginGeneration generation : active.values()) {
            infos.add(infoOf(generation));
        }
        for (FileRecord record : files.values()) {
            if (record.failure() != null) {
                infos.add(record.failure());
            }
        }
        infos.sort(Comparator.comparing(PluginInfo::id).thenComparing(PluginInfo::file));
        return List.copyOf(infos);
    }

    /**
     * @param id a plugin id
     * @return the running plugin with that id, or the failure recorded for it
     */
    public Optional<PluginInfo> plugin(String id) {
        return plugins().stream().filter(info -> info.id().equals(id))
                .min(Comparator.comparing(info -> info.state() == PluginState.STARTED ? 0 : 1));
    }

    /** Visible to tests: the live generation of a plugin. */
    Optional<PluginGeneration> generation(String id) {
        return Optional.ofNullable(active.get(id));
    }

    private PluginInfo infoOf(PluginGeneration generation) {
        PluginDescriptor descriptor = generation.archive().descriptor();
        Instant since = files.values().stream().filter(record -> record.generation() == generation)
                .map(FileRecord::since).findFirst().orElse(Instant.now());
        return new PluginInfo(generation.id(), generation.version(), generation.archive().source().getFileName().toString(),
                PluginState.STARTED, Optional.empty(), requiresOf(descriptor), descriptionOf(descriptor),
                generation.extensionNames(), since);
    }

    private static String requiresOf(PluginDescriptor descriptor) {
        return descriptor == null || descriptor.getRequires() == null ? "" : descriptor.getRequires();
    }

    private static String descriptionOf(PluginDescriptor descriptor) {
        return descriptor == null || descriptor.getPluginDescription() == null ? "" : descriptor.getPluginDescription();
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        synchronized (this) {
            for (PluginGeneration generation : List.copyOf(active.values())) {
                registry.unregister(generation.registrations());
                generation.stop();
                log.info("Stopped plugin {} {}", generation.id(), generation.version());
            }
            active.clear();
            files.clear();
        }
    }

    private record FileStamp(long size, long modifiedMillis) {
        static FileStamp of(Path file) throws IOException {
            return new FileStamp(Files.size(file), Files.getLastModifiedTime(file).toMillis());
        }
    }

    /** What one file became: a running generation, or a failure with its reason. */
    private record FileRecord(FileStamp stamp, String sha256, PluginGeneration generation, PluginInfo failure, Instant since) {
        static FileRecord running(FileStamp stamp, String sha256, PluginGeneration generation) {
            return new FileRecord(stamp, sha256, generation, null, Instant.now());
        }

        static FileRecord failed(FileStamp stamp, String sha256, PluginInfo failure) {
            return new FileRecord(stamp, sha256, null, failure, failure.since());
        }

        FileRecord withStamp(FileStamp newStamp) {
            return new FileRecord(newStamp, sha256, generation, failure, since);
        }
    }
}
