package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.NativeCommand;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.api.policy.NativePayload;
import dev.shepherd.api.policy.Setting;
import jakarta.inject.Inject;
import org.pf4j.Extension;

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

    private final ChromeOsWorker worker;
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    public ChromeOsPlatform(ChromeOsWorker worker) {
        this.worker = requireNonNull(worker, "worker is null");
    }

    @Override
    public Platform platform() {
        return Platform.CHROMEOS;
    }

    @Override
    public Set<String> supportedSettingTypes() {
        return ChromePolicies.SUPPORTED_TYPES;
    }

    /** One payload per Chrome policy schema: {@code {"policySchema": …, "value": {…}}}, as batchModify carries it. */
    @Override
    public List<NativePayload> compile(Device device, Setting setting) {
        return ChromePolicies.compile(setting.type(), setting.value()).stream()
                .map(policy -> new NativePayload(setting.key(), policy.schema(), "application/json",
                        write(Map.of("policySchema", policy.schema(), "value", policy.value()))))
                .toList();
    }

    @Override
    public Optional<NativeCommand> translate(Device device, Command command) {
        try {
            return ChromeCommands.translate(command).map(work -> new NativeCommand("application/json", write(describe(work))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Map<String, String> describe(ChromeCommands.GoogleWork work) {
        Map<String, String> described = new java.util.LinkedHashMap<>();
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
