package dev.shepherd.plugins.windows.management;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.ServerAddress;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.pki.CertificateAuthority;
import dev.shepherd.api.platform.CommandTranslation;
import dev.shepherd.api.platform.NativeCommand;
import dev.shepherd.api.policy.PolicyService;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.plugins.windows.enrollment.ProvisioningDocument;
import dev.shepherd.plugins.windows.syncml.SyncMl;
import dev.shepherd.plugins.windows.syncml.SyncMlWriter;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The one translation of kernel commands into OMA-DM commands for a PC ({@link WindowsCommands}) with what it depends
 * on: the value a setting is installed with on the PC, and the kernel CA behind its own SCEP service. The platform
 * support asks it when a command is issued, the management endpoint when it sends the command, so the two agree.
 */
public final class WindowsCommandTranslator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PluginStorage storage;
    private final CertificateAuthority authority;
    private final ServerAddress address;
    private final PolicyService policies;

    @Inject
    public WindowsCommandTranslator(PluginStorage storage, CertificateAuthority authority, ServerAddress address, PolicyService policies) {
        this.storage = requireNonNull(storage, "storage is null");
        this.authority = requireNonNull(authority, "authority is null");
        this.address = requireNonNull(address, "address is null");
        this.policies = requireNonNull(policies, "policies is null");
    }

    /**
     * @return the command as SyncML commands, or the reason Windows cannot carry it out; never throws for a malformed
     *         command
     */
    public CommandTranslation translateCommand(DeviceId device, Command command) {
        WindowsCommands.Translation translation = translate(device, command);
        if (translation.refusal().isPresent()) {
            return CommandTranslation.refused(translation.refusal().get());
        }
        String fragment = translation.commands().stream().map(SyncMlWriter::write).collect(Collectors.joining());
        return CommandTranslation.translated(new NativeCommand(SyncMl.CONTENT_TYPE, fragment.getBytes(StandardCharsets.UTF_8)));
    }

    /** What the command becomes on the device's PC. */
    WindowsCommands.Translation translate(DeviceId device, Command command) {
        try {
            return WindowsCommands.translate(command, installedValue(device, command), this::scepRootThumbprint,
                    name -> certificateSetting(device, name));
        } catch (RuntimeException e) {
            // A parameter of the wrong shape: the command's fault, not the plugin's.
            return WindowsCommands.Translation.refused(command.type() + " cannot be expressed on Windows: " + e.getMessage());
        }
    }

    /** The device's certificate setting of a name, which a Wi-Fi network's {@code serverCertificates} refer to. */
    private Optional<Map<String, Object>> certificateSetting(DeviceId device, String name) {
        return policies.effectivePolicy(device).settings().stream()
                .filter(setting -> setting.type().equals("certificate") && name.equals(setting.value().get("name")))
                .findFirst().map(Setting::value);
    }

    /** The kernel CA's thumbprint for its own SCEP service, so certificate settings can use it. */
    private Optional<String> scepRootThumbprint(String scepUrl) {
        return scepUrl.equals(address.publicUrl() + authority.scepPath())
                ? Optional.of(ProvisioningDocument.thumbprint(authority.certificate())) : Optional.empty();
    }

    /**
     * The value a setting is installed with: what a REMOVE_PROFILE must undo exactly, and what an INSTALL_PROFILE of a
     * new value replaces.
     */
    private Optional<Map<String, Object>> installedValue(DeviceId device, Command command) {
        if ((command.type() != CommandType.REMOVE_PROFILE && command.type() != CommandType.INSTALL_PROFILE)
                || !(command.parameters().get("settingKey") instanceof String key)) {
            return Optional.empty();
        }
        return storage.get(settingKey(device, key)).map(bytes -> {
            try {
                Map<String, Object> stored = JSON.readValue(bytes, new TypeReference<Map<String, Object>>() { });
                @SuppressWarnings("unchecked")
                Map<String, Object> value = (Map<String, Object>) stored.get("value");
                return value;
            } catch (IOException e) {
                throw new IllegalStateException("the stored value of setting " + key + " is unreadable", e);
            }
        });
    }

    /** Where the settings installed on a device's PC are kept. */
    static String settingPrefix(DeviceId device) {
        return "setting/" + device + "/";
    }

    /** Setting keys are the admin's; a hash keeps the storage key within its 200 characters whatever they are. */
    static String settingKey(DeviceId device, String settingKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(settingKey.getBytes(StandardCharsets.UTF_8));
            return settingPrefix(device) + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
