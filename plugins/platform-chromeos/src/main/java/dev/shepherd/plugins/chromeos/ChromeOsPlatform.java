package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.CommandTranslation;
import dev.shepherd.api.platform.ManagementEnd;
import dev.shepherd.api.platform.NativeCommand;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.api.platform.SetupRequirement;
import dev.shepherd.api.policy.NativePayload;
import dev.shepherd.api.policy.Setting;
import jakarta.inject.Inject;
import org.pf4j.Extension;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * ChromeOS as the kernel sees it: which settings compile to Chrome policies ({@link ChromePolicies}), which commands
 * have a Google equivalent ({@link ChromeCommands}), and waking a device, which here means having the worker carry its
 * commands out through Google, since ChromeOS devices never contact Shepherd.
 */
@Extension
public final class ChromeOsPlatform implements PlatformSupport {

    private static final String GOOGLE_REQUIREMENT = "google-admin";
    private static final String GOOGLE_TITLE = "Google Admin connection";

    private final ChromeOsWorker worker;
    private final GoogleApi google;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public ChromeOsPlatform(ChromeOsWorker worker, GoogleApi google) {
        this.worker = requireNonNull(worker, "worker is null");
        this.google = requireNonNull(google, "google is null");
    }

    @Override
    public Platform platform() {
        return Platform.CHROMEOS;
    }

    /**
     * The Google Admin connection (a service-account key with domain-wide delegation, and the admin it acts as):
     * ChromeOS devices enroll in Google Admin and are found through it, so without it none is managed here.
     */
    @Override
    public List<SetupRequirement> setupRequirements() {
        Optional<String> page = Optional.of(GoogleConnectionPage.ID);
        if (!google.connected()) {
            return List.of(SetupRequirement.unmet(GOOGLE_REQUIREMENT, GOOGLE_TITLE, "Not connected to Google Admin.",
                    "Upload the service-account key, grant its domain-wide delegation in the Google Admin console and name"
                            + " the admin it acts as, so Chromebooks enrolled there are found.", page));
        }
        String lastError = worker.lastSyncError().map(error -> " The last sync failed: " + error.message()).orElse("");
        return List.of(SetupRequirement.met(GOOGLE_REQUIREMENT, GOOGLE_TITLE, "Connected to Google Admin." + lastError, page));
    }

    @Override
    public Set<String> supportedSettingTypes() {
        Set<String> types = new HashSet<>(ChromePolicies.POLICY_TYPES);
        types.addAll(ChromeNetworks.TYPES);
        return Set.copyOf(types);
    }

    /**
     * One payload per Chrome policy schema, {@code {"policySchema": …, "value": {…}}} (with
     * {@code additionalTargetKeys} where the schema has them) as batchModify carries it; a network or certificate is
     * one payload holding its name and settings, as defineNetwork or defineCertificate carries them.
     */
    @Override
    public List<NativePayload> compile(Device device, Setting setting) {
        if (ChromeNetworks.TYPES.contains(setting.type())) {
            ChromeNetworks.Definition definition = ChromeNetworks.compile(setting.type(), setting.value());
            Map<String, Object> described = new LinkedHashMap<>();
            if (definition instanceof ChromeNetworks.Network network) {
                described.put("name", network.name());
                described.put("settings", network.settings());
            } else if (definition instanceof ChromeNetworks.Certificate certificate) {
                described.put("ceritificateName", certificate.name());
                described.put("certificate", certificate.pem());
                described.put("settings", certificate.settings());
            }
            String method = definition instanceof ChromeNetworks.Network ? "networks:defineNetwork" : "networks:defineCertificate";
            return List.of(new NativePayload(setting.key(), method, "application/json", write(described)));
        }
        return ChromePolicies.compile(setting.type(), setting.value()).policies().stream()
                .map(policy -> {
                    Map<String, Object> described = new LinkedHashMap<>();
                    if (!policy.targetKeys().isEmpty()) {
                        described.put("additionalTargetKeys", policy.targetKeys());
                    }
                    described.put("policySchema", policy.schema());
                    described.put("value", policy.value());
                    return new NativePayload(setting.key(), policy.schema(), "application/json", write(described));
                })
                .toList();
    }

    /**
     * A retired Chromebook is deprovisioned ({@code batchChangeStatus} deprovision, reason {@code retiring_device}):
     * it stops syncing policy and must be wiped before it can enroll again. A wiped one is powerwashed first
     * ({@code REMOTE_POWERWASH}), and deprovisioned by the worker once Google reports the powerwash executed: deprovisioned
     * first, it would no longer take the command.
     */
    @Override
    public Optional<ManagementEnd> endManagement(Device device, boolean wipe) {
        return Optional.of(wipe ? ManagementEnd.standard(true) : new ManagementEnd(CommandType.RAW,
                Map.of("action", "deprovision", "deprovisionReason", ChromeCommands.RETIRING)));
    }

    @Override
    public Optional<NativeCommand> translate(Device device, Command command) {
        return translateCommand(device, command) instanceof CommandTranslation.Translated translated
                ? Optional.of(translated.command()) : Optional.empty();
    }

    /**
     * What the worker carries out for the command: a setting's Chrome policies or network (as {@link #compile} gives
     * them, which the org unit's policy is set from), a re-read of the device, or a Google command or action
     * ({@link ChromeCommands}); or why ChromeOS cannot carry it out.
     */
    @Override
    public CommandTranslation translateCommand(Device device, Command command) {
        Map<String, Object> parameters = command.parameters();
        try {
            switch (command.type()) {
                case INSTALL_PROFILE -> {
                    if (!(parameters.get("settingKey") instanceof String key) || !(parameters.get("settingType") instanceof String type)
                            || !(parameters.get("value") instanceof Map<?, ?> value)) {
                        return CommandTranslation.refused("ChromeOS applies policy settings only: settingKey, settingType and value");
                    }
                    @SuppressWarnings("unchecked")
                    Setting setting = new Setting(type, key, (Map<String, Object>) value);
                    List<NativePayload> payloads = compile(device, setting);
                    return CommandTranslation.translated(new NativeCommand("application/json",
                            write(payloads.stream().map(payload -> new String(payload.content(), StandardCharsets.UTF_8)).toList())));
                }
                case REMOVE_PROFILE -> {
                    return CommandTranslation.translated(new NativeCommand("application/json", write(Map.of("remove", parameters))));
                }
                case REFRESH_INVENTORY -> {
                    return CommandTranslation.translated(new NativeCommand("application/json", write(Map.of("refresh", true))));
                }
                default -> {
                    return ChromeCommands.translate(command)
                            .map(work -> CommandTranslation.translated(new NativeCommand("application/json", write(describe(work)))))
                            .orElseGet(() -> CommandTranslation.refused("ChromeOS has no equivalent of " + command.type()));
                }
            }
        } catch (IllegalArgumentException e) {
            return CommandTranslation.refused(e.getMessage());
        }
    }

    private static Map<String, String> describe(ChromeCommands.GoogleWork work) {
        Map<String, String> described = new LinkedHashMap<>();
        if (work instanceof ChromeCommands.Remote remote) {
            described.put("commandType", remote.commandType());
            remote.payload().ifPresent(payload -> described.put("payload", payload));
        } else if (work instanceof ChromeCommands.Action action) {
            described.put("action", action.action());
            action.deprovisionReason().ifPresent(reason -> described.put("deprovisionReason", reason));
        }
        return described;
    }

    /** Hands the device to the worker and returns at once; false when Google cannot be reached yet. */
    @Override
    public boolean wake(Device device) {
        return worker.wake(device.id());
    }

    private byte[] write(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
