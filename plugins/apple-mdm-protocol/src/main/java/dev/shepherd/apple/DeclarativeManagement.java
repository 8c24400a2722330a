package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Apple's Declarative Device Management over the {@code DeclarativeManagement} check-in message: the device asks
 * for the synchronisation {@code tokens}, the {@code declaration-items}, each {@code declaration/<kind>/<id>}, and
 * sends {@code status} reports. The server declares a status subscription (OS version, build, model, software
 * update state, passcode), activated unconditionally, and records every reported status item as the device's
 * actual state ({@code ddm.*} inventory, the OS version also as {@code os.version}).
 */
public final class DeclarativeManagement {

    /** A declaration as served to devices. */
    public record Declaration(String kind, String type, String identifier, Map<String, Object> payload) {
        public Declaration {
            requireNonNull(kind, "kind is null");
            requireNonNull(type, "type is null");
            requireNonNull(identifier, "identifier is null");
            payload = Map.copyOf(payload);
        }
    }

    /** An answer: HTTP status and JSON body (empty for none). */
    public record Answer(int status, byte[] json) {
    }

    /** The status items every device reports. */
    public static final List<String> SUBSCRIBED_STATUS = List.of("device.operating-system.version",
            "device.operating-system.build-version", "device.model.identifier", "softwareupdate.install-state",
            "softwareupdate.pending-version", "passcode.is-compliant", "passcode.is-present");
    static final int MAX_STATUS_BYTES = 256 * 1024;

    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock;
    private final List<Declaration> declarations;

    public DeclarativeManagement(Clock clock) {
        this.clock = requireNonNull(clock, "clock is null");
        List<Map<String, Object>> items = SUBSCRIBED_STATUS.stream().map(name -> Map.<String, Object>of("Name", name)).toList();
        Declaration subscriptions = new Declaration("configuration", "com.apple.configuration.management.status-subscriptions",
                "dev.shepherd.status-subscriptions", Map.of("StatusItems", items));
        Declaration activation = new Declaration("activation", "com.apple.activation.simple", "dev.shepherd.activation",
                Map.of("StandardConfigurations", List.of(subscriptions.identifier())));
        this.declarations = List.of(activation, subscriptions);
    }

    /** @return the declarations devices are given */
    public List<Declaration> declarations() {
        return declarations;
    }

    /**
     * Answers one DeclarativeManagement request.
     *
     * @param endpoint the message's {@code Endpoint}
     * @param data the message's {@code Data}, the status report for {@code status}
     * @param inventory receives the reported status as inventory
     * @return the answer
     */
    public Answer handle(String endpoint, Optional<byte[]> data, java.util.function.Consumer<Map<String, String>> inventory) {
        if (endpoint.equals("tokens")) {
            return ok(Map.of("SyncTokens", Map.of("DeclarationsToken", declarationsToken(), "Timestamp", clock.instant().toString())));
        }
        if (endpoint.equals("declaration-items")) {
            Map<String, List<Map<String, String>>> byKind = new LinkedHashMap<>();
            for (String kind : List.of("Activations", "Configurations", "Assets", "Management")) {
                byKind.put(kind, new ArrayList<>());
            }
            for (Declaration declaration : declarations) {
                String kind = Character.toUpperCase(declaration.kind().charAt(0)) + declaration.kind().substring(1) + "s";
                byKind.get(kind).add(Map.of("Identifier", declaration.identifier(), "ServerToken", serverToken(declaration)));
            }
            return ok(Map.of("Declarations", byKind, "DeclarationsToken", declarationsToken()));
        }
        if (endpoint.startsWith("declaration/")) {
            String[] parts = endpoint.split("/", 3);
            return declarations.stream()
                    .filter(declaration -> parts.length == 3 && declaration.kind().equals(parts[1]) && declaration.identifier().equals(parts[2]))
                    .findFirst()
                    .map(declaration -> ok(Map.of("Type", declaration.type(), "Identifier", declaration.identifier(),
                            "ServerToken", serverToken(declaration), "Payload", declaration.payload())))
                    .orElseGet(() -> new Answer(404, new byte[0]));
        }
        if (endpoint.equals("status")) {
            if (data.isEmpty() || data.get().length > MAX_STATUS_BYTES) {
                return new Answer(400, new byte[0]);
            }
            JsonNode report;
            try {
                report = json.readTree(data.get());
            } catch (java.io.IOException e) {
                return new Answer(400, new byte[0]);
            }
            if (report == null || !report.path("StatusItems").isObject()) {
                return new Answer(400, new byte[0]);
            }
            Map<String, String> reported = new LinkedHashMap<>();
            flatten("ddm.", report.path("StatusItems"), reported);
            if (report.path("Errors").isArray()) {
                reported.put("ddm.errors", String.valueOf(report.path("Errors").size()));
            }
            JsonNode version = report.path("StatusItems").path("device").path("operating-system").path("version");
            if (version.isTextual()) {
                reported.put("os.version", version.asText());
            }
            if (!reported.isEmpty()) {
                inventory.accept(reported);
            }
            return new Answer(200, new byte[0]);
        }
        return new Answer(404, new byte[0]);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> into) {
        node.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            if (value.isObject()) {
                flatten(prefix + field.getKey() + ".", value, into);
            } else if (value.isValueNode()) {
                into.put(prefix + field.getKey(), value.asText());
            } else if (value.isArray()) {
                into.put(prefix + field.getKey() + ".count", String.valueOf(value.size()));
            }
        });
    }

    private String serverToken(Declaration declaration) {
        return sha256(write(List.of(declaration.type(), declaration.identifier(), declaration.payload())));
    }

    private String declarationsToken() {
        StringBuilder tokens = new StringBuilder();
        declarations.forEach(declaration -> tokens.append(serverToken(declaration)).append(','));
        return sha256(tokens.toString());
    }

    private Answer ok(Object body) {
        return new Answer(200, write(body).getBytes(StandardCharsets.UTF_8));
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a declaration", e);
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
