package dev.shepherd.plugins.android;

import dev.shepherd.api.policy.SettingTypeDefinition;
import dev.shepherd.api.policy.SettingTypeProvider;
import org.pf4j.Extension;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The setting types only Android has, for what the kernel's types cannot say: how an app is installed, a kiosk, the
 * personal profile's limits and the always-on VPN app. Their JSON Schemas are resources beside this class.
 */
@Extension
public final class AndroidSettingTypes implements SettingTypeProvider {

    /** An app from managed Google Play and its install type. */
    public static final String APPLICATION = "android.application";
    /** A dedicated device locked to one app. */
    public static final String KIOSK = "android.kiosk";
    /** Limits on the personal profile of a company-owned device. */
    public static final String PERSONAL_USAGE = "android.personal_usage";
    /** A VPN app kept connected. */
    public static final String ALWAYS_ON_VPN = "android.always_on_vpn";
    static final List<String> ALL = List.of(APPLICATION, KIOSK, PERSONAL_USAGE, ALWAYS_ON_VPN);

    @Override
    public List<SettingTypeDefinition> settingTypes() {
        return ALL.stream().map(name -> new SettingTypeDefinition(name, schema(name.substring("android.".length())))).toList();
    }

    private static String schema(String file) {
        try (InputStream in = AndroidSettingTypes.class.getResourceAsStream("settings/" + file + ".json")) {
            if (in == null) {
                throw new IllegalStateException("the plugin file lacks the schema of android." + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
