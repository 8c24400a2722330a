package dev.shepherd.plugins.chromeos;

import dev.shepherd.api.policy.SettingTypeDefinition;
import dev.shepherd.api.policy.SettingTypeProvider;
import org.pf4j.Extension;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The setting type ChromeOS needs and the kernel lacks: {@code chromeos.app}, an app or extension's install type
 * for an org unit's users, compiled by {@link ChromePolicies} to {@code chrome.users.apps.InstallType}.
 */
@Extension
public final class ChromeOsSettingTypes implements SettingTypeProvider {

    @Override
    public List<SettingTypeDefinition> settingTypes() {
        return List.of(new SettingTypeDefinition(ChromePolicies.APP_TYPE, resource("app.json")));
    }

    private static String resource(String name) {
        try (InputStream in = ChromeOsSettingTypes.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the plugin file lacks its setting type schema " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
