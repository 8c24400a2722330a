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
import java.time.Clock;
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
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
 * retried until its content changes, or until an operator switches its plugin off and on.
 *
 * <p>What runs is decided per plugin id from all the files that claim it (see {@code resolve}), so it depends on the
 * files present only. A running plugin whose calls keep failing is taken out of service by its generation's
 * {@link CircuitBreaker}, not unloaded; it is listed as {@link PluginState#OUT_OF_SERVICE} meanwhile.
 */
public final class PluginHost implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PluginHost.class);
    private static final Pattern PLUGIN_ID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    private final Path pluginsDir;
    private final Path workRoot;
    private final Duration scanInterval;
    private final PluginGeneration.CallPolicy callPolicy;
    private final PluginGeneration.Supervisor supervisor = new Supervision();
    private final PluginEnvironment environment;
    private final ExtensionRegistry registry;
    private final EventSink events;
    private final ClassLoader kernelLoader = PluginHost.class.getClassLoader();
    private final PluginSwitches switches;
    private final PluginFiles pluginFiles;
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

        /** @return every plugin switched off, in one read */
        Set<String> disabledIds();

        void set(String pluginId, boolean enabled, String changedBy);
    }

    /**
     * Where the plugins directory's files come from besides the operator: on a cluster, the other nodes
     * ({@link ClusterPluginFiles}); on a single node, nowhere ({@link #LOCAL}).
     */
    public interface PluginFiles {
        /** A single node: the directory holds what the operator put there, and switches change only through this host. */
        PluginFiles LOCAL = new PluginFiles() {
            @Override
            public boolean clusterWide() {
                return false;
            }

            @Override
            public void bringInStep(Path directory, boolean initial) {
                // nothing to share
            }
        };

        /** @return whether other nodes share the files and the switches, so both are followed at every scan */
        boolean clusterWide();

        /**
         * Brings the directory in step with the cluster before it is scanned: shares the local changes, applies the
         * others'.
         *
         * @param initial whether this is the host's first scan, when files at rest count as settled
         */
        void bringInStep(Path directory, boolean initial);
    }

    /**
     * How calls into plugins are bounded and when a plugin is taken out of service.
     *
     * @param callTimeout how long one call may take before it is failed; a call that hangs opens the breaker at once
     * @param failuresInARow failed calls in a row that open a plugin's circuit breaker
     * @param coolDown how long an open breaker keeps the plugin out of service before a trial call
     */
    public record CallLimits(Duration callTimeout, int failuresInARow, Duration coolDown) {
        public CallLimits {
            requireNonNull(callTimeout, "callTimeout is null");
            requireNonNull(coolDown, "coolDown is null");
        }
    }

    public PluginHost(Path pluginsDir, Path workRoot, Duration scanInterval, CallLimits limits,
                      PluginEnvironment environment, ExtensionRegistry registry, EventSink events, PluginSwitches switches) {
        this(pluginsDir, workRoot, scanInterval, limits, environment, registry, events, switches, PluginCallObserver.NONE);
    }

    /** @param calls told how each call into a plugin ended and how long it took, for the metrics */
    public PluginHost(Path pluginsDir, Path workRoot, Duration scanInterval, CallLimits limits,
                      PluginEnvironment environment, ExtensionRegistry registry, EventSink events, PluginSwitches switches,
                      PluginCallObserver calls) {
        this(pluginsDir, workRoot, scanInterval, limits, environment, registry, events, switches, calls, PluginFiles.LOCAL);
    }

    /** @param pluginFiles shares the directory's files with the other nodes of a cluster, and follows their switches */
    public PluginHost(Path pluginsDir, Path workRoot, Duration scanInterval, CallLimits limits,
                      PluginEnvironment environment, ExtensionRegistry registry, EventSink events, PluginSwitches switches,
                      PluginCallObserver calls, PluginFiles pluginFiles) {
        this.pluginFiles = requireNonNull(pluginFiles, "pluginFiles is null");
        this.switches = requireNonNull(switches, "switches is null");
        this.pluginsDir = requireNonNull(pluginsDir, "pluginsDir is null");
        this.workRoot = requireNonNull(workRoot, "workRoot is null");
        this.scanInterval = requireNonNull(scanInterval, "scanInterval is null");
        requireNonNull(limits, "limits is null");
        this.callPolicy = new PluginGeneration.CallPolicy(limits.callTimeout(),
                new CircuitBreaker.Settings(limits.failuresInARow(), limits.coolDown()), Clock.systemUTC(),
                requireNonNull(calls, "calls is null"));
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
     * Brings the running plugins in step with the directory. Files whose content is new are read; then every
     * plugin id whose files changed is resolved afresh from all the files that claim it, so what runs depends only
     * on the files present, never on the order they were listed or arrived in.
     *
     * @param initial whether this is the first scan, when files at rest load without settling
     */
    synchronized void scan(boolean initial) {
        if (closed) {
            return;
        }
        Set<String> touched = new TreeSet<>();
        if (pluginFiles.clusterWide()) {
            pluginFiles.bringInStep(pluginsDir, initial);
            followSwitches(touched);
        }
        Set<Path> present = new HashSet<>(listPluginFiles());
        Map<Path, PluginArchive> opened = new HashMap<>();
        try {
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
                if (known != null) {
                    known.claimedId().ifPresent(touched::add);
                }
                FileRecord inspected = inspect(file, stamp, sha, opened);
                files.put(file, inspected);
                inspected.claimedId().ifPresent(touched::add);
            }
            for (Path file : new ArrayList<>(files.keySet())) {
                if (!present.contains(file)) {
                    files.remove(file).claimedId().ifPresent(touched::add);
                }
            }
            for (PluginGeneration generation : active.values()) {
                if (!files.containsKey(generation.archive().source())) {
                    touched.add(generation.id());
                }
            }
            settling.keySet().retainAll(present);
            for (String id : touched) {
                resolve(id, opened);
            }
        } finally {
            opened.values().forEach(PluginArchive::delete); // read, but not started
        }
    }

    /**
     * Applies switches another node changed: a plugin switched off there is stopped here (its id is touched, and
     * {@code resolve} stops it); one switched back on has its files read afresh by this scan, as {@link #enable} does.
     */
    private void followSwitches(Set<String> touched) {
        Set<String> disabled;
        try {
            disabled = switches.disabledIds();
        } catch (RuntimeException e) {
            log.warn("Cannot read the plugin switches; they are followed again at the next scan: {}", e.getMessage());
            return;
        }
        Set<String> ids = new HashSet<>(active.keySet());
        files.values().forEach(record -> record.claimedId().ifPresent(ids::add));
        for (String id : ids) {
            boolean heldOff = files.values().stream().anyMatch(record -> record.claims(id) && record.kind() == Kind.DISABLED);
            if (disabled.contains(id)) {
                if (active.containsKey(id) || files.values().stream().anyMatch(record -> record.claims(id) && record.eligible())) {
                    touched.add(id);
                }
            } else if (heldOff) {
                for (Map.Entry<Path, FileRecord> entry : List.copyOf(files.entrySet())) {
                    if (entry.getValue().claims(id) && entry.getValue().generation() == null) {
                        files.remove(entry.getKey());
                        settling.put(entry.getKey(), entry.getValue().stamp());
                    }
                }
            }
        }
    }

    private List<Path> listPluginFiles() {
        try (Stream<Path> entries = Files.list(pluginsDir)) {
            return entries.filter(Files::isRegularFile).filter(PluginArchive::isPluginFile).toList();
        } catch (IOException e) {
            log.error("Cannot list plugins directory {}: {}", pluginsDir, e.getMessage());
            return List.copyOf(files.keySet());
        }
    }

    /** Reads a file with new content far enough to know which plugin it claims to be; nothing is started yet. */
    private FileRecord inspect(Path file, FileStamp stamp, String sha, Map<Path, PluginArchive> opened) {
        PluginArchive archive = null;
        try {
            archive = PluginArchive.open(file, sha, workRoot);
            checkDescriptor(archive.descriptor());
            opened.put(file, archive);
            return FileRecord.candidate(stamp, sha, archive.descriptor(), file);
        } catch (PluginLoadException e) {
            PluginDescriptor descriptor = archive != null ? archive.descriptor() : e.descriptor().orElse(null);
            if (archive != null) {
                archive.delete();
            }
            return refused(file, stamp, sha, descriptor, e);
        }
    }

    private FileRecord refused(Path file, FileStamp stamp, String sha, PluginDescriptor descriptor, PluginLoadException e) {
        String fileName = file.getFileName().toString();
        String id = descriptor != null && descriptor.getPluginId() != null ? descriptor.getPluginId() : fileName;
        String reason = e.getMessage();
        log.warn("Plugin file {} refused: {}", fileName, reason, e.getCause());
        events.publish(Event.of(EventTypes.PLUGIN_FAILED, "kernel", Map.of("pluginId", id, "reason", reason)));
        return FileRecord.failed(stamp, sha, descriptor, PluginInfo.notRunning(id, versionOf(descriptor), fileName,
                PluginState.FAILED, Optional.of(reason), requiresOf(descriptor), descriptionOf(descriptor)));
    }

    /**
     * Decides which of the files claiming one plugin id runs, and starts it: the newest version wins; files of one
     * version with the same content count as one; files of one version with different contents are all refused (the
     * server cannot tell the genuine one), and the newest of the remaining files wins. A winner that fails to start is
     * refused and the choice is made again, so a failed upgrade leaves the previous version serving.
     */
    private void resolve(String id, Map<Path, PluginArchive> opened) {
        PluginGeneration running = active.get(id);
        if (switches.isDisabled(id)) {
            files.replaceAll((file, record) -> record.claims(id) && record.kind() != Kind.FAILED
                    ? record.as(Kind.DISABLED, PluginState.DISABLED, Optional.empty()) : record);
            if (running != null) {
                stopActive(running);
                log.info("Plugin {} is disabled; not loading it", id);
            }
            return;
        }
        while (true) {
            Choice choice = choose(id);
            if (choice.winner().isEmpty()) {
                if (running != null && !keepsServing(running)) {
                    stopActive(running);
                }
                label(id, choice);
                return;
            }
            Path winner = choice.winner().get();
            FileRecord record = files.get(winner);
            if (running != null && record.generation() == running) {
                label(id, choice);
                return;
            }
            PluginGeneration started = start(winner, record, opened);
            if (started == null) {
                continue; // refused: choose again among the others
            }
            if (running != null) {
                registry.unregister(running.registrations());
                running.stop();
                files.replaceAll((file, other) -> other.generation() == running ? other.as(Kind.CANDIDATE, PluginState.SUPERSEDED,
                        Optional.empty()) : other);
                log.info("Plugin {} {} replaced by {} from {}", id, running.version(), started.version(), winner.getFileName());
            }
            label(id, choose(id));
            return;
        }
    }

    /** A running generation with no file to succeed it keeps serving only while its file holds a failed upgrade of it. */
    private boolean keepsServing(PluginGeneration running) {
        FileRecord own = files.get(running.archive().source());
        return own != null && own.kind() == Kind.FAILED && own.claimedId().map(running.id()::equals).orElse(true);
    }

    /** Starts the chosen file; on failure records the refusal and returns null. */
    private PluginGeneration start(Path file, FileRecord record, Map<Path, PluginArchive> opened) {
        PluginArchive archive = opened.remove(file);
        try {
            if (archive == null) {
                // Chosen now, read before: a fresh copy of the same file, so the operator never has to touch it.
                archive = PluginArchive.open(file, record.sha256(), workRoot);
                checkDescriptor(archive.descriptor());
            }
            PluginDescriptor descriptor = archive.descriptor();
            log.info("Loading plugin {} {} from {}", descriptor.getPluginId(), descriptor.getVersion(), file.getFileName());
            PluginGeneration generation = PluginGeneration.start(archive, kernelLoader, environment, callPolicy, supervisor);
            archive = null; // owned by the generation from here on
            registry.register(generation.registrations());
            active.put(generation.id(), generation);
            files.put(file, FileRecord.running(record.stamp(), record.sha256(), generation));
            log.info("Started plugin {} {} with {} extension(s)", generation.id(), generation.version(), generation.registrations().size());
            events.publish(Event.of(EventTypes.PLUGIN_STARTED, "kernel", Map.of("pluginId", generation.id(), "version", generation.version())));
            return generation;
        } catch (PluginLoadException e) {
            PluginDescriptor descriptor = archive != null ? archive.descriptor() : e.descriptor().orElse(record.descriptor());
            if (archive != null) {
                archive.delete();
            }
            files.put(file, refused(file, record.stamp(), record.sha256(), descriptor, e));
            return null;
        }
    }

    /**
     * The file that should serve a plugin id, and why each other claimant does not.
     *
     * @param winner the file to run, if any
     * @param reasons why each other candidate file is not loaded, and in which state it is listed
     */
    private record Choice(Optional<Path> winner, Map<Path, Map.Entry<PluginState, String>> reasons) {
    }

    private Choice choose(String id) {
        List<Map.Entry<Path, FileRecord>> candidates = files.entrySet().stream()
                .filter(entry -> entry.getValue().claims(id) && entry.getValue().eligible())
                .sorted(Comparator.<Map.Entry<Path, FileRecord>, String>comparing(entry -> entry.getValue().version(), this::newestFirst)
                        .thenComparing(entry -> entry.getKey().getFileName().toString()))
                .collect(Collectors.toCollection(ArrayList::new));
        Map<Path, Map.Entry<PluginState, String>> reasons = new HashMap<>();
        while (!candidates.isEmpty()) {
            String top = candidates.get(0).getValue().version();
            List<Map.Entry<Path, FileRecord>> tied = candidates.stream()
                    .filter(entry -> newestFirst(entry.getValue().version(), top) == 0).toList();
            candidates.removeAll(tied);
            if (tied.stream().map(entry -> entry.getValue().sha256()).distinct().count() > 1) {
                String names = tied.stream().map(entry -> entry.getKey().getFileName().toString()).sorted()
                        .collect(Collectors.joining(", "));
                for (Map.Entry<Path, FileRecord> entry : tied) {
                    reasons.put(entry.getKey(), Map.entry(PluginState.FAILED, "plugin " + id + " " + top + " is claimed by "
                            + tied.size() + " files with different contents (" + names + "); none of them is loaded until all but one are removed"));
                }
                continue;
            }
            // One content, perhaps under several names: the one running, else the first by name.
            Map.Entry<Path, FileRecord> chosen = tied.stream().filter(entry -> entry.getValue().generation() != null)
                    .findFirst().orElse(tied.get(0));
            String chosenName = chosen.getKey().getFileName().toString();
            for (Map.Entry<Path, FileRecord> entry : tied) {
                if (entry != chosen) {
                    reasons.put(entry.getKey(), Map.entry(PluginState.SUPERSEDED, "the same file as " + chosenName + ", which provides plugin " + id));
                }
            }
            for (Map.Entry<Path, FileRecord> entry : candidates) {
                reasons.put(entry.getKey(), Map.entry(PluginState.SUPERSEDED, "plugin " + id + " " + entry.getValue().version()
                        + " is superseded by " + top + " from " + chosenName));
            }
            return new Choice(Optional.of(chosen.getKey()), reasons);
        }
        return new Choice(Optional.empty(), reasons);
    }

    /** Shows each file that claims the id but does not run why. */
    private void label(String id, Choice choice) {
        choice.reasons().forEach((file, reason) -> files.computeIfPresent(file, (path, record) -> record.generation() != null
                ? record : record.as(Kind.CANDIDATE, reason.getKey(), Optional.of(reason.getValue()))));
    }

    /** Orders versions newest first; versions that are not semantic versions compare as text. */
    private int newestFirst(String a, String b) {
        try {
            return versions.compareVersions(b, a);
        } catch (RuntimeException notSemantic) {
            return b.compareTo(a);
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

    private void stopActive(PluginGeneration generation) {
        if (active.remove(generation.id(), generation)) {
            registry.unregister(generation.registrations());
            generation.stop();
            files.replaceAll((file, record) -> record.generation() == generation
                    ? record.as(Kind.CANDIDATE, PluginState.SUPERSEDED, Optional.empty()) : record);
            log.info("Stopped and unloaded plugin {} {}", generation.id(), generation.version());
            events.publish(Event.of(EventTypes.PLUGIN_STOPPED, "kernel", Map.of("pluginId", generation.id(), "version", generation.version())));
        }
    }

    /** What the host does when a generation's breaker opens or its calls get stuck. */
    private final class Supervision implements PluginGeneration.Supervisor {
        @Override
        public void outOfService(PluginGeneration generation, String reason) {
            log.error("Plugin {} {} is out of service until {}: {}", generation.id(), generation.version(),
                    generation.breakerStatus().retryAt().map(Instant::toString).orElse("a trial call succeeds"), reason);
            publishLater(Event.of(EventTypes.PLUGIN_FAILED, "kernel", Map.of("pluginId", generation.id(), "reason", reason,
                    "outOfService", true)));
        }

        @Override
        public void failed(PluginGeneration generation, String reason) {
            // Take it out of service at once; tidy up on the host thread, away from the caller.
            registry.unregister(generation.registrations());
            log.error("Plugin {} {} failed and was taken out of service: {}", generation.id(), generation.version(), reason);
            if (!closed) {
                scheduler.execute(() -> retire(generation, reason));
            }
        }
    }

    private void publishLater(Event event) {
        if (!closed) {
            try {
                scheduler.execute(() -> events.publish(event));
            } catch (RejectedExecutionException closing) {
                // the server is stopping; the log line stands
            }
        }
    }

    private synchronized void retire(PluginGeneration generation, String reason) {
        if (!active.remove(generation.id(), generation)) {
            return;
        }
        files.replaceAll((file, record) -> record.generation() != generation ? record
                : record.as(Kind.FAILED, PluginState.FAILED, Optional.of(reason)));
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
        boolean known = active.containsKey(id) || files.values().stream().anyMatch(record -> record.claims(id));
        if (!known) {
            return false;
        }
        switches.set(id, false, changedBy);
        PluginGeneration generation = active.get(id);
        if (generation != null) {
            stopActive(generation);
        }
        files.replaceAll((file, record) -> record.claims(id) ? record.as(Kind.DISABLED, PluginState.DISABLED, Optional.empty()) : record);
        return true;
    }

    /**
     * Switches a plugin back on. Every file of the plugin, a failed one included, is read and started afresh at the
     * next scan (at once, on the host's thread): an operator brings a failed plugin back with disable and enable,
     * without touching its file.
     *
     * @return false when no disabled or failed plugin has that id
     */
    public synchronized boolean enable(String id, String changedBy) {
        boolean known = files.values().stream().anyMatch(record -> record.claims(id) && record.generation() == null);
        if (!known && !switches.isDisabled(id)) {
            return false;
        }
        switches.set(id, true, changedBy);
        // Forget what became of its files, and count them as settled, so the next scan reads them afresh.
        for (Map.Entry<Path, FileRecord> entry : List.copyOf(files.entrySet())) {
            if (entry.getValue().claims(id) && entry.getValue().generation() == null) {
                files.remove(entry.getKey());
                settling.put(entry.getKey(), entry.getValue().stamp());
            }
        }
        if (!closed && ready) {
            try {
                scheduler.execute(() -> scan(false));
            } catch (RejectedExecutionException closing) {
                // the server is stopping
            }
        }
        return true;
    }

    /** @return the directory plugin files are loaded from */
    public Path directory() {
        return pluginsDir;
    }

    /** @return every running plugin and every refused, failed, superseded or disabled file, by id */
    public synchronized List<PluginInfo> plugins() {
        List<PluginInfo> infos = new ArrayList<>();
        for (PluginGeneration generation : active.values()) {
            infos.add(infoOf(generation));
        }
        for (FileRecord record : files.values()) {
            if (record.generation() == null) {
                infos.add(record.info());
            }
        }
        infos.sort(Comparator.comparing(PluginInfo::id).thenComparing(PluginInfo::file));
        return List.copyOf(infos);
    }

    /**
     * @param id a plugin id
     * @return the running plugin with that id, or what became of a file claiming it
     */
    public Optional<PluginInfo> plugin(String id) {
        return plugins().stream().filter(info -> info.id().equals(id))
                .min(Comparator.comparing(info -> info.state() == PluginState.STARTED || info.state() == PluginState.OUT_OF_SERVICE ? 0 : 1));
    }

    /** Visible to tests: the live generation of a plugin. */
    Optional<PluginGeneration> generation(String id) {
        return Optional.ofNullable(active.get(id));
    }

    private PluginInfo infoOf(PluginGeneration generation) {
        PluginDescriptor descriptor = generation.archive().descriptor();
        Instant since = files.values().stream().filter(record -> record.generation() == generation)
                .map(FileRecord::since).findFirst().orElse(Instant.now());
        CircuitBreaker.Status breaker = generation.breakerStatus();
        boolean inService = breaker.state() == CircuitBreaker.State.CLOSED;
        return new PluginInfo(generation.id(), generation.version(), generation.archive().source().getFileName().toString(),
                inService ? PluginState.STARTED : PluginState.OUT_OF_SERVICE, inService ? Optional.empty() : breaker.reason(),
                requiresOf(descriptor), descriptionOf(descriptor), generation.extensionNames(), since,
                inService ? Optional.empty() : breaker.retryAt());
    }

    private static String versionOf(PluginDescriptor descriptor) {
        return descriptor == null || descriptor.getVersion() == null ? "" : descriptor.getVersion();
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

    /** How a file looks without reading it: when either changes, its content may have. */
    record FileStamp(long size, long modifiedMillis) {
        static FileStamp of(Path file) throws IOException {
            return new FileStamp(Files.size(file), Files.getLastModifiedTime(file).toMillis());
        }
    }

    /** What became of one file's content. */
    private enum Kind {
        /** Its generation runs. */
        RUNNING,
        /** A readable plugin that does not run because another file of the same id wins; it may win later. */
        CANDIDATE,
        /** Refused or failed; not tried again until its content changes or an operator switches it off and on. */
        FAILED,
        /** Its plugin is switched off. */
        DISABLED
    }

    /**
     * What one file became.
     *
     * @param descriptor what the file claims to be, when it could be read that far
     * @param generation the running generation, for {@link Kind#RUNNING}
     * @param info how it is listed, when not running
     */
    private record FileRecord(FileStamp stamp, String sha256, Kind kind, PluginDescriptor descriptor, PluginGeneration generation,
                              PluginInfo info, Instant since) {
        static FileRecord running(FileStamp stamp, String sha256, PluginGeneration generation) {
            return new FileRecord(stamp, sha256, Kind.RUNNING, generation.archive().descriptor(), generation, null, Instant.now());
        }

        static FileRecord candidate(FileStamp stamp, String sha256, PluginDescriptor descriptor, Path file) {
            PluginInfo info = PluginInfo.notRunning(descriptor.getPluginId(), versionOf(descriptor), file.getFileName().toString(),
                    PluginState.SUPERSEDED, Optional.empty(), requiresOf(descriptor), descriptionOf(descriptor));
            return new FileRecord(stamp, sha256, Kind.CANDIDATE, descriptor, null, info, info.since());
        }

        static FileRecord failed(FileStamp stamp, String sha256, PluginDescriptor descriptor, PluginInfo info) {
            return new FileRecord(stamp, sha256, Kind.FAILED, descriptor, null, info, info.since());
        }

        /** The same file, not running, listed in another state. */
        FileRecord as(Kind newKind, PluginState state, Optional<String> reason) {
            PluginDescriptor described = generation != null ? generation.archive().descriptor() : descriptor;
            String id = described != null ? described.getPluginId() : info.id();
            String file = generation != null ? generation.archive().source().getFileName().toString() : info.file();
            boolean unchanged = info != null && info.state() == state && info.failureReason().equals(reason) && kind == newKind;
            PluginInfo listed = unchanged ? info : PluginInfo.notRunning(id, versionOf(described), file, state, reason,
                    requiresOf(described), descriptionOf(described));
            return new FileRecord(stamp, sha256, newKind, described, null, listed, listed.since());
        }

        FileRecord withStamp(FileStamp newStamp) {
            return new FileRecord(newStamp, sha256, kind, descriptor, generation, info, since);
        }

        /** @return the plugin id the file claims, when it could be read that far */
        Optional<String> claimedId() {
            return descriptor == null ? Optional.empty() : Optional.ofNullable(descriptor.getPluginId());
        }

        /** @return whether the file belongs to the plugin: it claims the id, or is listed under it */
        boolean claims(String id) {
            return claimedId().map(id::equals).orElseGet(() -> info != null && info.id().equals(id));
        }

        /** @return whether the file may run if chosen */
        boolean eligible() {
            return kind == Kind.RUNNING || kind == Kind.CANDIDATE;
        }

        String version() {
            return versionOf(descriptor);
        }
    }
}
