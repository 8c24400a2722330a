package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.cluster.Leadership;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * The plugin's one worker thread, where all work with Google happens: ChromeOS devices never contact Shepherd, so
 * the plugin takes their commands from the bus itself and carries them out through Google.
 *
 * <p>{@link #wake} (the kernel's wake-up for a device with new commands) queues the device and returns at once.
 * Every {@code commandInterval} the worker also takes the commands of every synced device (so work whose wake-up was
 * lost, or that failed transiently, is tried again) and polls Google for the results of the remote commands it issued.
 * Every {@code syncInterval} it syncs the devices and reads the org units' policies back. A command taken stays
 * {@code SENT} until Google's answer settles it: a transient Google failure leaves it to the next round, a refusal
 * fails it with Google's words, and an issued remote command is remembered (in the plugin's storage) so it is issued
 * once and its result polled until Google reports it executed, failed, expired or cancelled.
 */
@Singleton
public final class ChromeOsWorker implements AutoCloseable {

    static final String ISSUED_PREFIX = "issued/";
    private static final Logger log = LoggerFactory.getLogger(ChromeOsWorker.class);
    private static final int TAKE_AT_ONCE = 50;

    /**
     * Why the last sync failed.
     *
     * @param at when it failed
     * @param message what went wrong, in Google's words where Google refused
     */
    public record SyncFailure(Instant at, String message) {
        /** Validates every part. */
        public SyncFailure {
            requireNonNull(at, "at is null");
            requireNonNull(message, "message is null");
        }
    }

    private final GoogleApi google;
    private final CommandBus bus;
    private final DeviceRegistry registry;
    private final PluginStorage storage;
    private final OrgUnits orgUnits;
    private final DirectorySync sync;
    private final OrgUnitPolicies orgUnitPolicies;
    private final ObjectMapper json = new ObjectMapper();
    private final ScheduledExecutorService thread;
    private final Leadership leadership;
    private final Set<DeviceId> woken = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private volatile Optional<DirectorySync.Report> lastSync = Optional.empty();
    private volatile Optional<SyncFailure> lastSyncError = Optional.empty();
    /** Syncs queued or running, so admins who asked for one can follow it until it is over (see {@link #syncing}). */
    private final AtomicInteger syncsUnderWay = new AtomicInteger();

    /**
     * @param leadership whether this node runs the periodic rounds and syncs, so that several nodes sharing one
     *                   database call Google once, not once per node
     */
    @Inject
    public ChromeOsWorker(GoogleApi google, CommandBus bus, DeviceRegistry registry, PluginStorage storage, OrgUnits orgUnits,
                          DirectorySync sync, OrgUnitPolicies orgUnitPolicies, PluginIdentity identity, Leadership leadership) {
        this.leadership = requireNonNull(leadership, "leadership is null");
        this.google = requireNonNull(google, "google is null");
        this.bus = requireNonNull(bus, "bus is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.orgUnits = requireNonNull(orgUnits, "orgUnits is null");
        this.sync = requireNonNull(sync, "sync is null");
        this.orgUnitPolicies = requireNonNull(orgUnitPolicies, "orgUnitPolicies is null");
        String pluginId = requireNonNull(identity, "identity is null").id();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
            Thread worker = new Thread(() -> {
                MDC.put("plugin", pluginId);
                task.run();
            }, "chromeos-worker-" + pluginId);
            worker.setDaemon(true);
            return worker;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.thread = executor;
        ChromeOsSettings settings = google.settings();
        long commandMillis = settings.commandInterval().toMillis();
        thread.scheduleWithFixedDelay(this::round, commandMillis, commandMillis, TimeUnit.MILLISECONDS);
        long syncMillis = settings.syncInterval().toMillis();
        thread.scheduleWithFixedDelay(this::scheduledSync, Math.min(syncMillis, Duration.ofSeconds(30).toMillis()), syncMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Queues a device whose commands are to be carried out; returns at once.
     *
     * @param device the device
     * @return false when the plugin cannot reach Google (no key or no admin user), so its commands wait
     */
    public boolean wake(DeviceId device) {
        requireNonNull(device, "device is null");
        if (!google.connected() || thread.isShutdown()) {
            return false;
        }
        woken.add(device);
        if (drainQueued.compareAndSet(false, true)) {
            thread.execute(this::drain);
        }
        return true;
    }

    /**
     * Runs work on the worker thread, after what is already queued.
     *
     * @param work the work
     * @return its future
     */
    public <T> Future<T> submit(Callable<T> work) {
        return thread.submit(requireNonNull(work, "work is null"));
    }

    /**
     * Queues a sync on the worker thread, after what is already queued. Until it is over, {@link #syncing} is true, so
     * an admin whose request stopped waiting (a 202) can follow it to its outcome.
     *
     * @return the sync's future
     */
    public Future<DirectorySync.Report> requestSync() {
        syncsUnderWay.incrementAndGet();
        try {
            return thread.submit(() -> {
                try {
                    return syncNow();
                } finally {
                    syncsUnderWay.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            syncsUnderWay.decrementAndGet();
            throw e;
        }
    }

    /** @return whether a sync is queued or running */
    public boolean syncing() {
        return syncsUnderWay.get() > 0;
    }

    /**
     * Syncs now; only on the worker thread (through {@link #requestSync} or the schedule). A failure is kept as
     * {@link #lastSyncError} whatever its cause, so whoever follows the sync learns how it ended.
     *
     * @return how it went
     */
    private DirectorySync.Report syncNow() throws GoogleException, InterruptedException {
        try {
            DirectorySync.Report report = sync.sync();
            lastSync = Optional.of(report);
            lastSyncError = Optional.empty();
            orgUnitPolicies.readBack();
            return report;
        } catch (GoogleException e) {
            lastSyncError = Optional.of(new SyncFailure(Instant.now(), e.getMessage()));
            throw e;
        } catch (RuntimeException e) {
            lastSyncError = Optional.of(new SyncFailure(Instant.now(), "The sync stopped on an error in Shepherd ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); the server log has the details."));
            throw e;
        }
    }

    /** @return the last successful sync */
    public Optional<DirectorySync.Report> lastSync() {
        return lastSync;
    }

    /** @return why the last sync failed, if it did; a successful sync clears it */
    public Optional<SyncFailure> lastSyncError() {
        return lastSyncError;
    }

    private void scheduledSync() {
        if (!google.connected() || !leadership.isLeader()) {
            return;
        }
        syncsUnderWay.incrementAndGet();
        try {
            syncNow();
        } catch (GoogleException e) {
            log.warn("ChromeOS sync failed: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // One bad round must not end the schedule for good.
            log.warn("ChromeOS sync failed", e);
        } finally {
            syncsUnderWay.decrementAndGet();
        }
    }

    /** The periodic fallback: every synced device's commands, then Google's results. */
    private void round() {
        if (!google.connected() || !leadership.isLeader()) {
            return;
        }
        woken.addAll(orgUnits.current().devices().keySet());
        drain();
        try {
            pollIssued();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("Polling Google's command results failed", e);
        }
    }

    private void drain() {
        drainQueued.set(false);
        for (DeviceId device : List.copyOf(woken)) {
            woken.remove(device);
            try {
                carryOut(device);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Carrying out the commands of {} failed", device, e);
            }
        }
    }

    private void carryOut(DeviceId deviceId) throws InterruptedException {
        Optional<Device> device = registry.find(deviceId);
        Optional<String> googleId = device.map(d -> d.hardwareIds().get(DirectorySync.HARDWARE_ID));
        if (googleId.isEmpty()) {
            return;
        }
        for (Command command : bus.take(deviceId, TAKE_AT_ONCE)) {
            if (storage.get(ISSUED_PREFIX + command.id()).isPresent()) {
                bus.inProgress(deviceId, command.id());
                continue; // issued already; its result is polled
            }
            try {
                Optional<CommandResult> result = carryOut(command, googleId.get());
                result.ifPresent(done -> bus.report(deviceId, done));
            } catch (GoogleException e) {
                if (e.retriable()) {
                    log.info("Command {} for {} stays queued: {}", command.id(), deviceId, e.getMessage());
                    bus.inProgress(deviceId, command.id());
                } else {
                    bus.report(deviceId, failed(command, e.getMessage()));
                }
            }
        }
    }

    /** @return the result, or empty when it comes later (an issued remote command) */
    private Optional<CommandResult> carryOut(Command command, String googleId) throws GoogleException, InterruptedException {
        if (command.type() == CommandType.INSTALL_PROFILE || command.type() == CommandType.REMOVE_PROFILE) {
            Optional<OrgUnits.OrgUnit> unit = orgUnits.current().of(command.deviceId());
            if (unit.isEmpty()) {
                return Optional.of(failed(command, "the device's org unit is not known; sync the devices first"));
            }
            return Optional.of(orgUnitPolicies.apply(unit.get(), command));
        }
        if (command.type() == CommandType.REFRESH_INVENTORY) {
            sync.refresh(command.deviceId(), googleId);
            return Optional.of(new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
        }
        Optional<ChromeCommands.GoogleWork> work;
        try {
            work = ChromeCommands.translate(command);
        } catch (IllegalArgumentException e) {
            return Optional.of(failed(command, e.getMessage()));
        }
        if (work.isEmpty()) {
            return Optional.of(failed(command, "ChromeOS has no equivalent of " + command.type()));
        }
        if (work.get() instanceof ChromeCommands.Action action) {
            if (action.action().equals("deprovision") && !managementEnded(command.deviceId())) {
                return Optional.of(failed(command, ChromeCommands.DEPROVISION_THROUGH_RETIRE));
            }
            act(googleId, action);
            return Optional.of(new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of("action", action.action()), Optional.empty()));
        }
        ChromeCommands.Remote remote = (ChromeCommands.Remote) work.get();
        ObjectNode body = json.createObjectNode().put("commandType", remote.commandType());
        remote.payload().ifPresent(payload -> body.put("payload", payload));
        JsonNode issued = google.call("POST", device(googleId, ":issueCommand"), body);
        String googleCommandId = issued.path("commandId").asText("");
        if (googleCommandId.isEmpty()) {
            return Optional.of(failed(command, "Google accepted " + remote.commandType() + " without a commandId"));
        }
        ObjectNode record = json.createObjectNode().put("deviceId", command.deviceId().toString()).put("googleDeviceId", googleId)
                .put("googleCommandId", googleCommandId).put("commandType", remote.commandType());
        try {
            storage.put(ISSUED_PREFIX + command.id(), json.writeValueAsBytes(record));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        log.info("Issued {} to {} as Google command {}", remote.commandType(), command.deviceId(), googleCommandId);
        return Optional.empty();
    }

    /**
     * A device action through {@code customer.devices.chromeos.batchChangeStatus} (Google deprecated
     * {@code chromeosdevices.action}), on the worker thread. Google answers each device's outcome apart from the call's
     * status, so a device it could not change fails the action with Google's words.
     *
     * @param googleId Google's id of the device
     * @param action the action
     * @throws GoogleException when Google refused or kept failing, or did not change the device
     */
    public void act(String googleId, ChromeCommands.Action action) throws GoogleException, InterruptedException {
        ObjectNode body = json.createObjectNode();
        body.putArray("deviceIds").add(googleId);
        body.put("changeChromeOsDeviceStatusAction", action.googleAction());
        action.googleDeprovisionReason().ifPresent(reason -> body.put("deprovisionReason", reason));
        ChromeOsSettings settings = google.settings();
        JsonNode answer = google.call("POST", URI.create(settings.directoryUrl() + "/admin/directory/v1/customer/" + settings.customerId()
                + "/devices/chromeos:batchChangeStatus"), body);
        for (JsonNode result : answer.path("changeChromeOsDeviceStatusResults")) {
            if (result.path("deviceId").asText().equals(googleId) && result.has("response")) {
                return;
            }
            if (result.path("deviceId").asText().equals(googleId) && result.has("error")) {
                JsonNode error = result.path("error");
                // google.rpc.Code: UNAVAILABLE (14), RESOURCE_EXHAUSTED (8) and ABORTED (10) may pass; the rest will not.
                int code = error.path("code").asInt();
                throw new GoogleException(200, "Google could not " + action.action() + " the device: " + error.path("message").asText("code " + code),
                        code == 14 || code == 8 || code == 10);
            }
        }
        throw new GoogleException(200, "Google answered " + action.action() + " without an outcome for the device", true);
    }

    /** Asks Google how each issued remote command went, and reports those that are over. */
    private void pollIssued() throws InterruptedException {
        for (String key : storage.keys(ISSUED_PREFIX)) {
            Optional<byte[]> stored = storage.get(key);
            if (stored.isEmpty()) {
                continue;
            }
            UUID commandId = UUID.fromString(key.substring(ISSUED_PREFIX.length()));
            JsonNode record;
            try {
                record = json.readTree(stored.get());
            } catch (IOException e) {
                storage.delete(key);
                continue;
            }
            DeviceId deviceId = DeviceId.parse(record.path("deviceId").asText());
            Optional<CommandResult> result;
            try {
                JsonNode answer = google.call("GET", device(record.path("googleDeviceId").asText(),
                        "/commands/" + URLEncoder.encode(record.path("googleCommandId").asText(), StandardCharsets.UTF_8)), null);
                result = outcome(commandId, answer);
            } catch (GoogleException e) {
                if (e.retriable()) {
                    continue;
                }
                result = Optional.of(new CommandResult(commandId, CommandState.FAILED, Map.of(), Optional.of(e.getMessage())));
            }
            if (result.isPresent() && result.get().state() == CommandState.ACKNOWLEDGED
                    && "REMOTE_POWERWASH".equals(record.path("commandType").asText()) && wiped(deviceId)) {
                // The powerwash that wipes a Chromebook ends its management: deprovisioned now, it does not enroll again.
                try {
                    act(record.path("googleDeviceId").asText(), new ChromeCommands.Action("deprovision", Optional.of(ChromeCommands.RETIRING)));
                } catch (GoogleException e) {
                    log.warn("Deprovisioning wiped device {} waits: {}", deviceId, e.getMessage());
                    if (e.retriable()) {
                        continue;
                    }
                }
            }
            if (result.isPresent()) {
                try {
                    bus.report(deviceId, result.get());
                } catch (RuntimeException e) {
                    log.warn("The result of command {} could not be recorded: {}", commandId, e.getMessage());
                }
                storage.delete(key);
            }
        }
    }

    /**
     * Whether the kernel already ended the device's management (retired or wiped it): only then may it be deprovisioned,
     * so that deprovisioning never leaves Shepherd managing a device Google has let go.
     *
     * @param device the device
     * @return whether it is RETIRED or WIPED
     */
    public boolean managementEnded(DeviceId device) {
        return registry.find(device).map(found -> found.status() == DeviceStatus.RETIRED || found.status() == DeviceStatus.WIPED).orElse(false);
    }

    private boolean wiped(DeviceId device) {
        return registry.find(device).map(found -> found.status() == DeviceStatus.WIPED).orElse(false);
    }

    /** Google's command states: PENDING, SENT_TO_CLIENT, ACKED_BY_CLIENT, EXECUTED_BY_CLIENT, EXPIRED, CANCELLED. */
    static Optional<CommandResult> outcome(UUID commandId, JsonNode answer) {
        String state = answer.path("state").asText("");
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("googleCommandId", answer.path("commandId").asText(""));
        response.put("googleState", state);
        JsonNode result = answer.path("commandResult");
        if (result.hasNonNull("result")) {
            response.put("result", result.get("result").asText());
        }
        if (result.hasNonNull("executeTime")) {
            response.put("executeTime", result.get("executeTime").asText());
        }
        if (result.hasNonNull("commandResultPayload")) {
            response.put("payload", result.get("commandResultPayload").asText());
        }
        return switch (state) {
            case "EXECUTED_BY_CLIENT" -> "SUCCESS".equals(result.path("result").asText(""))
                    ? Optional.of(new CommandResult(commandId, CommandState.ACKNOWLEDGED, response, Optional.empty()))
                    : Optional.of(new CommandResult(commandId, CommandState.FAILED, response, Optional.of("the device reported "
                    + result.path("result").asText("no result") + (result.hasNonNull("errorMessage") ? ": " + result.get("errorMessage").asText() : ""))));
            case "EXPIRED", "CANCELLED" -> Optional.of(new CommandResult(commandId, CommandState.FAILED, response,
                    Optional.of("Google reports the command " + state.toLowerCase())));
            default -> Optional.empty();
        };
    }

    private URI device(String googleId, String below) {
        ChromeOsSettings settings = google.settings();
        return URI.create(settings.directoryUrl() + "/admin/directory/v1/customer/" + settings.customerId() + "/devices/chromeos/"
                + URLEncoder.encode(googleId, StandardCharsets.UTF_8) + below);
    }

    private static CommandResult failed(Command command, String reason) {
        return new CommandResult(command.id(), CommandState.FAILED, Map.of(), Optional.of(reason));
    }

    /**
     * Stops the worker; what is queued is taken again from the bus by the next generation. Work in progress may
     * finish first, since interrupting a thread inside a database call closes its connection.
     */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(2, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
