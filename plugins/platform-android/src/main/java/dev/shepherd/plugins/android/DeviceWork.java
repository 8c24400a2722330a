package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.cluster.Leadership;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Carries out Android devices' commands. Android devices never contact Shepherd; Google does the talking. So when
 * the kernel wakes a device, its commands are taken from the command bus here, on the plugin's own thread, and
 * carried out through the Android Management API: policy commands by pointing the device at its compiled policy,
 * device commands by {@code issueCommand} (their result arrives with the operation, from a COMMAND notification or
 * by polling it), wipes by {@code devices.delete}.
 *
 * <p>Nothing is lost: a command Google refuses fails with Google's words; one Google could not take (throttled,
 * failing, unreachable, after the retries of {@link Amapi}) stays {@code SENT}, and the device is tried again after
 * {@code retryLater}. A periodic sweep lists every device from Google (the fallback for missed notifications) and
 * takes their commands (the fallback for missed wake-ups).
 */
@Singleton
public final class DeviceWork implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeviceWork.class);
    private static final String OPERATION_PREFIX = "operation/";
    private static final String OPERATION_NAME_PREFIX = "operation-name/";
    /** Finished operations whose COMMAND notification overtook our record of them, kept until the record lands. */
    private static final String EARLY_OPERATION_PREFIX = "operation-early/";
    /** How long such a notification is kept; one for an operation that is not ours (another tool's) is then dropped. */
    private static final Duration EARLY_OPERATION_KEPT = Duration.ofMinutes(10);
    private static final int BATCH = 100;

    private final DeviceRegistry registry;
    private final CommandBus commands;
    private final PluginStorage storage;
    private final Amapi amapi;
    private final Enterprises enterprises;
    private final DevicePolicies devicePolicies;
    private final DeviceApps deviceApps;
    private final DeviceSync sync;
    private final AndroidSettings settings;
    private final AndroidCommands translator = new AndroidCommands();
    private final ObjectMapper json = new ObjectMapper();
    private final Set<DeviceId> queued = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService worker;
    private final Leadership leadership;

    /**
     * @param leadership whether this node runs the periodic sweep and operation polls, so that several nodes sharing
     *                   one database call Google once, not once per node
     */
    @Inject
    public DeviceWork(DeviceRegistry registry, CommandBus commands, PluginStorage storage, Amapi amapi, Enterprises enterprises,
                      DevicePolicies devicePolicies, DeviceApps deviceApps, DeviceSync sync, AndroidPluginContext context,
                      Leadership leadership) {
        this.deviceApps = requireNonNull(deviceApps, "deviceApps is null");
        this.leadership = requireNonNull(leadership, "leadership is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.commands = requireNonNull(commands, "commands is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.amapi = requireNonNull(amapi, "amapi is null");
        this.enterprises = requireNonNull(enterprises, "enterprises is null");
        this.devicePolicies = requireNonNull(devicePolicies, "devicePolicies is null");
        this.sync = requireNonNull(sync, "sync is null");
        this.settings = requireNonNull(context, "context is null").settings();
        String pluginId = context.pluginId();
        this.worker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(() -> {
                MDC.put("plugin", pluginId); // our thread's log lines carry the plugin id, as the kernel's plugin threads do
                task.run();
            }, "amapi-worker-" + pluginId);
            thread.setDaemon(true);
            return thread;
        });
        long sweepEvery = settings.syncInterval().toMillis();
        long poll = settings.operationPollInterval().toMillis();
        worker.scheduleWithFixedDelay(this::sweep, sweepEvery, sweepEvery, TimeUnit.MILLISECONDS);
        worker.scheduleWithFixedDelay(this::pollOperations, poll, poll, TimeUnit.MILLISECONDS);
    }

    /**
     * Queues a device's commands to be carried out on the worker.
     *
     * @return false when the device is not managed through Google (yet), so no wake-up can happen
     */
    public boolean wake(Device device) {
        if (!device.hardwareIds().containsKey(DeviceSync.HARDWARE_ID) || enterprises.bound().isEmpty()) {
            return false;
        }
        submit(device.id());
        return !worker.isShutdown();
    }

    /** Queues a device unless it is queued already. */
    void submit(DeviceId device) {
        if (queued.add(device)) {
            try {
                worker.execute(() -> {
                    queued.remove(device);
                    process(device);
                });
            } catch (RejectedExecutionException stopped) {
                queued.remove(device);
            }
        }
    }

    /**
     * A device reported by Google (a notification) has been recorded; its commands are taken as well, since a newly
     * enrolled device already has its policy waiting.
     */
    void reported(Device device) {
        submit(device.id());
    }

    /** Google could not be reached: the commands taken and not answered wait for the retry, which is not the device's failure. */
    private void retryLater(DeviceId device, List<Command> taken) {
        taken.forEach(command -> commands.inProgress(device, command.id()));
        submitLater(device);
    }

    private void submitLater(DeviceId device) {
        try {
            worker.schedule(() -> submit(device), settings.retryLater().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            // stopping; the next generation's sweep takes the device's commands
        }
    }

    private void process(DeviceId id) {
        try {
            Optional<Device> device = registry.find(id);
            Optional<String> amapiName = device.map(found -> found.hardwareIds().get(DeviceSync.HARDWARE_ID));
            if (amapiName.isEmpty()) {
                return;
            }
            List<Command> taken = commands.take(id, BATCH);
            List<Command> policyCommands = taken.stream()
                    .filter(command -> command.type() == CommandType.INSTALL_PROFILE || command.type() == CommandType.REMOVE_PROFILE).toList();
            // App commands change the device's policy too; one already in it waits for the device's status report.
            List<Command> appCommands = taken.stream()
                    .filter(command -> DeviceApps.APP_COMMANDS.contains(command.type()) && !deviceApps.awaitingReport(command)).toList();
            if ((!policyCommands.isEmpty() || !appCommands.isEmpty())
                    && !applyPolicy(device.get(), amapiName.get(), policyCommands, appCommands)) {
                retryLater(id, taken);
                return;
            }
            for (Command command : taken) {
                if (storage.get(OPERATION_PREFIX + command.id()).isPresent()
                        || DeviceApps.APP_COMMANDS.contains(command.type()) && deviceApps.awaitingReport(command)) {
                    commands.inProgress(id, command.id()); // Google or the device is carrying it out: its operation or report tells
                    continue;
                }
                if (policyCommands.contains(command) || appCommands.contains(command)) {
                    continue; // handled above
                }
                if (!carryOut(device.get(), amapiName.get(), command)) {
                    retryLater(id, taken);
                    return;
                }
            }
        } catch (RuntimeException e) {
            // One device's trouble must not stop the worker for the others.
            log.warn("Carrying out the commands of {} failed: {}", id, e.toString());
        }
    }

    /**
     * Puts the device under its policy with the app commands' changes: policy commands and app offers are answered at
     * once, other app commands wait for the device's status report ({@link DeviceApps}), and all fail with Google's
     * reason when it refuses the policy, whose app changes are then undone.
     *
     * @return false when Google could not be reached and the commands wait
     */
    private boolean applyPolicy(Device device, String amapiName, List<Command> policyCommands, List<Command> appCommands) {
        Map<String, ObjectNode> before = deviceApps.of(device.id());
        Map<String, ObjectNode> after = new LinkedHashMap<>(before);
        Map<Command, DeviceApps.Put> puts = new LinkedHashMap<>();
        for (Command command : appCommands) {
            DeviceApps.Change change = deviceApps.change(command.type(), command.parameters());
            if (change instanceof DeviceApps.Put put) {
                after.put(put.packageName(), put.entry());
                deviceApps.record(device.id(), after, put.packageName());
                puts.put(command, put);
            } else {
                report(device.id(), command, CommandState.FAILED, Map.of(), Optional.of(((DeviceApps.Refused) change).reason()));
            }
        }
        if (policyCommands.isEmpty() && puts.isEmpty()) {
            return true;
        }
        // Awaited before the policy reaches Google: the device may report on it before this call returns.
        puts.forEach((command, put) -> {
            if (!put.offered()) {
                deviceApps.awaitReport(command, put);
            }
        });
        DevicePolicies.Applied applied;
        try {
            applied = devicePolicies.apply(device, amapiName);
        } catch (GoogleException e) {
            puts.keySet().forEach(deviceApps::forget); // not in the device's policy after all
            if (e.retriable()) {
                return false; // the changes stay recorded; carrying them out again is the same
            }
            if (!puts.isEmpty()) {
                deviceApps.record(device.id(), before, "");
            }
            policyCommands.forEach(command -> report(device.id(), command, CommandState.FAILED, Map.of(), Optional.of(e.getMessage())));
            puts.keySet().forEach(command -> report(device.id(), command, CommandState.FAILED, Map.of(), Optional.of(e.getMessage())));
            return true;
        }
        for (Command command : policyCommands) {
            Optional<String> refused = command.parameters().get("settingKey") instanceof String key
                    ? Optional.ofNullable(applied.refused().get(key)) : Optional.empty();
            if (command.type() == CommandType.INSTALL_PROFILE && refused.isPresent()) {
                report(device.id(), command, CommandState.FAILED, Map.of(), refused);
            } else {
                report(device.id(), command, CommandState.ACKNOWLEDGED, Map.of("policyName", applied.policyName()), Optional.empty());
            }
        }
        puts.forEach((command, put) -> {
            if (put.offered()) {
                report(device.id(), command, CommandState.ACKNOWLEDGED, Map.of("packageName", put.packageName(),
                        "policyName", applied.policyName()), Optional.empty());
            } else {
                commands.inProgress(device.id(), command.id());
            }
        });
        return true;
    }

    /** @return false when Google could not be reached and the command waits */
    private boolean carryOut(Device device, String amapiName, Command command) {
        AndroidCommands.Action action = translator.translate(command, devicePolicies.workProfile(device));
        try {
            if (action instanceof AndroidCommands.Issue issue) {
                JsonNode operation = amapi.issueCommand(amapiName, issue.command());
                String name = operation.path("name").asText("");
                if (operation.path("done").asBoolean(false) || !Amapi.isResourceName(name)) {
                    finish(device.id(), command.id(), operation);
                } else {
                    // Remembered so that the command, still SENT and so handed out again, is not issued twice.
                    ObjectNode pending = json.createObjectNode().put("operation", name).put("device", device.id().toString());
                    String digest = Digests.sha256Hex(name);
                    storage.put(OPERATION_PREFIX + command.id(), pending.toString().getBytes(StandardCharsets.UTF_8));
                    storage.put(OPERATION_NAME_PREFIX + digest, command.id().toString().getBytes(StandardCharsets.UTF_8));
                    // Google may have told us the operation finished before its issueCommand answer reached us.
                    storage.get(EARLY_OPERATION_PREFIX + digest).flatMap(this::parse).ifPresent(early -> {
                        storage.delete(EARLY_OPERATION_PREFIX + digest);
                        finishRecorded(digest, early.path("operation"));
                    });
                }
            } else if (action instanceof AndroidCommands.Delete delete) {
                amapi.deleteDevice(amapiName, delete.wipeDataFlags(), delete.reasonMessage());
                report(device.id(), command, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty());
            } else if (action instanceof AndroidCommands.Refresh) {
                sync.apply(amapi.getDevice(amapiName));
                report(device.id(), command, CommandState.ACKNOWLEDGED, Map.of(), Optional.empty());
            } else if (action instanceof AndroidCommands.Refuse refuse) {
                report(device.id(), command, CommandState.FAILED, Map.of(), Optional.of(refuse.reason()));
            }
            return true;
        } catch (GoogleException e) {
            if (e.retriable()) {
                log.warn("Command {} for {} waits: {}", command.id(), device.id(), e.getMessage());
                return false;
            }
            report(device.id(), command, CommandState.FAILED, Map.of(), Optional.of(e.getMessage()));
            return true;
        }
    }

    /**
     * A finished operation (from a COMMAND notification or a poll) ends the command it carried.
     *
     * @param operation an AMAPI {@code Operation}
     * @return whether it belonged to a command of ours
     */
    boolean operationFinished(JsonNode operation) {
        String name = operation.path("name").asText("");
        if (!operation.path("done").asBoolean(false) || !Amapi.isResourceName(name)) {
            return false;
        }
        String digest = Digests.sha256Hex(name);
        if (finishRecorded(digest, operation)) {
            return true;
        }
        // The notification overtook our record of the operation (issueCommand's answer is still on its way here): it
        // is kept briefly for carryOut to find. We look again once it is kept, because the record may have landed
        // in between; whichever side removes the pending record ends the command, so it ends once.
        ObjectNode early = json.createObjectNode().put("at", System.currentTimeMillis());
        early.set("operation", operation);
        storage.put(EARLY_OPERATION_PREFIX + digest, early.toString().getBytes(StandardCharsets.UTF_8));
        if (finishRecorded(digest, operation)) {
            storage.delete(EARLY_OPERATION_PREFIX + digest);
            return true;
        }
        return false;
    }

    /** @return whether the operation is one we recorded; it ends its command unless another thread already did */
    private boolean finishRecorded(String digest, JsonNode operation) {
        Optional<UUID> commandId = storage.get(OPERATION_NAME_PREFIX + digest)
                .map(bytes -> UUID.fromString(new String(bytes, StandardCharsets.UTF_8)));
        Optional<DeviceId> device = commandId.flatMap(id -> storage.get(OPERATION_PREFIX + id)).flatMap(this::deviceOf);
        if (commandId.isEmpty() || device.isEmpty()) {
            return false;
        }
        if (storage.delete(OPERATION_PREFIX + commandId.get())) {
            finish(device.get(), commandId.get(), operation);
        }
        storage.delete(OPERATION_NAME_PREFIX + digest);
        return true;
    }

    private void finish(DeviceId device, UUID commandId, JsonNode operation) {
        JsonNode error = operation.path("error");
        if (error.isObject() && !error.isEmpty()) {
            String message = error.path("message").asText("");
            String code = operation.path("metadata").path("errorCode").asText(error.path("code").asText(""));
            commands.report(device, new CommandResult(commandId, CommandState.FAILED, Map.of("operation", operation.path("name").asText("")),
                    Optional.of("the device did not carry it out (" + code + ")" + (message.isBlank() ? "" : ": " + message))));
        } else {
            commands.report(device, new CommandResult(commandId, CommandState.ACKNOWLEDGED,
                    Map.of("operation", operation.path("name").asText("")), Optional.empty()));
        }
    }

    private void report(DeviceId device, Command command, CommandState state, Map<String, Object> response, Optional<String> reason) {
        commands.report(device, new CommandResult(command.id(), state, response, reason));
    }

    private void pollOperations() {
        if (!leadership.isLeader()) {
            return; // another node polls
        }
        try {
            long keptSince = System.currentTimeMillis() - EARLY_OPERATION_KEPT.toMillis();
            for (String key : storage.keys(EARLY_OPERATION_PREFIX)) {
                if (storage.get(key).flatMap(this::parse).map(early -> early.path("at").asLong(0) < keptSince).orElse(true)) {
                    storage.delete(key);
                }
            }
            for (String key : storage.keys(OPERATION_PREFIX)) {
                Optional<JsonNode> pending = storage.get(key).flatMap(this::parse);
                if (pending.isEmpty()) {
                    continue;
                }
                try {
                    operationFinished(amapi.getOperation(pending.get().path("operation").asText("")));
                } catch (GoogleException e) {
                    if (!e.retriable()) {
                        UUID commandId = UUID.fromString(key.substring(OPERATION_PREFIX.length()));
                        deviceOf(storage.get(key).orElseThrow()).ifPresent(device -> commands.report(device,
                                new CommandResult(commandId, CommandState.FAILED, Map.of(), Optional.of(e.getMessage()))));
                        storage.delete(key);
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("Polling device operations failed: {}", e.toString());
        }
    }

    /** Lists every device from Google, records what it says, and takes each one's commands. */
    private void sweep() {
        if (!leadership.isLeader()) {
            return; // another node sweeps
        }
        try {
            Optional<String> enterprise = enterprises.bound();
            if (enterprise.isEmpty()) {
                return;
            }
            Optional<String> page = Optional.empty();
            do {
                JsonNode listing = amapi.listDevices(enterprise.get(), page);
                for (JsonNode report : listing.path("devices")) {
                    sync.apply(report).ifPresent(this::reported);
                }
                page = Optional.of(listing.path("nextPageToken").asText("")).filter(token -> !token.isBlank());
            } while (page.isPresent());
        } catch (GoogleException e) {
            log.warn("Listing devices from Google failed: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Listing devices from Google failed: {}", e.toString());
        }
    }

    private Optional<DeviceId> deviceOf(byte[] pending) {
        return parse(pending).map(node -> node.path("device").asText("")).filter(text -> !text.isBlank()).map(DeviceId::parse);
    }

    private Optional<JsonNode> parse(byte[] bytes) {
        try {
            return Optional.ofNullable(json.readTree(bytes));
        } catch (IOException e) {
            return Optional.empty();
        }
    }


    /**
     * Stops the worker; commands not carried out yet stay on the bus for the next generation. Work under way may
     * finish first, since interrupting a thread inside a database call closes its connection; a backoff still
     * sleeping after that is interrupted.
     */
    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(2, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
