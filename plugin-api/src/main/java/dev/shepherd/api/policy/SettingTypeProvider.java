package dev.shepherd.api.policy;

import org.pf4j.ExtensionPoint;

import java.util.List;

/** Adds setting types to the policy model; they appear in the admin API and the console while the plugin runs. */
public interface SettingTypeProvider extends ExtensionPoint {

    /**
     * The setting types this plugin adds.
     *
     * @return their definitions
     */
    List<SettingTypeDefinition> settingTypes();
}
