package dev.shepherd.apple;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What Apple's device-management schemas (github.com/apple/device-management, {@code mdm/commands} and
 * {@code mdm/profiles}) say about commands and payloads, as {@code tools/apple_schema.py} extracted it into
 * {@code apple-schema.properties}: the request types each OS knows, and what is supervised-only on iOS.
 */
final class AppleSchema {

    private static final Map<String, Set<String>> TABLE = load();

    private AppleSchema() {
    }

    /** @return the MDM request types the OS knows */
    static Set<String> knownRequestTypes(SettingProfiles.Os os) {
        return list("requesttype." + (os == SettingProfiles.Os.IOS ? "ios" : "macos"));
    }

    /** @return the request types only a supervised iPhone or iPad carries out */
    static Set<String> supervisedCommands() {
        return list("supervised.command.ios");
    }

    /** @return the Settings command's items only a supervised iPhone or iPad applies */
    static Set<String> supervisedSettings() {
        return list("supervised.settings.ios");
    }

    /** @return the profile payload types only a supervised iPhone or iPad installs */
    static Set<String> supervisedPayloadTypes() {
        return list("supervised.payloadtype.ios");
    }

    /**
     * @param payloadType a payload type, or {@code TopLevel} for the profile's own keys
     * @return the keys of that payload only a supervised iPhone or iPad honours
     */
    static Set<String> supervisedPayloadKeys(String payloadType) {
        return list("supervised.payload.ios." + payloadType);
    }

    private static Set<String> list(String key) {
        return TABLE.getOrDefault(key, Set.of());
    }

    private static Map<String, Set<String>> load() {
        Properties properties = new Properties();
        try (InputStream in = AppleSchema.class.getResourceAsStream("apple-schema.properties")) {
            if (in == null) {
                throw new IllegalStateException("apple-schema.properties is missing from the plugin");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.stringPropertyNames().stream().collect(Collectors.toUnmodifiableMap(key -> key,
                key -> Arrays.stream(properties.getProperty(key).split(",")).filter(item -> !item.isBlank())
                        .collect(Collectors.toUnmodifiableSet())));
    }
}
