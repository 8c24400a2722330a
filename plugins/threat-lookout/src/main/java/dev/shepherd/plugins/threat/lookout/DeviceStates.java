package dev.shepherd.plugins.threat.lookout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What the connector knows of each Lookout device, in the plugin's storage ({@code device/<guid>}): the device
 * resource as Lookout last described it and its open threats by GUID. An event names one device or one threat, while
 * an assessment carries the device's whole verdict, so each event is applied here and the assessment is built from
 * the result. Applying is idempotent (threats are kept by GUID, the device is replaced), so an event delivered twice,
 * or read again after a poll that failed, changes nothing the second time.
 */
@Singleton
final class DeviceStates {

    private static final Logger log = LoggerFactory.getLogger(DeviceStates.class);
    private static final String PREFIX = "device/";
    /** More open threats than any device has; beyond it the oldest are forgotten, and the level still counts them. */
    static final int MAX_THREATS_PER_DEVICE = 500;

    private final PluginStorage storage;

    @Inject
    DeviceStates(PluginStorage storage) {
        this.storage = requireNonNull(storage, "storage is null");
    }

    /** Forgets every device: a full read from Lookout starts again. */
    void clear() {
        for (String key : storage.keys(PREFIX)) {
            storage.delete(key);
        }
    }

    /** @return the device's state after replacing its description */
    ObjectNode putDevice(String guid, JsonNode device) {
        ObjectNode state = load(guid);
        state.set("device", device.deepCopy());
        save(guid, state);
        return state;
    }

    /** @return the device's state after adding (open) or dropping (any other status) the threat */
    ObjectNode putThreat(String guid, String threatGuid, JsonNode threat) {
        ObjectNode state = load(guid);
        ObjectNode threats = state.with("threats");
        if (LookoutMapping.isOpen(threat)) {
            threats.set(threatGuid, threat.deepCopy());
            while (threats.size() > MAX_THREATS_PER_DEVICE) {
                threats.remove(threats.fieldNames().next());
            }
        } else {
            threats.remove(threatGuid);
        }
        save(guid, state);
        return state;
    }

    /** Forgets a device Lookout deleted. */
    void remove(String guid) {
        storage.delete(PREFIX + guid);
    }

    /**
     * @param guid the device's Lookout GUID
     * @param state its state
     * @param assessedAt when Lookout said so
     * @return the device's verdict: the worse of its security status and its open threats' risks, with those threats
     */
    static ThreatAssessment assess(String guid, JsonNode state, Instant assessedAt) {
        JsonNode device = state.path("device");
        List<Threat> threats = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = state.path("threats").fields(); it.hasNext(); ) {
            LookoutMapping.threat(it.next().getValue(), assessedAt).ifPresent(threats::add);
        }
        threats.sort(Comparator.comparing(Threat::severity).reversed().thenComparing(Threat::id));
        ThreatLevel level = device.isObject()
                ? LookoutMapping.securityStatus(LookoutJson.text(device, "security_status"))
                : threats.isEmpty() ? ThreatLevel.MEDIUM : ThreatLevel.NONE;
        for (Threat threat : threats) {
            if (threat.severity().isWorseThan(level)) {
                level = threat.severity();
            }
        }
        String verdict = device.isObject() ? LookoutMapping.verdict(device) : "device not described by Lookout yet";
        return new ThreatAssessment(LookoutMapping.vendorDevice(guid, device), level,
                verdict + ", open threats=" + threats.size(), threats, assessedAt);
    }

    private ObjectNode load(String guid) {
        Optional<byte[]> bytes = storage.get(PREFIX + guid);
        if (bytes.isPresent()) {
            try {
                JsonNode node = LookoutJson.MAPPER.readTree(bytes.get());
                if (node instanceof ObjectNode object) {
                    return object;
                }
            } catch (IOException e) {
                log.warn("The stored state of Lookout device {} is unreadable and starts afresh: {}", guid, e.getMessage());
            }
        }
        return LookoutJson.MAPPER.createObjectNode();
    }

    private void save(String guid, ObjectNode state) {
        storage.put(PREFIX + guid, LookoutJson.bytes(state));
    }
}
