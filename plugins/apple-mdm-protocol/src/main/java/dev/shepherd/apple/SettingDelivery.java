package dev.shepherd.apple;

import dev.shepherd.api.config.PluginConfig;

/**
 * Which settings reach Apple devices as declarations rather than configuration profiles. {@code os_update} has no
 * profile for iPhones and only a deprecated one for Macs, so it is always declared. A passcode is a profile unless
 * the plugin setting {@code passcodeDelivery} is {@code declaration}: the profile works on every OS version the
 * plugin manages, the declaration needs iOS 15 / macOS 13 but reports whether it applies.
 *
 * @param passcodeAsDeclaration whether {@code passcode} settings are declared
 */
public record SettingDelivery(boolean passcodeAsDeclaration) {

    /**
     * @throws IllegalArgumentException naming the setting when {@code passcodeDelivery} is neither value
     */
    public static SettingDelivery from(PluginConfig config) {
        String passcode = config.get("passcodeDelivery", "profile").trim();
        return switch (passcode) {
            case "profile" -> new SettingDelivery(false);
            case "declaration" -> new SettingDelivery(true);
            default -> throw new IllegalArgumentException("plugin setting 'passcodeDelivery' is not profile or declaration: " + passcode);
        };
    }

    /** @return whether settings of the type are delivered as declarations */
    public boolean declarative(String settingType) {
        return settingType.equals("os_update") || passcodeAsDeclaration && settingType.equals("passcode");
    }

    /**
     * @return whether settings of the type are delivered as declarations under some value of the plugin settings: what a
     *         device was sent before the settings changed may have been sent that way
     */
    public static boolean mayDeclare(String settingType) {
        return new SettingDelivery(true).declarative(settingType);
    }
}
