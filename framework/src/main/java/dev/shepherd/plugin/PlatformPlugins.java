package dev.shepherd.plugin;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.CommandTranslation;
import dev.shepherd.api.platform.EnrollmentArtifact;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.api.platform.ManagementEnd;
import dev.shepherd.api.platform.PlatformSupport;
import dev.shepherd.api.platform.SetupRequirement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Which plugin supports which platform, kept current as platform plugins come and go. */
public final class PlatformPlugins implements ExtensionRegistry.Listener {

    private static final Logger log = LoggerFactory.getLogger(PlatformPlugins.class);

    private final Map<ExtensionRegistry.Registration<?>, Platform> platforms = new ConcurrentHashMap<>();

    @Override
    public void registered(ExtensionRegistry.Registration<?> registration) {
        if (registration.point() != PlatformSupport.class) {
            return;
        }
        PlatformSupport support = (PlatformSupport) registration.extension();
        try {
            Platform platform = registration.owner().call("PlatformSupport.platform", support::platform);
            platforms.put(registration, platform);
            log.info("Plugin {} supports platform {}", registration.owner().id(), platform);
        } catch (PluginCallException e) {
            log.warn("Plugin {} did not say which platform it supports: {}", registration.owner().id(), e.getMessage());
        }
    }

    @Override
    public void unregistered(ExtensionRegistry.Registration<?> registration) {
        platforms.remove(registration);
    }

    /** @return the platforms some plugin supports now */
    public List<Platform> supported() {
        return platforms.values().stream().distinct().sorted(Comparator.comparing(Platform::id)).toList();
    }

    /**
     * The setting types a platform's plugin can apply.
     *
     * @return the types, or empty when no plugin for the platform is running (nothing is known then)
     */
    public Optional<Set<String>> supportedSettingTypes(Platform platform) {
        Optional<ExtensionRegistry.Registration<?>> registration = forPlatform(platform);
        if (registration.isEmpty()) {
            return Optional.empty();
        }
        PlatformSupport support = (PlatformSupport) registration.get().extension();
        try {
            return Optional.of(Set.copyOf(registration.get().owner().call("PlatformSupport.supportedSettingTypes",
                    support::supportedSettingTypes)));
        } catch (PluginCallException e) {
            return Optional.empty();
        }
    }

    /**
     * Asks the device's platform plugin whether it can carry out a command ({@link PlatformSupport#translateCommand}).
     * When no plugin for the platform is running, or its plugin fails to answer, nothing is known and the command is
     * let through: its plugin decides at delivery, with the same function.
     *
     * @return the platform's reason to refuse the command, or empty
     */
    public Optional<String> refusal(Device device, Command command) {
        Optional<ExtensionRegistry.Registration<?>> registration = forPlatform(device.platform());
        if (registration.isEmpty()) {
            return Optional.empty();
        }
        PlatformSupport support = (PlatformSupport) registration.get().extension();
        try {
            CommandTranslation translation = registration.get().owner().call("PlatformSupport.translateCommand",
                    () -> support.translateCommand(device, command));
            return translation == null ? Optional.empty() : translation.refusal();
        } catch (PluginCallException e) {
            log.warn("Plugin {} could not check a {} command for {}; it is queued and checked at delivery: {}",
                    registration.get().owner().id(), command.type(), device.id(), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Asks the device's platform plugin to wake it.
     *
     * @return whether a plugin accepted the push
     */
    public boolean wake(Device device) {
        Optional<ExtensionRegistry.Registration<?>> registration = forPlatform(device.platform());
        if (registration.isEmpty()) {
            return false;
        }
        PlatformSupport support = (PlatformSupport) registration.get().extension();
        try {
            return registration.get().owner().call("PlatformSupport.wake", () -> support.wake(device));
        } catch (PluginCallException e) {
            return false;
        }
    }

    /**
     * Whether a platform's plugin offers AVAILABLE apps in the platform's own store
     * ({@link PlatformSupport#offersAvailableApps}). No running plugin, or one that fails to answer, offers none: its
     * AVAILABLE apps are then offered in the self-service portal only.
     */
    public boolean offersAvailableApps(Platform platform) {
        Optional<ExtensionRegistry.Registration<?>> registration = forPlatform(platform);
        if (registration.isEmpty()) {
            return false;
        }
        PlatformSupport support = (PlatformSupport) registration.get().extension();
        try {
            return registration.get().owner().call("PlatformSupport.offersAvailableApps", support::offersAvailableApps);
        } catch (PluginCallException e) {
            return false;
        }
    }

    /**
     * Asks a platform's plugin for what a user needs to enroll a device.
     *
     * @return the artifact, or empty when no running plugin for the platform offers one
     * @throws PluginCallException when the plugin fails
     */
    public Optional<EnrollmentArtifact> enrollmentArtifact(
            Platform platform, EnrollmentInvitation invitation) throws PluginCallException {
        Optional<ExtensionRegistry.Registration<?>> registration = forPlatform(platform);
        if (registration.isEmpty()) {
            return Optional.empty();
        }
        PlatformSupport support = (PlatformSupport) registration.get().extension();
        return registration.get().owner().call("PlatformSupport.enrollmentArtifact", () -> support.enrollmentArtifact(invitation));
    }

    /**
     * Asks the device's platform plugin how its management ends ({@link PlatformSupport#endManagement}). Without a
     * running plugin, or when the plugin fails, the standard final command is queued: it waits for the plugin, which
     * translates (or refuses) it when the device asks for work.
     */
    public Optional<ManagementEnd> endManagement(Device device, boolean wipe) {
        Optional<ExtensionRegistry.Registration<?>> registration = forPlatform(device.platform());
        if (registration.isEmpty()) {
            return Optional.of(ManagementEnd.standard(wipe));
        }
        PlatformSupport support = (PlatformSupport) registration.get().extension();
        try {
            return registration.get().owner().call("PlatformSupport.endManagement", () -> support.endManagement(device, wipe));
        } catch (PluginCallException e) {
            log.warn("Plugin {} could not say how to end the management of device {}: {}; the standard command is queued",
                    registration.get().owner().id(), device.id(), e.getMessage());
            return Optional.of(ManagementEnd.standard(wipe));
        }
    }

    /**
     * What one running platform plugin says must be set up before its devices can enroll
     * ({@link PlatformSupport#setupRequirements}).
     *
     * @param pluginId the plugin
     * @param platform the platform it supports
     * @param requirements its requirements, in its order; empty when it failed to answer
     * @param failure why it did not answer, when it failed
     */
    public record PlatformSetup(String pluginId, Platform platform, List<SetupRequirement> requirements, Optional<String> failure) {
        public PlatformSetup {
            requirements = List.copyOf(requirements);
        }
    }

    /**
     * Asks every running platform plugin what must be set up before its devices can enroll. A plugin that fails or
     * times out is reported with its failure; it never hides the others' answers.
     *
     * @return one answer per running platform plugin, by plugin id
     */
    public List<PlatformSetup> setupRequirements() {
        List<PlatformSetup> answers = new ArrayList<>();
        platforms.forEach((registration, platform) -> {
            PlatformSupport support = (PlatformSupport) registration.extension();
            String pluginId = registration.owner().id();
            try {
                List<SetupRequirement> requirements = registration.owner().call("PlatformSupport.setupRequirements", support::setupRequirements);
                answers.add(new PlatformSetup(pluginId, platform, requirements == null ? List.of() : requirements, Optional.empty()));
            } catch (PluginCallException e) {
                answers.add(new PlatformSetup(pluginId, platform, List.of(),
                        Optional.of(e.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '))));
            }
        });
        answers.sort(Comparator.comparing(PlatformSetup::pluginId));
        return answers;
    }

    private Optional<ExtensionRegistry.Registration<?>> forPlatform(Platform platform) {
        return platforms.entrySet().stream().filter(entry -> entry.getValue().equals(platform)).map(Map.Entry::getKey).findFirst();
    }
}
