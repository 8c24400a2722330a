package dev.shepherd.apple;

import dev.shepherd.apple.DeclarativeManagement.Declaration;
import dev.shepherd.apple.SettingProfiles.Os;
import dev.shepherd.apple.SettingProfiles.UnsupportedSettingException;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.shepherd.apple.SettingProfiles.bool;
import static dev.shepherd.apple.SettingProfiles.integer;
import static dev.shepherd.apple.SettingProfiles.optionalText;

/**
 * Compiles kernel settings into Declarative Device Management declarations: one or more configurations per setting
 * and a {@code com.apple.activation.simple} that activates them, so that each setting is installed, replaced and
 * removed on its own, like a profile. Identifiers derive from the setting key ({@link SettingProfiles#identifier}),
 * so the device status for a configuration leads back to its setting.
 *
 * <p>As with {@link SettingProfiles}, only keys Apple's declaration schemas define for the OS are written (the tests
 * check them), and what cannot be expressed raises {@link UnsupportedSettingException} with the reason.
 */
public final class SettingDeclarations {

    /** The setting types that can be delivered as declarations. */
    public static final Set<String> TYPES = Set.of("os_update", "passcode");

    private static final DateTimeFormatter LOCAL_DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");

    private SettingDeclarations() {
    }

    /**
     * @param settingKey the setting's key
     * @return the identifier of the activation a setting's declarations are activated by
     */
    public static String activationIdentifier(String settingKey) {
        return SettingProfiles.identifier(settingKey) + ".activation";
    }

    /**
     * Compiles one setting.
     *
     * @param settingKey the setting's key
     * @param type the setting type, one of {@link #TYPES}
     * @param value the setting's value, valid for its type
     * @param os the target OS
     * @return the setting's configurations followed by the activation that lists them
     * @throws UnsupportedSettingException when the setting cannot be expressed as declarations on the OS
     */
    public static List<Declaration> compile(String settingKey, String type, Map<String, Object> value, Os os) {
        String identifier = SettingProfiles.identifier(settingKey);
        List<Declaration> configurations = switch (type) {
            case "os_update" -> osUpdate(identifier, value, os);
            case "passcode" -> List.of(new Declaration("configuration", "com.apple.configuration.passcode.settings", identifier, passcode(value)));
            default -> throw new UnsupportedSettingException(type + " is not delivered as a declaration on Apple platforms");
        };
        List<Declaration> declarations = new ArrayList<>(configurations);
        declarations.add(new Declaration("activation", "com.apple.activation.simple", activationIdentifier(settingKey),
                Map.of("StandardConfigurations", configurations.stream().map(Declaration::identifier).toList())));
        return List.copyOf(declarations);
    }

    /**
     * An enforced minimum version becomes {@code softwareupdate.enforcement.specific} (iOS 17, macOS 14); automatic
     * installation and deferral become {@code softwareupdate.settings} (iOS 18, macOS 15; supervised iPhones only
     * honour them). Older systems report the declaration as unsupported in their status, which becomes the setting's
     * failure reason. Apple has no install window, so {@code installWindowStart}/{@code End} are not applied.
     */
    private static List<Declaration> osUpdate(String identifier, Map<String, Object> value, Os os) {
        List<Declaration> configurations = new ArrayList<>();
        Optional<String> minimumVersion = optionalText(value, "minimumVersion");
        if (minimumVersion.isPresent()) {
            String enforceBy = optionalText(value, "enforceBy").orElseThrow(() -> new UnsupportedSettingException(
                    "Apple devices enforce a minimum version only by a deadline: set enforceBy"));
            configurations.add(new Declaration("configuration", "com.apple.configuration.softwareupdate.enforcement.specific",
                    identifier + ".enforcement", Map.of("TargetOSVersion", minimumVersion.get(), "TargetLocalDateTime", localDateTime(enforceBy))));
        }
        Map<String, Object> settings = new LinkedHashMap<>();
        bool(value, "automatic").ifPresent(automatic -> {
            String mode = automatic ? "AlwaysOn" : "AlwaysOff";
            settings.put("AutomaticActions", Map.of("Download", mode, "InstallOSUpdates", mode));
        });
        integer(value, "deferralDays").filter(days -> days > 0).ifPresent(days -> {
            // iOS defers major and minor updates together; macOS separately, and the kernel's one figure applies to both.
            settings.put("Deferrals", os == Os.IOS ? Map.of("CombinedPeriodInDays", days)
                    : Map.of("MajorPeriodInDays", days, "MinorPeriodInDays", days));
        });
        if (!settings.isEmpty()) {
            configurations.add(new Declaration("configuration", "com.apple.configuration.softwareupdate.settings",
                    identifier + ".settings", settings));
        }
        if (configurations.isEmpty()) {
            throw new UnsupportedSettingException("nothing for Apple devices to apply: set minimumVersion with enforceBy, automatic or deferralDays");
        }
        return configurations;
    }

    /**
     * Apple's deadline is a local date and time without offset, applied in each device's own time zone; the local
     * part of the admin's {@code enforceBy} is kept, so "18:00" means 18:00 wherever the device is.
     */
    private static String localDateTime(String enforceBy) {
        try {
            return OffsetDateTime.parse(enforceBy).toLocalDateTime().format(LOCAL_DATE_TIME);
        } catch (DateTimeParseException e) {
            throw new UnsupportedSettingException("enforceBy is not a date-time with offset: " + enforceBy);
        }
    }

    /** The passcode policy in the declaration's terms; limits the declaration cannot reach are refused, not weakened. */
    private static Map<String, Object> passcode(Map<String, Object> value) {
        Map<String, Object> payload = new LinkedHashMap<>();
        bool(value, "required").ifPresent(required -> payload.put("RequirePasscode", required));
        integer(value, "minLength").ifPresent(length -> payload.put("MinimumLength", SettingProfiles.atMost(length, 16, "minLength")));
        bool(value, "requireAlphanumeric").ifPresent(alpha -> payload.put("RequireAlphanumericPasscode", alpha));
        integer(value, "minComplexCharacters").ifPresent(count -> payload.put("MinimumComplexCharacters", SettingProfiles.atMost(count, 4, "minComplexCharacters")));
        // Wiping after fewer attempts or locking sooner is stricter than asked, so these are clamped into Apple's range.
        integer(value, "maxFailedAttempts").ifPresent(count -> payload.put("MaximumFailedAttempts", Math.max(2, Math.min(11, count))));
        integer(value, "maxInactivityMinutes").ifPresent(minutes -> payload.put("MaximumInactivityInMinutes", Math.min(15, minutes)));
        integer(value, "maxAgeDays").filter(days -> days > 0).ifPresent(days -> payload.put("MaximumPasscodeAgeInDays", days));
        integer(value, "historyCount").filter(count -> count > 0).ifPresent(count -> payload.put("PasscodeReuseLimit", count));
        return payload;
    }
}
