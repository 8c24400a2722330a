package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.shepherd.api.policy.SettingState;

import java.io.IOException;
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
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Apple's Declarative Device Management over the {@code DeclarativeManagement} check-in message: the device asks
 * for the synchronisation {@code tokens}, the {@code declaration-items}, each {@code declaration/<kind>/<id>}, and
 * sends {@code status} reports.
 *
 * <p>Every device is served a status subscription (OS version, build, model, software update state, passcode, and the
 * state of its declarations), activated unconditionally, plus the declarations of its own settings
 * ({@link SettingDeclarations}), which the caller passes in. Each declaration's {@code ServerToken} is a digest of its
 * content and the {@code DeclarationsToken} a digest of all of them, so any change to what a device is served
 * changes its tokens and the device fetches again. Every reported status item is recorded as the device's actual
 * state ({@code ddm.*} inventory, the OS version also as {@code os.version}); the reported state of each declaration
 * ({@code management.declarations}) goes to the caller, which turns it into setting states.
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

    /**
     * What a device reported about one declaration in {@code management.declarations}.
     *
     * @param valid {@code valid}, {@code invalid} or {@code unknown}
     * @param reasons the device's reasons, each as "description (code)"
     */
    public record DeclarationStatus(String identifier, String serverToken, boolean active, String valid, List<String> reasons) {
        public DeclarationStatus {
            requireNonNull(identifier, "identifier is null");
            requireNonNull(serverToken, "serverToken is null");
            requireNonNull(valid, "valid is null");
            reasons = List.copyOf(reasons);
        }
    }

    /** An answer: HTTP status and JSON body (empty for none). */
    public record Answer(int status, byte[] json) {
    }

    /** The status items every device reports. */
    public static final List<String> SUBSCRIBED_STATUS = List.of("device.operating-system.version",
            "device.operating-system.build-version", "device.model.identifier", "softwareupdate.install-state",
            "softwareupdate.pending-version", "passcode.is-compliant", "passcode.is-present", "management.declarations");
    static final int MAX_STATUS_BYTES = 256 * 1024;

    // Keys sorted: the server tokens must not depend on a map's iteration order, which differs between runs. Status
    // reports come from devices: bounded (a report is about four levels deep) before flatten() recurses over them.
    private final ObjectMapper json = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(Plists.MAX_DEPTH).maxNumberLength(100).build()).build())
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true).build();
    private final Clock clock;
    private final List<Declaration> statusDeclarations;

    public DeclarativeManagement(Clock clock) {
        this.clock = requireNonNull(clock, "clock is null");
        List<Map<String, Object>> items = SUBSCRIBED_STATUS.stream().map(name -> Map.<String, Object>of("Name", name)).toList();
        Declaration subscriptions = new Declaration("configuration", "com.apple.configuration.management.status-subscriptions",
                "dev.shepherd.status-subscriptions", Map.of("StatusItems", items));
        Declaration activation = new Declaration("activation", "com.apple.activation.simple", "dev.shepherd.activation",
                Map.of("StandardConfigurations", List.of(subscriptions.identifier())));
        this.statusDeclarations = List.of(activation, subscriptions);
    }

    /** @return the declarations every device is given */
    public List<Declaration> declarations() {
        return statusDeclarations;
    }

    /**
     * @param settingDeclarations the declarations of a device's settings
     * @return everything the device is served
     */
    public List<Declaration> served(List<Declaration> settingDeclarations) {
        List<Declaration> served = new ArrayList<>(statusDeclarations);
        served.addAll(settingDeclarations);
        return List.copyOf(served);
    }

    /**
     * @param served what the device is served
     * @return the {@code tokens} answer, also the {@code Data} of the {@code DeclarativeManagement} command
     */
    public byte[] tokens(List<Declaration> served) {
        return write(Map.of("SyncTokens", Map.of("DeclarationsToken", declarationsToken(served), "Timestamp", clock.instant().toString())))
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Answers one DeclarativeManagement request.
     *
     * @param endpoint the message's {@code Endpoint}
     * @param data the message's {@code Data}, the status report for {@code status}
     * @param served the declarations the device is served ({@link #served})
     * @param inventory receives the reported status as inventory
     * @param declarationStatus receives the state of every declaration, when the report has {@code management.declarations}
     * @return the answer
     */
    public Answer handle(String endpoint, Optional<byte[]> data, List<Declaration> served, Consumer<Map<String, String>> inventory,
                         Consumer<List<DeclarationStatus>> declarationStatus) {
        if (endpoint.equals("tokens")) {
            return new Answer(200, tokens(served));
        }
        if (endpoint.equals("declaration-items")) {
            Map<String, List<Map<String, String>>> byKind = new LinkedHashMap<>();
            for (String kind : List.of("Activations", "Configurations", "Assets", "Management")) {
                byKind.put(kind, new ArrayList<>());
            }
            for (Declaration declaration : served) {
                String kind = Character.toUpperCase(declaration.kind().charAt(0)) + declaration.kind().substring(1) + "s";
                byKind.get(kind).add(Map.of("Identifier", declaration.identifier(), "ServerToken", serverToken(declaration)));
            }
            return ok(Map.of("Declarations", byKind, "DeclarationsToken", declarationsToken(served)));
        }
        if (endpoint.startsWith("declaration/")) {
            String[] parts = endpoint.split("/", 3);
            return served.stream()
                    .filter(declaration -> parts.length == 3 && declaration.kind().equals(parts[1]) && declaration.identifier().equals(parts[2]))
                    .findFirst()
                    .map(declaration -> new Answer(200, declarationJson(declaration)))
                    .orElseGet(() -> new Answer(404, new byte[0]));
        }
        if (endpoint.equals("status")) {
            if (data.isEmpty() || data.get().length > MAX_STATUS_BYTES) {
                return new Answer(400, new byte[0]);
            }
            JsonNode report;
            try {
                report = json.readTree(data.get());
            } catch (IOException e) {
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
            // The passcode status items in the kernel's terms, for compliance rules.
            JsonNode passcode = report.path("StatusItems").path("passcode");
            if (passcode.path("is-present").isBoolean()) {
                reported.put("passcode.present", String.valueOf(passcode.path("is-present").asBoolean()));
            }
            if (passcode.path("is-compliant").isBoolean()) {
                reported.put("passcode.compliant", String.valueOf(passcode.path("is-compliant").asBoolean()));
            }
            if (!reported.isEmpty()) {
                inventory.accept(reported);
            }
            JsonNode declarations = report.path("StatusItems").path("management").path("declarations");
            if (declarations.isObject()) {
                declarationStatus.accept(declarationStatus(declarations));
            }
            return new Answer(200, new byte[0]);
        }
        return new Answer(404, new byte[0]);
    }

    /** @return the declaration as the device fetches it */
    public byte[] declarationJson(Declaration declaration) {
        return write(Map.of("Type", declaration.type(), "Identifier", declaration.identifier(), "ServerToken", serverToken(declaration),
                "Payload", declaration.payload())).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @return the declaration's {@code ServerToken}: a digest of its content, so it changes whenever the content does
     */
    public String serverToken(Declaration declaration) {
        return sha256(write(List.of(declaration.type(), declaration.identifier(), declaration.payload())));
    }

    /** What a device's status says about one setting. */
    public record SettingOutcome(SettingState state, Optional<String> reason) {
        public SettingOutcome {
            requireNonNull(state, "state is null");
            requireNonNull(reason, "reason is null");
        }
    }

    /**
     * Reads one setting's state from what the device reported about its declarations. Statuses about another version
     * of a declaration (another server token) do not count: the device has not processed the current one yet.
     *
     * @param declarations the setting's declarations
     * @param reported the device's latest status of each declaration, by identifier
     * @return {@code INSTALLED} when every declaration is active and valid; {@code FAILED} with the device's reasons
     *         when one is invalid, or inactive for a reason; empty until the device has reported on all of them
     */
    public Optional<SettingOutcome> outcome(List<Declaration> declarations, Map<String, DeclarationStatus> reported) {
        List<String> reasons = new ArrayList<>();
        boolean failed = false;
        boolean complete = true;
        for (Declaration declaration : declarations) {
            DeclarationStatus status = reported.get(declaration.identifier());
            if (status == null || !status.serverToken().equals(serverToken(declaration))) {
                complete = false;
                continue;
            }
            if (status.valid().equals("invalid") || !status.active() && !status.reasons().isEmpty()) {
                failed = true;
                reasons.add(declaration.identifier() + ": " + (status.reasons().isEmpty() ? status.valid() : String.join("; ", status.reasons())));
            } else if (!status.active() || !status.valid().equals("valid")) {
                complete = false;
            }
        }
        if (failed) {
            return Optional.of(new SettingOutcome(SettingState.FAILED, Optional.of(String.join("; ", reasons))));
        }
        return complete ? Optional.of(new SettingOutcome(SettingState.INSTALLED, Optional.empty())) : Optional.empty();
    }

    private static List<DeclarationStatus> declarationStatus(JsonNode declarations) {
        List<DeclarationStatus> statuses = new ArrayList<>();
        for (String kind : List.of("activations", "configurations", "assets", "management")) {
            for (JsonNode item : declarations.path(kind)) {
                if (!item.path("identifier").isTextual()) {
                    continue;
                }
                List<String> reasons = new ArrayList<>();
                for (JsonNode reason : item.path("reasons")) {
                    String code = reason.path("code").asText("");
                    reasons.add(reason.path("description").isTextual() ? reason.path("description").asText() + " (" + code + ")" : code);
                }
                statuses.add(new DeclarationStatus(item.path("identifier").asText(), item.path("server-token").asText(""),
                        item.path("active").asBoolean(false), item.path("valid").asText("unknown"), reasons));
            }
        }
        return statuses;
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

    private String declarationsToken(List<Declaration> served) {
        StringBuilder tokens = new StringBuilder();
        served.forEach(declaration -> tokens.append(serverToken(declaration)).append(','));
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
