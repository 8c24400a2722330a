package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.threat.Threat;
import dev.shepherd.api.threat.ThreatAssessment;
import dev.shepherd.api.threat.ThreatLevel;
import dev.shepherd.api.threat.VendorDevice;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * How one source's JSON payload becomes a {@link ThreatAssessment}: JSON Pointers (RFC 6901) to the parts, a map from
 * the vendor's words to the common levels and, for vendors that score, thresholds. Each delivery is the vendor's
 * current verdict on one device and replaces the previous one; a vendor that sends one event per threat therefore
 * sets the device's level with each event, and clears it with an event that maps to {@code NONE} or that carries the
 * {@code clearedWhenPresent} field.
 *
 * <p>The mapping's JSON, as admins set it (every key optional except {@code device.vendorDeviceId}):
 * <pre>{@code
 * {"eventType": "/type", "heartbeatEventTypes": ["heartbeat"],
 *  "device": {"vendorDeviceId": "/device/id", "serverDeviceId": "/device/serverDeviceId",
 *             "serialNumber": "/device/serialNumber", "name": "/device/name",
 *             "identifiers": "/device/identifiers", "identifierFields": {"udid": "/device/udid"}},
 *  "level": "/level", "levelValues": {"elevated": "HIGH"}, "levelThresholds": [{"atLeast": 70, "level": "HIGH"}],
 *  "verdict": "/verdict", "assessedAt": "/assessedAt", "clearedWhenPresent": "/mitigatedAt",
 *  "threats": {"array": "/threats", "id": "/id", "type": "/type", "name": "/name", "severity": "/severity",
 *              "firstSeen": "/firstSeen", "lastSeen": "/lastSeen", "link": "/link"}}
 * }</pre>
 * {@code threats.array} may be {@code ""}, the payload itself, for vendors whose payload is one threat; the threat
 * fields' pointers are relative to each threat. Without {@code level}, the level is the worst threat's severity
 * ({@code NONE} without threats). Level words are matched without regard to case, first in {@code levelValues}, then
 * as the common level names; numbers go through {@code levelThresholds} (the highest {@code atLeast} not above the
 * number wins; below all of them is {@code NONE}).
 *
 * @param definition the mapping's JSON, as validated
 */
record PayloadMapping(ObjectNode definition) {

    // The kernel's bounds on what a connector reports (ThreatLimits), met here so a sender learns of them as a 422.
    static final int MAX_THREATS = 100;
    static final int MAX_TEXT = 500;
    static final int MAX_ID = 200;
    static final int MAX_TYPE = 64;
    static final int MAX_NAME = 255;
    static final int MAX_SERIAL = 128;
    static final int MAX_IDENTIFIERS = 32;
    static final int MAX_IDENTIFIER_KIND = 64;
    static final int MAX_IDENTIFIER = 255;
    static final int MAX_LINK = 2_000;
    /** An assessment dated further ahead than this is refused: the kernel would let it shadow every later one. */
    static final Duration FUTURE_SKEW = Duration.ofMinutes(5);

    /** What a delivery turned out to be. */
    sealed interface Mapped {
    }

    /** A heartbeat: the vendor is alive, nothing about devices. */
    record Heartbeat(String eventType) implements Mapped {
    }

    /** A verdict on one device. */
    record Assessed(ThreatAssessment assessment) implements Mapped {
    }

    /** Shepherd's own payload shape, documented in the plugin's README; used when an admin sets no mapping. */
    static PayloadMapping shepherdDefault() {
        return parse(WebhookJson.read("""
                {"eventType": "/type", "heartbeatEventTypes": ["heartbeat"],
                 "device": {"vendorDeviceId": "/device/id", "serverDeviceId": "/device/serverDeviceId",
                            "serialNumber": "/device/serialNumber", "name": "/device/name", "identifiers": "/device/identifiers"},
                 "level": "/level", "verdict": "/verdict", "assessedAt": "/assessedAt",
                 "threats": {"array": "/threats", "id": "/id", "type": "/type", "name": "/name", "severity": "/severity",
                             "firstSeen": "/firstSeen", "lastSeen": "/lastSeen", "link": "/link"}}
                """.getBytes(StandardCharsets.UTF_8)).orElseThrow());
    }

    /**
     * Validates a mapping an admin set.
     *
     * @param definition the mapping's JSON
     * @return the mapping
     * @throws IllegalArgumentException with words for the admin when a part is wrong
     */
    static PayloadMapping parse(JsonNode definition) {
        requireNonNull(definition, "definition is null");
        if (!definition.isObject()) {
            throw new IllegalArgumentException("a mapping is a JSON object");
        }
        Set<String> known = Set.of("eventType", "heartbeatEventTypes", "device", "level", "levelValues", "levelThresholds", "verdict",
                "assessedAt", "clearedWhenPresent", "threats");
        unknownKeys(definition, known, "the mapping");
        PayloadMapping mapping = new PayloadMapping(definition.deepCopy());
        optionalPointer(definition, "eventType");
        if (definition.has("heartbeatEventTypes")) {
            JsonNode types = definition.get("heartbeatEventTypes");
            if (!types.isArray() || types.size() > 20) {
                throw new IllegalArgumentException("'heartbeatEventTypes' is an array of at most 20 event types");
            }
            types.forEach(type -> {
                if (!type.isTextual()) {
                    throw new IllegalArgumentException("'heartbeatEventTypes' holds text");
                }
            });
        }
        JsonNode device = definition.path("device");
        if (!device.isObject()) {
            throw new IllegalArgumentException("'device' is an object with at least 'vendorDeviceId'");
        }
        unknownKeys(device, Set.of("vendorDeviceId", "serverDeviceId", "serialNumber", "name", "identifiers", "identifierFields"), "'device'");
        if (optionalPointer(device, "vendorDeviceId").isEmpty()) {
            throw new IllegalArgumentException("'device.vendorDeviceId' is the JSON Pointer to the vendor's id of the device, and is required");
        }
        optionalPointer(device, "serverDeviceId");
        optionalPointer(device, "serialNumber");
        optionalPointer(device, "name");
        optionalPointer(device, "identifiers");
        if (device.has("identifierFields")) {
            JsonNode fields = device.get("identifierFields");
            if (!fields.isObject() || fields.size() > 20) {
                throw new IllegalArgumentException("'device.identifierFields' maps at most 20 identifier kinds to JSON Pointers");
            }
            fields.fieldNames().forEachRemaining(kind -> pointer(fields.get(kind), "device.identifierFields." + kind));
        }
        optionalPointer(definition, "level");
        mapping.values();
        mapping.thresholds();
        optionalPointer(definition, "verdict");
        optionalPointer(definition, "assessedAt");
        optionalPointer(definition, "clearedWhenPresent");
        if (definition.has("threats")) {
            JsonNode threats = definition.get("threats");
            if (!threats.isObject()) {
                throw new IllegalArgumentException("'threats' is an object of JSON Pointers");
            }
            unknownKeys(threats, Set.of("array", "id", "type", "name", "severity", "firstSeen", "lastSeen", "link"), "'threats'");
            if (optionalPointer(threats, "array").isEmpty() || optionalPointer(threats, "id").isEmpty()) {
                throw new IllegalArgumentException("'threats' needs 'array' (\"\" for a payload that is itself one threat) and 'id'");
            }
            for (String field : List.of("type", "name", "severity", "firstSeen", "lastSeen", "link")) {
                optionalPointer(threats, field);
            }
        }
        return mapping;
    }

    /**
     * Reads one payload.
     *
     * @param source the source's name, which namespaces the vendor's device ids
     * @param payload the delivery's JSON
     * @param deliveredAt the delivery's signed timestamp, the assessment's date when the payload carries none
     * @param now the server's clock
     * @return the heartbeat or the assessment
     * @throws DeliveryRefusedException 422 with words for the sender when the payload does not fit the mapping
     */
    Mapped map(String source, JsonNode payload, Instant deliveredAt, Instant now) throws DeliveryRefusedException {
        if (!payload.isObject()) {
            throw unprocessable("The payload is not a JSON object.");
        }
        Optional<String> eventType = text(payload, optionalPointer(definition, "eventType"));
        if (eventType.isPresent()) {
            for (JsonNode heartbeat : definition.path("heartbeatEventTypes")) {
                if (heartbeat.textValue().equalsIgnoreCase(eventType.get())) {
                    return new Heartbeat(eventType.get());
                }
            }
        }
        JsonNode device = definition.path("device");
        JsonPointer vendorIdPointer = optionalPointer(device, "vendorDeviceId").orElseThrow();
        String vendorId = text(payload, Optional.of(vendorIdPointer)).filter(id -> !id.isBlank())
                .orElseThrow(() -> unprocessable("The mapping's device id pointer " + vendorIdPointer + " finds no text or number in the payload."));
        if (vendorId.length() > MAX_ID) {
            throw unprocessable("The device id at " + vendorIdPointer + " is longer than " + MAX_ID + " characters.");
        }
        Optional<DeviceId> serverDeviceId = Optional.empty();
        Optional<String> serverId = text(payload, optionalPointer(device, "serverDeviceId")).filter(id -> !id.isBlank());
        if (serverId.isPresent()) {
            try {
                serverDeviceId = Optional.of(DeviceId.parse(serverId.get()));
            } catch (IllegalArgumentException e) {
                throw unprocessable("The server device id at " + optionalPointer(device, "serverDeviceId").orElseThrow() + " is not a UUID.");
            }
        }
        Map<String, String> identifiers = identifiers(payload, device);
        Optional<String> serialNumber = text(payload, optionalPointer(device, "serialNumber")).filter(serial -> !serial.isBlank());
        if (serialNumber.isPresent() && serialNumber.get().length() > MAX_SERIAL) {
            throw unprocessable("The serial number is longer than " + MAX_SERIAL + " characters.");
        }
        VendorDevice vendorDevice = new VendorDevice(source + ":" + vendorId, serverDeviceId, serialNumber, identifiers,
                text(payload, optionalPointer(device, "name")).filter(name -> !name.isBlank()).map(name -> clip(name, MAX_NAME)));

        Instant assessedAt = deliveredAt;
        Optional<JsonPointer> assessedAtPointer = optionalPointer(definition, "assessedAt");
        if (assessedAtPointer.isPresent() && !payload.at(assessedAtPointer.get()).isMissingNode() && !payload.at(assessedAtPointer.get()).isNull()) {
            assessedAt = Timestamps.read(payload.at(assessedAtPointer.get()))
                    .orElseThrow(() -> unprocessable("The assessment time at " + assessedAtPointer.get() + " is not an ISO 8601 time or a Unix time."));
        }
        if (assessedAt.isAfter(now.plus(FUTURE_SKEW))) {
            throw unprocessable("The assessment time " + assessedAt + " is in the future; check the sender's clock.");
        }
        Optional<JsonPointer> cleared = optionalPointer(definition, "clearedWhenPresent");
        if (cleared.isPresent() && present(payload.at(cleared.get()))) {
            return new Assessed(new ThreatAssessment(vendorDevice, ThreatLevel.NONE, "cleared (" + cleared.get() + ")", List.of(), assessedAt));
        }
        List<Threat> threats = threats(payload, assessedAt);
        Optional<JsonPointer> levelPointer = optionalPointer(definition, "level");
        ThreatLevel level;
        String verdict;
        if (levelPointer.isPresent()) {
            JsonNode raw = payload.at(levelPointer.get());
            if (!present(raw)) {
                throw unprocessable("The mapping's level pointer " + levelPointer.get() + " finds nothing in the payload.");
            }
            level = level(raw, levelPointer.get().toString());
            verdict = raw.isValueNode() ? raw.asText() : level.name();
        } else {
            level = threats.stream().map(Threat::severity).max(Comparator.naturalOrder()).orElse(ThreatLevel.NONE);
            verdict = level.name();
        }
        verdict = bounded(text(payload, optionalPointer(definition, "verdict"))).orElse(verdict);
        return new Assessed(new ThreatAssessment(vendorDevice, level, truncate(verdict), threats, assessedAt));
    }

    private Map<String, String> identifiers(JsonNode payload, JsonNode device) throws DeliveryRefusedException {
        Map<String, String> identifiers = new TreeMap<>();
        Optional<JsonPointer> all = optionalPointer(device, "identifiers");
        if (all.isPresent() && present(payload.at(all.get()))) {
            JsonNode object = payload.at(all.get());
            if (!object.isObject() || object.size() > 20) {
                throw unprocessable("The identifiers at " + all.get() + " are not an object of at most 20 kinds.");
            }
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getValue().isValueNode() && !field.getValue().isNull() && !field.getValue().asText().isBlank()) {
                    identifiers.put(field.getKey(), field.getValue().asText().strip());
                }
            }
        }
        JsonNode fields = device.path("identifierFields");
        Iterator<String> kinds = fields.fieldNames();
        while (kinds.hasNext()) {
            String kind = kinds.next();
            text(payload, Optional.of(pointer(fields.get(kind), kind))).filter(value -> !value.isBlank())
                    .ifPresent(value -> identifiers.put(kind, value));
        }
        if (identifiers.size() > MAX_IDENTIFIERS) {
            throw unprocessable("The payload names " + identifiers.size() + " identifiers of the device; at most " + MAX_IDENTIFIERS + ".");
        }
        for (Map.Entry<String, String> identifier : identifiers.entrySet()) {
            // An identifier cut short would match another device or none, so a long one is refused, not cut.
            if (identifier.getKey().length() > MAX_IDENTIFIER_KIND || identifier.getValue().length() > MAX_IDENTIFIER) {
                throw unprocessable("Identifier kinds are at most " + MAX_IDENTIFIER_KIND + " characters and their values at most "
                        + MAX_IDENTIFIER + "; '" + clip(identifier.getKey(), MAX_IDENTIFIER_KIND) + "' is longer.");
            }
        }
        return identifiers;
    }

    private List<Threat> threats(JsonNode payload, Instant assessedAt) throws DeliveryRefusedException {
        JsonNode rule = definition.path("threats");
        if (!rule.isObject()) {
            return List.of();
        }
        JsonPointer arrayPointer = optionalPointer(rule, "array").orElseThrow();
        JsonNode found = payload.at(arrayPointer);
        List<JsonNode> elements = new ArrayList<>();
        if (arrayPointer.matches()) {
            elements.add(payload);
        } else if (found.isArray()) {
            found.forEach(elements::add);
        } else if (present(found)) {
            throw unprocessable("The threats at " + arrayPointer + " are not an array.");
        }
        if (elements.size() > MAX_THREATS) {
            throw unprocessable("The payload lists more than " + MAX_THREATS + " threats.");
        }
        List<Threat> threats = new ArrayList<>();
        for (int index = 0; index < elements.size(); index++) {
            JsonNode element = elements.get(index);
            String where = arrayPointer.matches() ? "the payload" : "threat " + index + " at " + arrayPointer;
            JsonPointer idPointer = optionalPointer(rule, "id").orElseThrow();
            String id = text(element, Optional.of(idPointer)).filter(value -> !value.isBlank())
                    .orElseThrow(() -> unprocessable("The threat id pointer " + idPointer + " finds nothing in " + where + "."));
            if (id.length() > MAX_ID) {
                throw unprocessable("The threat id in " + where + " is longer than " + MAX_ID + " characters.");
            }
            String type = bounded(text(element, optionalPointer(rule, "type"))).filter(value -> !value.isBlank()).orElse("threat");
            String name = bounded(text(element, optionalPointer(rule, "name"))).filter(value -> !value.isBlank()).orElse(id);
            ThreatLevel severity = ThreatLevel.MEDIUM;
            Optional<JsonPointer> severityPointer = optionalPointer(rule, "severity");
            if (severityPointer.isPresent() && present(element.at(severityPointer.get()))) {
                severity = level(element.at(severityPointer.get()), "the severity of " + where);
            }
            Instant firstSeen = time(element, optionalPointer(rule, "firstSeen"), where).orElse(assessedAt);
            Instant lastSeen = time(element, optionalPointer(rule, "lastSeen"), where).orElse(firstSeen.isAfter(assessedAt) ? firstSeen : assessedAt);
            // Vendors' clocks disagree with themselves now and then; a last sighting before the first is the first.
            lastSeen = lastSeen.isBefore(firstSeen) ? firstSeen : lastSeen;
            Optional<URI> link = Optional.empty();
            Optional<String> linkText = text(element, optionalPointer(rule, "link")).filter(value -> !value.isBlank());
            if (linkText.isPresent()) {
                link = Optional.of(link(linkText.get(), where));
            }
            threats.add(new Threat(id, clip(type, MAX_TYPE), truncate(name), severity, firstSeen, lastSeen, link));
        }
        return threats;
    }

    private static URI link(String text, String where) throws DeliveryRefusedException {
        if (text.length() > MAX_LINK) {
            throw unprocessable("The link of " + where + " is longer than " + MAX_LINK + " characters.");
        }
        try {
            URI uri = new URI(text);
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                throw unprocessable("The link of " + where + " is not an http(s) URL.");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw unprocessable("The link of " + where + " is not a URL.");
        }
    }

    private Optional<Instant> time(JsonNode element, Optional<JsonPointer> pointer, String where) throws DeliveryRefusedException {
        if (pointer.isEmpty() || !present(element.at(pointer.get()))) {
            return Optional.empty();
        }
        Optional<Instant> time = Timestamps.read(element.at(pointer.get()));
        if (time.isEmpty()) {
            throw unprocessable("The time at " + pointer.get() + " in " + where + " is not an ISO 8601 time or a Unix time.");
        }
        return time;
    }

    private ThreatLevel level(JsonNode raw, String where) throws DeliveryRefusedException {
        List<Threshold> thresholds = thresholds();
        if (raw.isNumber() || raw.isTextual() && !thresholds.isEmpty() && isNumber(raw.textValue())) {
            if (thresholds.isEmpty()) {
                throw unprocessable("The level at " + where + " is the number " + raw.asText() + ", but the mapping has no 'levelThresholds'.");
            }
            double score = raw.isNumber() ? raw.doubleValue() : Double.parseDouble(raw.textValue().strip());
            ThreatLevel level = ThreatLevel.NONE;
            for (Threshold threshold : thresholds) {
                if (score >= threshold.atLeast()) {
                    level = threshold.level();
                }
            }
            return level;
        }
        if (raw.isTextual()) {
            String word = raw.textValue().strip().toLowerCase(Locale.ROOT);
            ThreatLevel mapped = values().get(word);
            if (mapped != null) {
                return mapped;
            }
            for (ThreatLevel level : ThreatLevel.values()) {
                if (level.name().toLowerCase(Locale.ROOT).equals(word)) {
                    return level;
                }
            }
        }
        Set<String> words = new LinkedHashSet<>();
        definition.path("levelValues").fieldNames().forEachRemaining(words::add);
        for (ThreatLevel level : ThreatLevel.values()) {
            words.add(level.name());
        }
        throw unprocessable("The level at " + where + " is '" + truncate(raw.asText()) + "', which the mapping does not know; it knows "
                + String.join(", ", words) + (thresholds.isEmpty() ? "" : " and numbers through its thresholds") + ".");
    }

    private static boolean isNumber(String text) {
        try {
            Double.parseDouble(text.strip());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** @return the vendor's words, lower case, to levels */
    private Map<String, ThreatLevel> values() {
        JsonNode values = definition.path("levelValues");
        if (values.isMissingNode()) {
            return Map.of();
        }
        if (!values.isObject() || values.size() > 50) {
            throw new IllegalArgumentException("'levelValues' maps at most 50 of the vendor's words to NONE, LOW, MEDIUM, HIGH or CRITICAL");
        }
        Map<String, ThreatLevel> mapped = new LinkedHashMap<>();
        values.fields().forEachRemaining(entry -> mapped.put(entry.getKey().strip().toLowerCase(Locale.ROOT), levelName(entry.getValue(), "levelValues." + entry.getKey())));
        return mapped;
    }

    private record Threshold(double atLeast, ThreatLevel level) {
    }

    private List<Threshold> thresholds() {
        JsonNode thresholds = definition.path("levelThresholds");
        if (thresholds.isMissingNode()) {
            return List.of();
        }
        if (!thresholds.isArray() || thresholds.size() > 10) {
            throw new IllegalArgumentException("'levelThresholds' is an array of at most 10 {\"atLeast\": number, \"level\": name}");
        }
        List<Threshold> parsed = new ArrayList<>();
        for (JsonNode threshold : thresholds) {
            if (!threshold.path("atLeast").isNumber()) {
                throw new IllegalArgumentException("each of 'levelThresholds' has a number 'atLeast'");
            }
            parsed.add(new Threshold(threshold.path("atLeast").doubleValue(), levelName(threshold.path("level"), "levelThresholds.level")));
        }
        for (int i = 1; i < parsed.size(); i++) {
            if (parsed.get(i).atLeast() <= parsed.get(i - 1).atLeast()) {
                throw new IllegalArgumentException("'levelThresholds' are listed by rising 'atLeast'");
            }
        }
        return parsed;
    }

    private static ThreatLevel levelName(JsonNode node, String where) {
        if (node.isTextual()) {
            for (ThreatLevel level : ThreatLevel.values()) {
                if (level.name().equalsIgnoreCase(node.textValue().strip())) {
                    return level;
                }
            }
        }
        throw new IllegalArgumentException("'" + where + "' is one of NONE, LOW, MEDIUM, HIGH, CRITICAL");
    }

    private static boolean present(JsonNode node) {
        return !node.isMissingNode() && !node.isNull() && !(node.isTextual() && node.textValue().isBlank());
    }

    private static Optional<String> text(JsonNode payload, Optional<JsonPointer> pointer) {
        if (pointer.isEmpty()) {
            return Optional.empty();
        }
        JsonNode node = payload.at(pointer.get());
        return node.isTextual() || node.isNumber() ? Optional.of(node.asText().strip()) : Optional.empty();
    }

    private static Optional<String> bounded(Optional<String> text) {
        return text.map(PayloadMapping::truncate);
    }

    private static String truncate(String text) {
        return clip(text, MAX_TEXT);
    }

    private static String clip(String text, int length) {
        return text.length() <= length ? text : text.substring(0, length);
    }

    private static Optional<JsonPointer> optionalPointer(JsonNode object, String field) {
        JsonNode node = object.get(field);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(pointer(node, field));
    }

    private static JsonPointer pointer(JsonNode node, String field) {
        if (!node.isTextual() || node.textValue().length() > 200) {
            throw new IllegalArgumentException("'" + field + "' is a JSON Pointer such as \"/device/id\"");
        }
        try {
            return JsonPointer.compile(node.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + field + "' is not a JSON Pointer (RFC 6901: \"\" or a path starting with '/')");
        }
    }

    private static void unknownKeys(JsonNode object, Set<String> known, String where) {
        object.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(where + " has no part '" + name + "'; it knows " + String.join(", ", new TreeSet<>(known)));
            }
        });
    }

    private static DeliveryRefusedException unprocessable(String detail) {
        return new DeliveryRefusedException(422, "Payload does not fit the source's mapping", detail);
    }

    /**
     * @param assessment a mapped assessment
     * @return its JSON, as the admin's mapping trial shows it
     */
    static ObjectNode describe(ThreatAssessment assessment) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ObjectNode device = out.putObject("device");
        device.put("vendorDeviceId", assessment.device().vendorDeviceId());
        assessment.device().serverDeviceId().ifPresent(id -> device.put("serverDeviceId", id.toString()));
        assessment.device().serialNumber().ifPresent(serial -> device.put("serialNumber", serial));
        assessment.device().name().ifPresent(name -> device.put("name", name));
        ObjectNode identifiers = device.putObject("identifiers");
        assessment.device().identifiers().forEach(identifiers::put);
        out.put("level", assessment.level().name());
        out.put("vendorVerdict", assessment.vendorVerdict());
        out.put("assessedAt", assessment.assessedAt().toString());
        ArrayNode threats = out.putArray("threats");
        for (Threat threat : assessment.threats()) {
            ObjectNode item = threats.addObject();
            item.put("id", threat.id());
            item.put("type", threat.type());
            item.put("name", threat.name());
            item.put("severity", threat.severity().name());
            item.put("firstSeen", threat.firstSeen().toString());
            item.put("lastSeen", threat.lastSeen().toString());
            threat.link().ifPresent(link -> item.put("link", link.toString()));
        }
        return out;
    }
}
