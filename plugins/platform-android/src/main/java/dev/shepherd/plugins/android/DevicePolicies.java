package dev.shepherd.plugins.android;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
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
    private static final String GOOGLE_REFUSED_PREFIX = "google-refused/";
    /** How often a policy Google refused field by field is patched again without the settings it blamed. */
    static final int MAX_REFUSAL_ROUNDS = 3;

    /** @param policyName the policy the device now has; @param refused settings Android cannot apply, with reasons */
    public record Applied(String policyName, Map<String, String> refused) {
    }

    private final PolicyService policies;
    private final PluginStorage storage;
    private final Amapi amapi;
    private final Enterprises enterprises;
    private final DeviceApps apps;
    private final PolicyCompiler compiler = new PolicyCompiler();
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public DevicePolicies(PolicyService policies, PluginStorage storage, Amapi amapi, Enterprises enterprises, DeviceApps apps) {
        this.policies = requireNonNull(policies, "policies is null");
        this.apps = requireNonNull(apps, "apps is null");
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
        List<Setting> settings = policies.effectivePolicy(device.id()).settings();
        boolean workProfile = workProfile(device);
        Map<String, ObjectNode> catalogApps = apps.of(device.id());
        PolicyCompiler.Compiled compiled = withApps(compiler.compile(settings, workProfile), catalogApps);
        // What Google refused of this very policy before: its settings are left out at once rather than refused again.
        String fullHash = compiled.hash();
        Map<String, String> refusedByGoogle = new LinkedHashMap<>(storage.get(GOOGLE_REFUSED_PREFIX + fullHash).map(this::readReasons).orElse(Map.of()));
        if (!refusedByGoogle.isEmpty()) {
            compiled = withApps(compiler.compile(without(settings, refusedByGoogle.keySet()), workProfile), catalogApps);
        }
        String policyName;
        for (int round = 0; ; round++) {
            String hash = compiled.hash();
            policyName = enterprises.require() + "/policies/shepherd-" + hash;
            if (storage.get(POLICY_PREFIX + hash).isPresent()) {
                break;
            }
            try {
                amapi.patchPolicy(policyName, compiled.policy(), Amapi.Patience.BACKGROUND);
                storage.put(POLICY_PREFIX + hash, write(compiled.fields()));
                break;
            } catch (GoogleException e) {
                Map<String, String> blamed = blame(compiled, e);
                if (e.retriable() || blamed.isEmpty() || round + 1 >= MAX_REFUSAL_ROUNDS) {
                    throw e;
                }
                // One refused field must not cost the device every other setting: patch again without the settings
                // Google's refusal names, and tell those settings why.
                refusedByGoogle.putAll(blamed);
                storage.put(GOOGLE_REFUSED_PREFIX + fullHash, writeReasons(refusedByGoogle));
                compiled = withApps(compiler.compile(without(settings, refusedByGoogle.keySet()), workProfile), catalogApps);
            }
        }
        refusedByGoogle.forEach((key, reason) -> policies.reportActual(device.id(), key, SettingState.FAILED, Optional.of(reason)));
        if (!storage.get(DEVICE_POLICY_PREFIX + device.id()).map(DevicePolicies::text).orElse("").equals(policyName)) {
            amapi.patchDevice(amapiName, "policyName", json.createObjectNode().put("policyName", policyName));
            storage.put(DEVICE_POLICY_PREFIX + device.id(), policyName.getBytes(StandardCharsets.UTF_8));
        }
        Map<String, String> refused = new LinkedHashMap<>(compiled.refused());
        refused.putAll(refusedByGoogle);
        return new Applied(policyName, refused);
    }

    /** The compiled settings with the device's catalog apps ({@link DeviceApps}), named by both. */
    static PolicyCompiler.Compiled withApps(PolicyCompiler.Compiled compiled, Map<String, ObjectNode> catalogApps) {
        if (catalogApps.isEmpty()) {
            return compiled;
        }
        return new PolicyCompiler.Compiled(DeviceApps.merge(compiled.policy(), catalogApps), compiled.fields(), compiled.refused(),
                DeviceApps.merge(compiled.nameBasis(), catalogApps));
    }

    /**
     * The settings a refusal of {@code policies.patch} is about: each field Google names in its
     * {@code google.rpc.BadRequest} traced to the setting that produced it, with Google's reason.
     *
     * @return empty when Google named no field, or one no setting of Shepherd's produced
     */
    static Map<String, String> blame(PolicyCompiler.Compiled compiled, GoogleException refusal) {
        Map<String, String> blamed = new LinkedHashMap<>();
        for (GoogleException.FieldViolation violation : refusal.fieldViolations()) {
            // Google names a field of the request body, at times from the request message ("policy.").
            String field = violation.field().startsWith("policy.") ? violation.field().substring("policy.".length()) : violation.field();
            String topLevel = field.split("[.\\[]", 2)[0];
            Set<String> keys = compiled.settingsAt(topLevel, field, "");
            if (keys.isEmpty()) {
                return Map.of(); // not a part of any one setting: the whole policy stands refused
            }
            String reason = "Google refused " + field + ": " + (violation.description().isBlank() ? refusal.getMessage() : violation.description());
            keys.forEach(key -> blamed.merge(key, reason, (a, b) -> a + "; " + b));
        }
        return blamed;
    }

    private static List<Setting> without(List<Setting> settings, Set<String> keys) {
        return settings.stream().filter(setting -> !keys.contains(setting.key())).toList();
    }

    /**
     * The baseline a device enrolls under before Shepherd knows it: no settings, only status reporting, so its
     * enrollment notification carries what the inventory needs.
     *
     * @return the baseline policy's name
     */
    public String baseline() throws GoogleException {
        PolicyCompiler.Compiled compiled = compiler.compile(List.of(), false);
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
            Set<String> keys = PolicyCompiler.settingsAt(fields, detail.path("settingName").asText(""), detail.path("fieldPath").asText(""),
                    detail.path("packageName").asText(""));
            for (String key : keys) {
                if (pending(detail)) {
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

    /**
     * A setting still being applied rather than failed: Android's PENDING ("expected to be applied shortly"), and an
     * app whose installation or update is in progress (installationFailureReason IN_PROGRESS).
     */
    static boolean pending(JsonNode detail) {
        String reason = detail.path("nonComplianceReason").asText("");
        return reason.equals("PENDING") || (reason.equals("APP_NOT_INSTALLED") || reason.equals("APP_NOT_UPDATED"))
                && detail.path("installationFailureReason").asText("").equals("IN_PROGRESS");
    }

    static String describe(JsonNode detail) {
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

    private byte[] writeReasons(Map<String, String> reasons) {
        try {
            return json.writeValueAsBytes(reasons);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Map<String, String> readReasons(byte[] bytes) {
        try {
            return json.readValue(bytes, new TypeReference<LinkedHashMap<String, String>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
