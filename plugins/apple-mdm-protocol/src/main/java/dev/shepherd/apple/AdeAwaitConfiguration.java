package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.config.PluginIdentity;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceRegistry;
import dev.shepherd.api.device.DeviceSetup;
import dev.shepherd.api.device.SetupProgress;
import dev.shepherd.api.event.EventPublisher;
import dev.shepherd.api.pki.IssuedCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * Holds a device enrolled through an ADE profile with {@code await_device_configured} in Setup Assistant until it has
 * what the server assigns it, then releases it with Apple's {@code DeviceConfigured} command (device channel, supervised
 * or Mac, ADE only: Apple's {@code mdm/commands/device.configured.yaml}).
 *
 * <p>The profile request ({@link AdeEnrollment}) binds {@value EnrollmentProfiles#ADE_AWAIT} to the identity's SCEP
 * challenge when the token's ADE profile awaits configuration, so only those devices' certificates cost a look-up here.
 * At its Authenticate such a device is marked awaiting (with the time) and its inventory says
 * {@value #SETUP_INVENTORY_KEY}{@code = awaiting configuration}. Each time it asks for work and the kernel has none left
 * for it, {@link DeviceSetup#progress} is asked: once {@linkplain SetupProgress#finished() finished} (a failed setting
 * or app counts as done and stays visible on the device's page) the plugin hands it {@code DeviceConfigured}, its own
 * command, remembered until answered. A device still not finished {@value #TIMEOUT_SETTING} after its Authenticate
 * (default 30 minutes) is released at its next message even with work left (and woken for it, once:
 * {@link #overdueToWake}, looked for by {@link AdeSyncScheduler}); its inventory says so, and event
 * {@code <plugin>}{@value #TIMED_OUT_EVENT} (with the device's id, so its activity shows it) records it. An
 * {@code Acknowledged} answer ends the wait, as does an {@code Error} (the device is not waiting, and asking again
 * would not change that); {@code NotNow} leaves it to be sent again.
 */
final class AdeAwaitConfiguration {

    /** Plugin setting: how long a device waits in Setup Assistant at most, an ISO-8601 duration ({@code PT30M}). */
    static final String TIMEOUT_SETTING = "adeAwaitTimeout";
    /** The inventory key saying where the device stands with its release. */
    static final String SETUP_INVENTORY_KEY = "apple.ade.setup";
    static final String AWAITING = "awaiting configuration";
    /** After the plugin's id: the event of a device released because its setup did not finish in time. */
    static final String TIMED_OUT_EVENT = ".ade.released_after_timeout";
    private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(30);
    private static final String AWAITING_PREFIX = "ade/awaiting/";
    private static final String COMMAND_PREFIX = "ade/device-configured/";
    /** A device past its timeout that was woken for its release, so that it is woken once. */
    private static final String WOKEN_PREFIX = "ade/timeout-woken/";
    private static final Logger log = LoggerFactory.getLogger(AdeAwaitConfiguration.class);

    private final PluginStorage storage;
    private final DeviceRegistry registry;
    private final DeviceSetup setup;
    private final EventPublisher events;
    private final String releasedEvent;
    private final Duration timeout;
    private final Clock clock;

    /** @throws IllegalArgumentException when {@value #TIMEOUT_SETTING} is not a positive ISO-8601 duration */
    AdeAwaitConfiguration(PluginStorage storage, DeviceRegistry registry, DeviceSetup setup, EventPublisher events, PluginIdentity identity,
                          PluginConfig config, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.events = requireNonNull(events, "events is null");
        this.releasedEvent = requireNonNull(identity, "identity is null").id() + TIMED_OUT_EVENT;
        this.registry = requireNonNull(registry, "registry is null");
        this.setup = requireNonNull(setup, "setup is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.timeout = timeout(requireNonNull(config, "config is null"));
    }

    private static Duration timeout(PluginConfig config) {
        Optional<String> text = config.get(TIMEOUT_SETTING);
        if (text.isEmpty()) {
            return DEFAULT_TIMEOUT;
        }
        Duration parsed;
        try {
            parsed = Duration.parse(text.get().trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("plugin setting '" + TIMEOUT_SETTING + "' is not an ISO-8601 duration such as PT30M: " + text.get(), e);
        }
        if (parsed.isNegative() || parsed.isZero()) {
            throw new IllegalArgumentException("plugin setting '" + TIMEOUT_SETTING + "' must be positive: " + text.get());
        }
        return parsed;
    }

    /** Whether the identity was issued to a device whose ADE profile awaits configuration. */
    static boolean awaits(IssuedCertificate certificate) {
        return "true".equals(certificate.bindings().get(EnrollmentProfiles.ADE_AWAIT));
    }

    /** At the Authenticate of a device that awaits configuration: it waits from now on. */
    void enrolled(DeviceId device) {
        Instant now = clock.instant();
        if (storage.putIfAbsent(AWAITING_PREFIX + device, now.toString().getBytes(StandardCharsets.UTF_8))) {
            registry.recordInventory(device, Map.of(SETUP_INVENTORY_KEY, AWAITING));
            log.info("ADE device {} awaits configuration: Setup Assistant waits for DeviceConfigured", device);
        }
    }

    /**
     * The {@code DeviceConfigured} command the device gets now, when it awaits configuration and either has all it is
     * assigned ({@code nothingQueued} and {@link DeviceSetup} finished) or has waited {@value #TIMEOUT_SETTING}.
     *
     * @param nothingQueued whether the kernel has no command left to hand the device
     */
    Optional<NSDictionary> release(DeviceId device, String storageKey, IssuedCertificate certificate, boolean nothingQueued) {
        if (!awaits(certificate)) {
            return Optional.empty();
        }
        Optional<Instant> since = storage.get(AWAITING_PREFIX + device).map(bytes -> Instant.parse(new String(bytes, StandardCharsets.UTF_8)));
        if (since.isEmpty()) {
            return Optional.empty();
        }
        boolean timedOut = !clock.instant().isBefore(since.get().plus(timeout));
        if (!timedOut && !nothingQueued) {
            return Optional.empty();
        }
        SetupProgress progress = setup.progress(device);
        if (!timedOut && !progress.finished()) {
            return Optional.empty();
        }
        String outcome = progress.finished() ? released(progress)
                : "released after " + timeout.toMinutes() + " minutes without finishing setup: " + pending(progress);
        UUID uuid = UUID.randomUUID();
        storage.put(COMMAND_PREFIX + uuid, (storageKey + "\n" + outcome).getBytes(StandardCharsets.UTF_8));
        NSDictionary request = new NSDictionary();
        request.put("RequestType", "DeviceConfigured");
        NSDictionary command = new NSDictionary();
        command.put("CommandUUID", uuid.toString());
        command.put("Command", request);
        log.info("ADE device {} is sent DeviceConfigured: {}", device, outcome);
        if (!progress.finished()) {
            // The admin's record of a device let into use unfinished: its activity shows it, beside the inventory.
            events.publish(releasedEvent, Map.of("deviceId", device.toString(), "timeout", timeout.toString(),
                    "settingsPending", progress.settingsPending(), "appsPending", progress.appsPending()));
        }
        return Optional.of(command);
    }

    /**
     * The devices held past {@value #TIMEOUT_SETTING} that were not woken for their release yet, each marked so that it
     * is returned once. A device whose setup stalled (an app it keeps putting off) may fall silent in Setup Assistant,
     * and the kernel pushes only devices with commands queued: without a wake-up it would wait until something else
     * woke it. Its next message then gets {@code DeviceConfigured} ({@link #release}).
     */
    List<DeviceId> overdueToWake() {
        Instant now = clock.instant();
        List<DeviceId> overdue = new ArrayList<>();
        for (String key : storage.keys(AWAITING_PREFIX)) {
            String device = key.substring(AWAITING_PREFIX.length());
            Optional<Instant> since = storage.get(key).map(bytes -> Instant.parse(new String(bytes, StandardCharsets.UTF_8)));
            if (since.isPresent() && !now.isBefore(since.get().plus(timeout))
                    && storage.putIfAbsent(WOKEN_PREFIX + device, now.toString().getBytes(StandardCharsets.UTF_8))) {
                overdue.add(DeviceId.parse(device));
            }
        }
        return overdue;
    }

    /**
     * Takes the answer to a {@code DeviceConfigured} this plugin sent the device, if the command was one.
     *
     * @return whether the command was this device's {@code DeviceConfigured}
     */
    boolean answered(DeviceId device, String storageKey, UUID commandUuid, String status, String errors) {
        Optional<String> marker = storage.get(COMMAND_PREFIX + commandUuid).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        if (marker.isEmpty() || !marker.get().startsWith(storageKey + "\n")) {
            return false;
        }
        storage.delete(COMMAND_PREFIX + commandUuid);
        String outcome = marker.get().substring(storageKey.length() + 1);
        switch (status) {
            case "Acknowledged" -> finish(device, outcome);
            case "NotNow" -> log.info("ADE device {} answered DeviceConfigured with NotNow; it is sent again", device);
            default -> finish(device, "DeviceConfigured refused (" + status + (errors.isEmpty() ? "" : ": " + errors) + ")");
        }
        return true;
    }

    private void finish(DeviceId device, String outcome) {
        storage.delete(AWAITING_PREFIX + device);
        storage.delete(WOKEN_PREFIX + device);
        registry.recordInventory(device, Map.of(SETUP_INVENTORY_KEY, outcome));
        log.info("ADE device {} left Setup Assistant's wait: {}", device, outcome);
    }

    private static String released(SetupProgress progress) {
        int failed = progress.settingsFailed() + progress.appsFailed();
        return "released: " + progress.settingsInstalled() + " settings and " + progress.appsInstalled() + " required apps installed"
                + (failed == 0 ? "" : ", " + progress.settingsFailed() + " settings and " + progress.appsFailed() + " apps failed");
    }

    private static String pending(SetupProgress progress) {
        return progress.settingsPending() + " settings and " + progress.appsPending() + " required apps still pending";
    }
}
