package dev.shepherd.plugins.android;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Puts devices under the policy their effective settings compile to: one AMAPI policy per distinct compiled policy,
 * named {@code shepherd-<hash>}, patched into existence the first time a device needs it, and the device pointed at
 * it with {@code devices.patch}. What a device reports back ({@code nonComplianceDetails}) becomes each setting's
 * actual state.
 */
@Singleton
public final class DevicePolicies {

    private static final String POLICY_PREFIX = "policy/";
    private static final String DEVICE_POLICY_PREFIX = "device-policy/";
    private static final String MODE_PREFIX = "mode/";

    /** @param policyName the policy the device now has; @param refused settings Android cannot apply, with reasons */
    public record Applied(String policyName, Map<String, String> refused) {
    }

    private final PolicyService policies;
    private final PluginStorage storage;
    private final Amapi amapi;
    private final Enterprises enterprises;
    private final PolicyCompiler compiler = new PolicyCompiler();
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public DevicePolicies(PolicyService policies, PluginStorage storage, Amapi amapi, Enterprises enterprises) {
        this.policies = requireNonNull(policies, "policies is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.amapi = requireNonNull(amapi, "amapi is null");
        this.enterprises = requireNonNull(enterprises, "enterprises is null");
    }

    /**
     * Compiles the device's effective policy, makes sure Google has it, and points the device at it.
     *
     * @param device the device
     * @param amapiName its AMAPI resource name
     */
    public Applied apply(Device device, String amapiName) throws GoogleException {
        PolicyCompiler.Compiled compiled = compiler.compile(policies.effectivePolicy(device.id()).settings(), workProfile(device));
        String hash = compiled.hash();
        String policyName = enterprises.require() + "/policies/shepherd-" + hash;
        if (storage.get(POLICY_PREFIX + hash).isEmpty()) {
            amapi.patchPolicy(policyName, compiled.policy(), Amapi.Patience.BACKGROUND);
            storage.put(POLICY_PREFIX + hash, write(compiled.fields()));
        }
        if (!storage.get(DEVICE_POLICY_PREFIX + device.id()).map(DevicePolicies::text).orElse("").equals(policyName)) {
            amapi.patchDevice(amapiName, "policyName", json.createObjectNode().put("policyName", policyName));
            storage.put(DEVICE_POLICY_PREFIX + device.id(), policyName.getBytes(StandardCharsets.UTF_8));
        }
        return new Applied(policyName, compiled.refused());
    }

    /**
     * The baseline a device enrolls under before Shepherd knows it: no settings, only status reporting, so its
     * enrollment notification carries what the inventory needs.
     *
     * @return the baseline policy's name
     */
    public String baseline() throws GoogleException {
        PolicyCompiler.Compiled compiled = compiler.compile(java.util.List.of(), false);
        String name = enterprises.require() + "/policies/shepherd-baseline";
        String marker = POLICY_PREFIX + "baseline-" + compiled.hash();
        if (storage.get(marker).isEmpty()) {
            amapi.patchPolicy(name, compiled.policy(), Amapi.Patience.INTERACTIVE);
            storage.put(marker, write(Map.of()));
        }
        return name;
    }

    /** Remembers how Android manages the device, which decides password scope, kiosk and wipes. */
    public void recordManagementMode(DeviceId device, String managementMode) {
        storage.put(MODE_PREFIX + device, managementMode.getBytes(StandardCharsets.UTF_8));
    }

    /** @return whether only a work profile of the device is managed */
    public boolean workProfile(Device device) {
        Optional<String> mode = storage.get(MODE_PREFIX + device.id()).map(DevicePolicies::text);
        return mode.map("PROFILE_OWNER"::equals).orElse(device.ownership() == Ownership.PERSONAL);
    }

    /**
     * Tells the kernel each setting's state from a device report: a setting whose policy fields (or apps) the device
     * calls non-compliant failed with the device's reason, or is still pending; the others are installed once the
     * device has applied the policy Shepherd gave it.
     *
     * @param device the device
     * @param report the AMAPI {@code Device} as Google reported it
     */
    public void reportActual(DeviceId device, JsonNode report) {
        Optional<String> ours = storage.get(DEVICE_POLICY_PREFIX + device).map(DevicePolicies::text);
        String applied = report.path("appliedPolicyName").asText(report.path("policyName").asText(""));
        if (ours.isEmpty() || !ours.get().equals(applied)) {
            return; // the device has not applied Shepherd's latest policy yet; nothing to say about its settings
        }
        String hash = ours.get().substring(ours.get().lastIndexOf("/shepherd-") + "/shepherd-".length());
        Map<String, Set<String>> fields = storage.get(POLICY_PREFIX + hash).map(this::read).orElse(Map.of());
        Map<String, String> failed = new HashMap<>();
        Set<String> pending = new LinkedHashSet<>();
        for (JsonNode detail : report.path("nonComplianceDetails")) {
            String field = detail.path("settingName").asText("");
            String packageName = detail.path("packageName").asText("");
            Set<String> keys = fields.getOrDefault(packageName.isBlank() ? field : field + "/" + packageName,
                    fields.getOrDefault(field, Set.of()));
            String reason = detail.path("nonComplianceReason").asText("");
            for (String key : keys) {
                if ("PENDING".equals(reason)) {
                    pending.add(key);
                } else {
                    failed.merge(key, describe(detail), (a, b) -> a + "; " + b);
                }
            }
        }
        fields.values().stream().flatMap(Set::stream).distinct().forEach(key -> {
            if (failed.containsKey(key)) {
                policies.reportActual(device, key, SettingState.FAILED, Optional.of(failed.get(key)));
            } else if (pending.contains(key)) {
                policies.reportActual(device, key, SettingState.PENDING, Optional.empty());
            } else {
                policies.reportActual(device, key, SettingState.INSTALLED, Optional.empty());
            }
        });
    }

    private static String describe(JsonNode detail) {
        StringBuilder text = new StringBuilder(detail.path("settingName").asText("setting"));
        if (detail.hasNonNull("fieldPath")) {
            text.append(" (").append(detail.get("fieldPath").asText()).append(')');
        }
        if (detail.hasNonNull("packageName")) {
            text.append(" for ").append(detail.get("packageName").asText());
        }
        text.append(": ").append(detail.path("nonComplianceReason").asText("NON_COMPLIANT"));
        for (String more : new String[] {"specificNonComplianceReason", "installationFailureReason"}) {
            if (detail.hasNonNull(more)) {
                text.append(", ").append(detail.get(more).asText());
            }
        }
        return text.toString();
    }

    private byte[] write(Map<String, Set<String>> fields) {
        try {
            return json.writeValueAsBytes(fields);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, Set<String>> read(byte[] bytes) {
        try {
            return json.readValue(bytes, new TypeReference<Map<String, Set<String>>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
