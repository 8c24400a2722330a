package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatDefenseConnector;
import dev.shepherd.api.threat.ThreatDefenseException;
import dev.shepherd.api.threat.ThreatPoll;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Lookout Mobile Endpoint Security as a threat-defense connector ({@code lookout}), polled by the kernel.
 *
 * <p><b>Near real time through the event stream.</b> The first poll, and every poll after the kernel lost the cursor,
 * reads Lookout's open threats and then its devices page by page (one page per poll, {@code more = true} between
 * pages) and reports every device. Every later poll opens the event stream where the previous one stopped, reads it
 * for a few seconds (until it is quiet, until the read time is up, or until enough events arrived), turns its DEVICE
 * and THREAT events into assessments and returns the id of the last event it read whole as the cursor. The kernel keeps
 * that cursor with the assessments in one transaction, so a disconnect, a failed poll or a restart resumes exactly
 * there: nothing is lost, and an event read twice changes nothing twice (see {@link DeviceStates}). With the default
 * poll interval of 30 s a change reaches compliance within about half a minute.
 */
@Extension
public final class LookoutConnector implements ThreatDefenseConnector {

    private static final Logger log = LoggerFactory.getLogger(LookoutConnector.class);
    /** Lookout keeps 10 days of its stream; a position older than this (with a margin) starts a full read instead. */
    static final Duration STREAM_HISTORY = Duration.ofDays(10).minusHours(1);

    private final LookoutSettings settings;
    private final LookoutClient client;
    private final DeviceStates states;
    private final Clock clock;

    @Inject
    public LookoutConnector(LookoutSettings settings, LookoutClient client, DeviceStates states, Clock clock) {
        this.settings = requireNonNull(settings, "settings is null");
        this.client = requireNonNull(client, "client is null");
        this.states = requireNonNull(states, "states is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public String id() {
        return "lookout";
    }

    @Override
    public String displayName() {
        return "Lookout Mobile Endpoint Security";
    }

    @Override
    public Optional<String> setupProblem() {
        return settings.applicationKeySet() ? Optional.empty()
                : Optional.of("Set a Lookout application key (Lookout console: System > Application Keys) on the connector's page");
    }

    @Override
    public Optional<Duration> pollInterval() {
        return Optional.of(settings.pollInterval());
    }

    @Override
    public ThreatPoll poll(Optional<String> cursor) throws ThreatDefenseException {
        Instant now = clock.instant();
        LookoutCursor at = cursor.flatMap(this::parse).orElseGet(() -> LookoutCursor.start(now));
        boolean streaming = at.phase() == LookoutCursor.Phase.STREAM_FROM_TIME || at.phase() == LookoutCursor.Phase.STREAM_FROM_ID;
        if (streaming && at.since().isBefore(now.minus(STREAM_HISTORY))) {
            log.info("The Lookout stream position is older than Lookout keeps its stream; reading every device again");
            return threatsPage(LookoutCursor.start(now));
        }
        return switch (at.phase()) {
            case THREATS -> threatsPage(at);
            case DEVICES -> devicesPage(at);
            case STREAM_FROM_TIME, STREAM_FROM_ID -> {
                try {
                    yield stream(at, now);
                } catch (LookoutClient.PositionRefused e) {
                    log.warn("Lookout refused to resume its event stream where the connector stopped ({}); reading every device again",
                            e.getMessage());
                    yield threatsPage(LookoutCursor.start(now));
                }
            }
        };
    }

    private Optional<LookoutCursor> parse(String text) {
        try {
            return Optional.of(LookoutCursor.parse(text));
        } catch (IllegalArgumentException e) {
            log.warn("The stored Lookout cursor is unreadable; reading every device again");
            return Optional.empty();
        }
    }

    private ThreatPoll threatsPage(LookoutCursor at) throws ThreatDefenseException {
        if (at.position().isEmpty()) {
            states.clear();
        }
        LookoutClient.Page page = client.openThreats(at.position(), settings.pageSize());
        for (JsonNode threat : page.items()) {
            Optional<String> threatGuid = LookoutJson.identifier(threat, "guid");
            Optional<String> deviceGuid = LookoutMapping.threatDeviceGuid(threat);
            if (threatGuid.isPresent() && deviceGuid.isPresent()) {
                states.putThreat(deviceGuid.get(), threatGuid.get(), threat);
            } else {
                log.warn("Skipped a Lookout threat without a usable guid or device guid");
            }
        }
        LookoutCursor next = page.full() && page.lastOid().isPresent()
                ? at.at(LookoutCursor.Phase.THREATS, page.lastOid())
                : at.at(LookoutCursor.Phase.DEVICES, Optional.empty());
        return new ThreatPoll(List.of(), Optional.of(next.format()), true);
    }

    private ThreatPoll devicesPage(LookoutCursor at) throws ThreatDefenseException {
        LookoutClient.Page page = client.devices(at.position(), settings.pageSize());
        List<ThreatAssessment> assessments = new ArrayList<>();
        for (JsonNode device : page.items()) {
            Optional<String> guid = LookoutJson.identifier(device, "guid");
            if (guid.isEmpty()) {
                log.warn("Skipped a Lookout device without a usable guid");
                continue;
            }
            // Stamped with the moment the full read began: any stream event after it is newer and wins.
            assessments.add(DeviceStates.assess(guid.get(), states.putDevice(guid.get(), device), at.since()));
        }
        boolean more = page.full() && page.lastOid().isPresent();
        LookoutCursor next = more ? at.at(LookoutCursor.Phase.DEVICES, page.lastOid())
                : at.at(LookoutCursor.Phase.STREAM_FROM_TIME, Optional.empty());
        return new ThreatPoll(assessments, Optional.of(next.format()), more);
    }

    private ThreatPoll stream(LookoutCursor at, Instant now) throws ThreatDefenseException {
        Optional<String> fromId = at.phase() == LookoutCursor.Phase.STREAM_FROM_ID ? at.position() : Optional.empty();
        LookoutClient.StreamRead read = client.readStream(fromId, at.since(), settings.streamReadTime(), settings.streamIdleTime(),
                settings.maxEventsPerPoll());
        // One assessment per device and poll: the last one, which already contains every earlier event.
        Map<String, ThreatAssessment> assessments = new LinkedHashMap<>();
        for (JsonNode event : read.events()) {
            apply(event).ifPresent(assessment -> {
                assessments.remove(assessment.device().vendorDeviceId());
                assessments.put(assessment.device().vendorDeviceId(), assessment);
            });
        }
        LookoutCursor next = read.lastEventId().map(id -> LookoutCursor.afterEvent(id, now)).orElse(at);
        return new ThreatPoll(new ArrayList<>(assessments.values()), Optional.of(next.format()), read.cutShort());
    }

    private Optional<ThreatAssessment> apply(JsonNode event) {
        String type = LookoutJson.text(event, "type").orElse("");
        Instant when = LookoutJson.instant(event, "created_time").orElseGet(clock::instant);
        if (type.equals("DEVICE")) {
            JsonNode device = event.path("device");
            Optional<String> guid = LookoutJson.identifier(device, "guid").or(() -> LookoutJson.identifier(event, "target", "guid"));
            if (guid.isEmpty() || !device.isObject()) {
                log.warn("Skipped Lookout DEVICE event {} without a usable device", LookoutJson.text(event, "id").orElse("?"));
                return Optional.empty();
            }
            if (LookoutJson.text(event, "change_type").map(change -> change.startsWith("DELETE")).orElse(false)) {
                // Lookout no longer watches the device: forget it; the kernel keeps its last verdict.
                states.remove(guid.get());
                return Optional.empty();
            }
            return Optional.of(DeviceStates.assess(guid.get(), states.putDevice(guid.get(), device), when));
        }
        if (type.equals("THREAT")) {
            JsonNode threat = event.path("threat");
            Optional<String> threatGuid = LookoutJson.identifier(threat, "guid").or(() -> LookoutJson.identifier(threat, "id"));
            Optional<String> guid = LookoutMapping.threatDeviceGuid(threat).or(() -> LookoutJson.identifier(event, "target", "guid"));
            if (threatGuid.isEmpty() || guid.isEmpty()) {
                log.warn("Skipped Lookout THREAT event {} without a usable threat or device", LookoutJson.text(event, "id").orElse("?"));
                return Optional.empty();
            }
            ObjectNode state = states.putThreat(guid.get(), threatGuid.get(), threat);
            return Optional.of(DeviceStates.assess(guid.get(), state, when));
        }
        return Optional.empty();
    }
}
