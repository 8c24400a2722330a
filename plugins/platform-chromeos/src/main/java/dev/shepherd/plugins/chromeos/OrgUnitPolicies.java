package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Carries the kernel's setting commands out on Google's org units, and reads the result back.
 *
 * <p>Google sets policies per organizational unit, Shepherd per device. A setting is therefore applied to a device's
 * org unit only when every synced device of that unit wants the same value for it (their effective policies agree);
 * otherwise setting it would change devices that are not meant to have it, so the command fails naming the conflict.
 * A removal hands the setting's schemas back to the parent unit ({@code batchInherit}) once no device of the unit
 * wants the setting any more, except a schema another setting of the unit still writes, which is set again to that
 * setting's fields instead. Each batch call carries one policy namespace, as Google requires. After a change, {@code policies:resolve} reads what Google now applies; the command is
 * acknowledged (the setting becomes {@code INSTALLED}) only when that matches what was compiled.
 */
@Singleton
public final class OrgUnitPolicies {

    /** Storage keys of what this plugin defined through the networks methods: {@code network/<orgUnitId>/<settingKey>}. */
    static final String NETWORK_PREFIX = "network/";
    /** Fields Google need not echo back (it keeps secrets write-only), so their absence is no difference. */
    private static final Set<String> SECRETS = Set.of("passphrase", "psk", "password");

    private final GoogleApi google;
    private final PolicyService policies;
    private final OrgUnits orgUnits;
    private final PluginStorage storage;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public OrgUnitPolicies(GoogleApi google, PolicyService policies, OrgUnits orgUnits, PluginStorage storage) {
        this.storage = requireNonNull(storage, "storage is null");
        this.google = requireNonNull(google, "google is null");
        this.policies = requireNonNull(policies, "policies is null");
        this.orgUnits = requireNonNull(orgUnits, "orgUnits is null");
    }

    /**
     * Carries out one setting command for a device of an org unit.
     *
     * @param unit the device's org unit
     * @param command an {@code INSTALL_PROFILE} or {@code REMOVE_PROFILE}
     * @return the command's result
     * @throws GoogleException when Google failed transiently; the command is left to be tried again
     * @throws InterruptedException when the plugin is stopping
     */
    public CommandResult apply(OrgUnits.OrgUnit unit, Command command) throws GoogleException, InterruptedException {
        String key = String.valueOf(command.parameters().get("settingKey"));
        String type = String.valueOf(command.parameters().get("settingType"));
        List<DeviceId> members = orgUnits.current().members(unit.path());
        try {
            if (command.type() == CommandType.INSTALL_PROFILE) {
                Map<String, Object> value = command.parameters().get("value") instanceof Map<?, ?> map ? stringKeys(map) : Map.of();
                Optional<String> conflict = conflict(unit, members, key, Optional.of(value));
                if (conflict.isPresent()) {
                    return failed(command, conflict.get());
                }
                if (ChromeNetworks.TYPES.contains(type)) {
                    return define(unit, command, key, ChromeNetworks.compile(type, value));
                }
                ChromePolicies.Compiled compiled = ChromePolicies.compile(type, value);
                modify(unit, compiled.policies());
                List<String> problems = new ArrayList<>();
                for (ChromePolicies.ChromePolicy policy : compiled.policies()) {
                    difference(unit, policy).ifPresent(problems::add);
                }
                if (!compiled.unsupported().isEmpty()) {
                    problems.add("set " + compiled.policies().stream().map(ChromePolicies.ChromePolicy::schema).distinct().toList()
                            + ", but ChromeOS cannot express " + String.join("; ", compiled.unsupported()));
                }
                if (!problems.isEmpty()) {
                    return failed(command, String.join("; ", problems));
                }
                return new CommandResult(command.id(), CommandState.ACKNOWLEDGED,
                        Map.of("orgUnit", unit.path(), "policies", compiled.policies().stream().map(ChromePolicies.ChromePolicy::schema).toList()),
                        Optional.empty());
            }
            Optional<String> conflict = conflict(unit, members, key, Optional.empty());
            if (conflict.isPresent()) {
                return failed(command, conflict.get());
            }
            if (ChromeNetworks.TYPES.contains(type)) {
                undefine(unit, key);
                return new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of("orgUnit", unit.path()), Optional.empty());
            }
            // The unit's devices agree on every setting they keep (a removal with devices that disagree failed above), so any
            // member's effective policy says what the unit keeps; a schema another setting still writes is not reset.
            List<Setting> remaining = members.isEmpty() ? List.of() : policies.effectivePolicy(members.get(0)).settings();
            ChromePolicies.Removal removal = ChromePolicies.removal(type, key, remaining);
            for (List<ChromePolicies.ChromePolicy> batch : ChromePolicies.batches(removal.inherit())) {
                ArrayNode requests = json.createArrayNode();
                for (ChromePolicies.ChromePolicy policy : batch) {
                    requests.addObject().put("policySchema", policy.schema()).set("policyTargetKey", targetKey(unit, policy.targetKeys()));
                }
                ObjectNode body = json.createObjectNode();
                body.set("requests", requests);
                google.call("POST", policyApi("/policies/orgunits:batchInherit"), body);
            }
            modify(unit, removal.modify());
            return new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of("orgUnit", unit.path()), Optional.empty());
        } catch (IllegalArgumentException e) {
            return failed(command, e.getMessage());
        } catch (GoogleException e) {
            if (e.retriable()) {
                throw e;
            }
            return failed(command, e.getMessage());
        }
    }

    /** Sets policy values on the unit, one {@code batchModify} per namespace as Google requires; each value's fields are its update mask. */
    private void modify(OrgUnits.OrgUnit unit, List<ChromePolicies.ChromePolicy> policies) throws GoogleException, InterruptedException {
        for (List<ChromePolicies.ChromePolicy> batch : ChromePolicies.batches(policies)) {
            ArrayNode requests = json.createArrayNode();
            for (ChromePolicies.ChromePolicy policy : batch) {
                ObjectNode request = requests.addObject();
                request.set("policyTargetKey", targetKey(unit, policy.targetKeys()));
                request.putObject("policyValue").put("policySchema", policy.schema()).set("value", json.valueToTree(policy.value()));
                request.put("updateMask", String.join(",", policy.value().keySet()));
            }
            ObjectNode body = json.createObjectNode();
            body.set("requests", requests);
            google.call("POST", policyApi("/policies/orgunits:batchModify"), body);
        }
    }

    /**
     * Defines a network or certificate on the unit, replacing the one this setting defined before (Google would keep
     * both), and checks Google's answer: the define response is what Google now holds.
     */
    private CommandResult define(OrgUnits.OrgUnit unit, Command command, String key, ChromeNetworks.Definition definition)
            throws GoogleException, InterruptedException {
        // Every device of the unit carries the same command; the first defines, the others find it defined.
        String fingerprint = fingerprint(definition);
        Optional<JsonNode> already = definedNetwork(unit, key);
        if (already.isPresent() && already.get().path("definition").asText().equals(fingerprint)) {
            return new CommandResult(command.id(), CommandState.ACKNOWLEDGED,
                    Map.of("orgUnit", unit.path(), "networkId", already.get().path("networkId").asText()), Optional.empty());
        }
        undefine(unit, key);
        ObjectNode body = json.createObjectNode().put("targetResource", unit.targetResource());
        List<ChromeNetworks.NetworkSetting> settings;
        String method;
        if (definition instanceof ChromeNetworks.Network network) {
            body.put("name", network.name());
            settings = network.settings();
            method = "defineNetwork";
        } else {
            ChromeNetworks.Certificate certificate = (ChromeNetworks.Certificate) definition;
            // Google's field is spelled so in the published API.
            body.put("ceritificateName", certificate.name()).put("certificate", certificate.pem());
            settings = certificate.settings();
            method = "defineCertificate";
        }
        body.set("settings", json.valueToTree(settings));
        JsonNode defined = google.call("POST", policyApi("/policies/networks:" + method), body);
        String networkId = defined.path("networkId").asText("");
        if (networkId.isEmpty()) {
            return failed(command, "Google answered " + method + " for " + unit.path() + " without a networkId");
        }
        storage.put(NETWORK_PREFIX + unit.id() + "/" + key, json.createObjectNode().put("networkId", networkId)
                .put("certificate", definition instanceof ChromeNetworks.Certificate).put("definition", fingerprint).toString().getBytes(StandardCharsets.UTF_8));
        // defineCertificate's response settings are documented as not implemented, so only networks are compared.
        if (definition instanceof ChromeNetworks.Network) {
            List<String> differences = new ArrayList<>();
            for (ChromeNetworks.NetworkSetting setting : settings) {
                JsonNode echoed = null;
                for (JsonNode candidate : defined.path("settings")) {
                    if (candidate.path("policySchema").asText().equals(setting.policySchema())) {
                        echoed = candidate.path("value");
                    }
                }
                if (echoed == null) {
                    differences.add("Google defined " + networkId + " without " + setting.policySchema());
                } else {
                    differences.addAll(fieldDifferences(json.valueToTree(setting.value()), echoed, ""));
                }
            }
            if (!differences.isEmpty()) {
                return failed(command, "Google defined " + networkId + " on " + unit.path() + " differently: " + String.join(", ", differences));
            }
        }
        return new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of("orgUnit", unit.path(), "networkId", networkId),
                Optional.empty());
    }

    /** A digest of what was defined, so secrets in it are compared without being stored. */
    private String fingerprint(ChromeNetworks.Definition definition) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(json.writeValueAsBytes(definition));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes what this setting defined on the unit, if anything; one Google no longer has counts as removed. */
    private void undefine(OrgUnits.OrgUnit unit, String key) throws GoogleException, InterruptedException {
        String storageKey = NETWORK_PREFIX + unit.id() + "/" + key;
        Optional<byte[]> stored = storage.get(storageKey);
        if (stored.isEmpty()) {
            return;
        }
        JsonNode defined;
        try {
            defined = json.readTree(stored.get());
        } catch (IOException e) {
            throw new IllegalStateException("the stored network of " + key + " is unreadable", e);
        }
        String method = defined.path("certificate").asBoolean() ? "removeCertificate" : "removeNetwork";
        ObjectNode body = json.createObjectNode().put("networkId", defined.path("networkId").asText()).put("targetResource", unit.targetResource());
        try {
            google.call("POST", policyApi("/policies/networks:" + method), body);
        } catch (GoogleException e) {
            if (e.status() != 404) {
                throw e;
            }
        }
        storage.delete(storageKey);
    }

    /** The stored network id of a setting on a unit, if this plugin defined one. */
    private Optional<JsonNode> definedNetwork(OrgUnits.OrgUnit unit, String key) {
        return storage.get(NETWORK_PREFIX + unit.id() + "/" + key).map(bytes -> {
            try {
                return json.readTree(bytes);
            } catch (IOException e) {
                throw new IllegalStateException("the stored network of " + key + " is unreadable", e);
            }
        });
    }

    private ObjectNode targetKey(OrgUnits.OrgUnit unit, Map<String, String> additional) {
        ObjectNode key = json.createObjectNode().put("targetResource", unit.targetResource());
        if (!additional.isEmpty()) {
            ObjectNode keys = key.putObject("additionalTargetKeys");
            additional.forEach(keys::put);
        }
        return key;
    }

    /** Fields of what was sent that Google holds differently, by path; secrets Google does not echo are not compared. */
    private List<String> fieldDifferences(JsonNode sent, JsonNode held, String path) {
        List<String> differences = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = sent.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String at = path + field.getKey();
            JsonNode actual = held.get(field.getKey());
            if (SECRETS.contains(field.getKey()) && actual == null) {
                continue;
            }
            if (field.getValue().isObject() && actual != null && actual.isObject()) {
                differences.addAll(fieldDifferences(field.getValue(), actual, at + "."));
            } else if (actual == null || !same(field.getValue(), actual)) {
                differences.add(at + " is " + (actual == null ? "unset" : actual.toString()) + ", not " + field.getValue());
            }
        }
        return differences;
    }

    /**
     * Reads back what Google applies to each org unit and reports, for every setting its devices are meant to have,
     * whether Google's value matches ({@code INSTALLED}) or not ({@code FAILED}, with the difference).
     *
     * @throws GoogleException when Google refused or kept failing
     * @throws InterruptedException when the plugin is stopping
     */
    public void readBack() throws GoogleException, InterruptedException {
        OrgUnits.Snapshot snapshot = orgUnits.current();
        for (OrgUnits.OrgUnit unit : snapshot.units().values()) {
            Map<String, Optional<String>> differenceBySchema = new LinkedHashMap<>();
            for (DeviceId device : snapshot.members(unit.path())) {
                for (Setting setting : policies.effectivePolicy(device).settings()) {
                    if (ChromeNetworks.TYPES.contains(setting.type())) {
                        readBackNetwork(unit, device, setting, differenceBySchema);
                        continue;
                    }
                    if (!ChromePolicies.POLICY_TYPES.contains(setting.type())) {
                        continue;
                    }
                    ChromePolicies.Compiled compiled;
                    try {
                        compiled = ChromePolicies.compile(setting.type(), setting.value());
                    } catch (IllegalArgumentException e) {
                        policies.reportActual(device, setting.key(), SettingState.FAILED, Optional.of(e.getMessage()));
                        continue;
                    }
                    List<String> problems = new ArrayList<>();
                    for (ChromePolicies.ChromePolicy policy : compiled.policies()) {
                        String cacheKey = policy.schema() + policy.targetKeys() + "=" + policy.value();
                        Optional<String> difference = differenceBySchema.get(cacheKey);
                        if (difference == null) {
                            difference = difference(unit, policy);
                            differenceBySchema.put(cacheKey, difference);
                        }
                        difference.ifPresent(problems::add);
                    }
                    if (!compiled.unsupported().isEmpty()) {
                        problems.add("ChromeOS cannot express " + String.join("; ", compiled.unsupported()));
                    }
                    policies.reportActual(device, setting.key(), problems.isEmpty() ? SettingState.INSTALLED : SettingState.FAILED,
                            problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems)));
                }
            }
        }
    }

    /**
     * Reads a network this plugin defined back through {@code policies:resolve} with its {@code network_id}. Networks
     * it never defined (a refused or failed setting) keep the state their command gave them, and certificates are not
     * read back: Google documents no resolvable certificate value to compare.
     */
    private void readBackNetwork(OrgUnits.OrgUnit unit, DeviceId device, Setting setting, Map<String, Optional<String>> cache)
            throws GoogleException, InterruptedException {
        Optional<JsonNode> defined = definedNetwork(unit, setting.key());
        if (defined.isEmpty() || defined.get().path("certificate").asBoolean()) {
            return;
        }
        ChromeNetworks.Network network;
        try {
            network = (ChromeNetworks.Network) ChromeNetworks.compile(setting.type(), setting.value());
        } catch (IllegalArgumentException e) {
            policies.reportActual(device, setting.key(), SettingState.FAILED, Optional.of(e.getMessage()));
            return;
        }
        String networkId = defined.get().path("networkId").asText();
        ChromeNetworks.NetworkSetting details = network.settings().get(0);
        String cacheKey = networkId + "=" + details.value();
        Optional<String> difference = cache.get(cacheKey);
        if (difference == null) {
            Optional<JsonNode> resolved = resolve(unit, details.policySchema(), Map.of("network_id", networkId));
            if (resolved.isEmpty()) {
                difference = Optional.of("Google no longer defines network " + networkId + " on " + unit.path());
            } else {
                List<String> fields = fieldDifferences(json.valueToTree(details.value()), resolved.get(), "");
                difference = fields.isEmpty() ? Optional.empty()
                        : Optional.of("Google resolves network " + networkId + " on " + unit.path() + " differently: " + String.join(", ", fields));
            }
            cache.put(cacheKey, difference);
        }
        policies.reportActual(device, setting.key(), difference.isEmpty() ? SettingState.INSTALLED : SettingState.FAILED, difference);
    }

    /** Why the unit's devices do not agree on a setting, if they do not. */
    private Optional<String> conflict(OrgUnits.OrgUnit unit, List<DeviceId> members, String key, Optional<Map<String, Object>> wanted) {
        JsonNode wantedJson = wanted.<JsonNode>map(json::valueToTree).orElse(null);
        int agree = 0;
        List<String> others = new ArrayList<>();
        for (DeviceId member : members) {
            Optional<Setting> setting = policies.effectivePolicy(member).settings().stream().filter(s -> s.key().equals(key)).findFirst();
            JsonNode memberValue = setting.<JsonNode>map(s -> json.valueToTree(s.value())).orElse(null);
            if (wantedJson == null ? memberValue == null : memberValue != null && same(wantedJson, memberValue)) {
                agree++;
            } else {
                others.add(member.toString());
            }
        }
        if (others.isEmpty()) {
            return Optional.empty();
        }
        String wants = wanted.isPresent() ? "want it with another value or not at all" : "still want it";
        return Optional.of("Google applies policies per org unit, and the devices of " + unit.path() + " disagree on " + key + ": "
                + agree + " as this command says, " + others.size() + " " + wants + " (" + String.join(", ", others.subList(0, Math.min(5, others.size())))
                + (others.size() > 5 ? ", …" : "") + "). Assign the policy to groups that hold whole org units.");
    }

    /** What Google resolves for the unit and schema, where it differs from the compiled value. */
    private Optional<String> difference(OrgUnits.OrgUnit unit, ChromePolicies.ChromePolicy policy) throws GoogleException, InterruptedException {
        JsonNode resolved = resolve(unit, policy.schema(), policy.targetKeys()).orElse(null);
        String target = policy.targetKeys().isEmpty() ? unit.path() : unit.path() + " " + policy.targetKeys();
        if (resolved == null) {
            return Optional.of("Google resolves no " + policy.schema() + " for " + target);
        }
        List<String> fields = new ArrayList<>();
        for (Map.Entry<String, Object> field : policy.value().entrySet()) {
            JsonNode actual = resolved.get(field.getKey());
            if (actual == null || !same(json.valueToTree(field.getValue()), actual)) {
                fields.add(field.getKey() + " is " + (actual == null ? "unset" : actual.toString()) + ", not " + json.valueToTree(field.getValue()));
            }
        }
        return fields.isEmpty() ? Optional.empty()
                : Optional.of("Google resolves " + policy.schema() + " for " + target + " differently: " + String.join(", ", fields));
    }

    /** The value Google resolves for a schema on the unit (and additional target keys), following pages. */
    private Optional<JsonNode> resolve(OrgUnits.OrgUnit unit, String schema, Map<String, String> targetKeys)
            throws GoogleException, InterruptedException {
        ObjectNode body = json.createObjectNode().put("policySchemaFilter", schema);
        body.set("policyTargetKey", targetKey(unit, targetKeys));
        Optional<String> pageToken = Optional.empty();
        do {
            pageToken.ifPresent(token -> body.put("pageToken", token));
            JsonNode page = google.call("POST", policyApi("/policies:resolve"), body);
            for (JsonNode item : page.path("resolvedPolicies")) {
                if (item.path("value").path("policySchema").asText().equals(schema)) {
                    return Optional.of(item.path("value").path("value"));
                }
            }
            pageToken = Optional.of(page.path("nextPageToken").asText("")).filter(token -> !token.isEmpty());
        } while (pageToken.isPresent());
        return Optional.empty();
    }

    /** JSON equality where numbers compare by value (Google answers int64 fields as strings or numbers alike). */
    static boolean same(JsonNode expected, JsonNode actual) {
        if (expected.isNumber() && (actual.isNumber() || actual.isTextual())) {
            try {
                return expected.decimalValue().compareTo(new BigDecimal(actual.asText())) == 0;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        if (expected.isObject() && actual.isObject()) {
            if (expected.size() != actual.size()) {
                return false;
            }
            Iterator<Map.Entry<String, JsonNode>> fields = expected.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!actual.has(field.getKey()) || !same(field.getValue(), actual.get(field.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (expected.isArray() && actual.isArray()) {
            if (expected.size() != actual.size()) {
                return false;
            }
            for (int i = 0; i < expected.size(); i++) {
                if (!same(expected.get(i), actual.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(expected, actual);
    }

    private URI policyApi(String below) {
        ChromeOsSettings settings = google.settings();
        return URI.create(settings.policyUrl() + "/v1/customers/" + settings.customerId() + below);
    }

    private static CommandResult failed(Command command, String reason) {
        return new CommandResult(command.id(), CommandState.FAILED, Map.of(), Optional.of(reason));
    }

    private static Map<String, Object> stringKeys(Map<?, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(String.valueOf(k), v));
        return copy;
    }
}
