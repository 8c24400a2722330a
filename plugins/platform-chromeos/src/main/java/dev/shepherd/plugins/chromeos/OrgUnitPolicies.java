package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingState;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Carries the kernel's setting commands out on Google's org units, and reads the result back.
 *
 * <p>Google sets policies per organizational unit, Shepherd per device. A setting is therefore applied to a device's
 * org unit only when every synced device of that unit wants the same value for it (their effective policies agree);
 * otherwise setting it would change devices that are not meant to have it, so the command fails naming the conflict.
 * A removal hands the setting's schemas back to the parent unit ({@code batchInherit}) once no device of the unit
 * wants the setting any more. After a change, {@code policies:resolve} reads what Google now applies; the command is
 * acknowledged (the setting becomes {@code INSTALLED}) only when that matches what was compiled.
 */
@Singleton
public final class OrgUnitPolicies {

    private final GoogleApi google;
    private final PolicyService policies;
    private final OrgUnits orgUnits;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public OrgUnitPolicies(GoogleApi google, PolicyService policies, OrgUnits orgUnits) {
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
     * @throws GoogleApiException when Google failed transiently; the command is left to be tried again
     * @throws InterruptedException when the plugin is stopping
     */
    public CommandResult apply(OrgUnits.OrgUnit unit, Command command) throws GoogleApiException, InterruptedException {
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
                List<ChromePolicies.ChromePolicy> compiled = ChromePolicies.compile(type, value);
                ArrayNode requests = json.createArrayNode();
                for (ChromePolicies.ChromePolicy policy : compiled) {
                    ObjectNode request = requests.addObject();
                    request.putObject("policyTargetKey").put("targetResource", unit.targetResource());
                    request.putObject("policyValue").put("policySchema", policy.schema()).set("value", json.valueToTree(policy.value()));
                    request.put("updateMask", String.join(",", policy.value().keySet()));
                }
                ObjectNode body = json.createObjectNode();
                body.set("requests", requests);
                google.call("POST", policyApi("/policies/orgunits:batchModify"), body);
                List<String> differences = new ArrayList<>();
                for (ChromePolicies.ChromePolicy policy : compiled) {
                    difference(unit, policy).ifPresent(differences::add);
                }
                if (!differences.isEmpty()) {
                    return failed(command, String.join("; ", differences));
                }
                return new CommandResult(command.id(), CommandState.ACKNOWLEDGED,
                        Map.of("orgUnit", unit.path(), "policies", compiled.stream().map(ChromePolicies.ChromePolicy::schema).toList()),
                        Optional.empty());
            }
            Optional<String> conflict = conflict(unit, members, key, Optional.empty());
            if (conflict.isPresent()) {
                return failed(command, conflict.get());
            }
            ArrayNode requests = json.createArrayNode();
            for (String schema : ChromePolicies.schemas(type)) {
                ObjectNode request = requests.addObject();
                request.putObject("policyTargetKey").put("targetResource", unit.targetResource());
                request.put("policySchema", schema);
            }
            if (!requests.isEmpty()) {
                ObjectNode body = json.createObjectNode();
                body.set("requests", requests);
                google.call("POST", policyApi("/policies/orgunits:batchInherit"), body);
            }
            return new CommandResult(command.id(), CommandState.ACKNOWLEDGED, Map.of("orgUnit", unit.path()), Optional.empty());
        } catch (IllegalArgumentException e) {
            return failed(command, e.getMessage());
        } catch (GoogleApiException e) {
            if (e.isTransient()) {
                throw e;
            }
            return failed(command, e.getMessage());
        }
    }

    /**
     * Reads back what Google applies to each org unit and reports, for every setting its devices are meant to have,
     * whether Google's value matches ({@code INSTALLED}) or not ({@code FAILED}, with the difference).
     *
     * @throws GoogleApiException when Google refused or kept failing
     * @throws InterruptedException when the plugin is stopping
     */
    public void readBack() throws GoogleApiException, InterruptedException {
        OrgUnits.Snapshot snapshot = orgUnits.current();
        for (OrgUnits.OrgUnit unit : snapshot.units().values()) {
            Map<String, Optional<String>> differenceBySchema = new LinkedHashMap<>();
            for (DeviceId device : snapshot.members(unit.path())) {
                for (Setting setting : policies.effectivePolicy(device).settings()) {
                    if (!ChromePolicies.SUPPORTED_TYPES.contains(setting.type())) {
                        continue;
                    }
                    List<ChromePolicies.ChromePolicy> compiled;
                    try {
                        compiled = ChromePolicies.compile(setting.type(), setting.value());
                    } catch (IllegalArgumentException e) {
                        policies.reportActual(device, setting.key(), SettingState.FAILED, Optional.of(e.getMessage()));
                        continue;
                    }
                    List<String> differences = new ArrayList<>();
                    for (ChromePolicies.ChromePolicy policy : compiled) {
                        String cacheKey = policy.schema() + "=" + policy.value();
                        Optional<String> difference = differenceBySchema.get(cacheKey);
                        if (difference == null) {
                            difference = difference(unit, policy);
                            differenceBySchema.put(cacheKey, difference);
                        }
                        difference.ifPresent(differences::add);
                    }
                    policies.reportActual(device, setting.key(), differences.isEmpty() ? SettingState.INSTALLED : SettingState.FAILED,
                            differences.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", differences)));
                }
            }
        }
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
    private Optional<String> difference(OrgUnits.OrgUnit unit, ChromePolicies.ChromePolicy policy) throws GoogleApiException, InterruptedException {
        ObjectNode body = json.createObjectNode().put("policySchemaFilter", policy.schema());
        body.putObject("policyTargetKey").put("targetResource", unit.targetResource());
        JsonNode resolved = null;
        Optional<String> pageToken = Optional.empty();
        do {
            pageToken.ifPresent(token -> body.put("pageToken", token));
            JsonNode page = google.call("POST", policyApi("/policies:resolve"), body);
            for (JsonNode item : page.path("resolvedPolicies")) {
                if (item.path("value").path("policySchema").asText().equals(policy.schema())) {
                    resolved = item.path("value").path("value");
                }
            }
            pageToken = Optional.of(page.path("nextPageToken").asText("")).filter(token -> !token.isEmpty());
        } while (pageToken.isPresent() && resolved == null);
        if (resolved == null) {
            return Optional.of("Google resolves no " + policy.schema() + " for " + unit.path());
        }
        List<String> fields = new ArrayList<>();
        for (Map.Entry<String, Object> field : policy.value().entrySet()) {
            JsonNode actual = resolved.get(field.getKey());
            if (actual == null || !same(json.valueToTree(field.getValue()), actual)) {
                fields.add(field.getKey() + " is " + (actual == null ? "unset" : actual.toString()) + ", not " + json.valueToTree(field.getValue()));
            }
        }
        return fields.isEmpty() ? Optional.empty()
                : Optional.of("Google resolves " + policy.schema() + " for " + unit.path() + " differently: " + String.join(", ", fields));
    }

    /** JSON equality where numbers compare by value (Google answers int64 fields as strings or numbers alike). */
    static boolean same(JsonNode expected, JsonNode actual) {
        if (expected.isNumber() && (actual.isNumber() || actual.isTextual())) {
            try {
                return expected.decimalValue().compareTo(new java.math.BigDecimal(actual.asText())) == 0;
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
