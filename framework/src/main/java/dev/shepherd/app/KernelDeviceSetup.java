package dev.shepherd.app;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceSetup;
import dev.shepherd.api.device.SetupProgress;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.policy.EffectiveSetting;
import dev.shepherd.policy.PolicyService;

import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's {@link DeviceSetup}: a device's progress read from what the kernel records anyway, the states of the
 * settings of its effective policy ({@link PolicyService#settingStates}) and the install states of the apps its
 * assignments require ({@link AppCatalogService#requiredStates}).
 *
 * <p>A setting of the effective policy with no state yet (its reconcile has not run) or a {@code PENDING} one is
 * pending; {@code NOT_SUPPORTED} counts as failed, since the device will never have it. A required app with no state
 * yet, or one that is {@code PENDING}, {@code INSTALLING} or {@code REMOVED} (to be installed again) is pending.
 */
public final class KernelDeviceSetup implements DeviceSetup {

    private final PolicyService policies;
    private final AppCatalogService apps;

    public KernelDeviceSetup(PolicyService policies, AppCatalogService apps) {
        this.policies = requireNonNull(policies, "policies is null");
        this.apps = requireNonNull(apps, "apps is null");
    }

    @Override
    public SetupProgress progress(DeviceId device) {
        requireNonNull(device, "device is null");
        Map<String, SettingState> states = policies.settingStates(device).stream()
                .collect(Collectors.toMap(DeviceSettingState::settingKey, DeviceSettingState::state, (first, second) -> first));
        Counts settings = new Counts();
        for (EffectiveSetting setting : policies.effectiveSettings(device)) {
            switch (Optional.ofNullable(states.get(setting.setting().key())).orElse(SettingState.PENDING)) {
                case INSTALLED -> settings.installed++;
                case PENDING -> settings.pending++;
                case FAILED, NOT_SUPPORTED -> settings.failed++;
            }
        }
        Counts required = new Counts();
        for (Optional<AppInstallState> state : apps.requiredStates(device).values()) {
            switch (state.orElse(AppInstallState.PENDING)) {
                case INSTALLED -> required.installed++;
                case FAILED -> required.failed++;
                case PENDING, INSTALLING, REMOVED -> required.pending++;
            }
        }
        return new SetupProgress(settings.installed, settings.pending, settings.failed, required.installed, required.pending, required.failed);
    }

    /** Tallies of one kind of assignment. */
    private static final class Counts {
        int installed;
        int pending;
        int failed;
    }
}
