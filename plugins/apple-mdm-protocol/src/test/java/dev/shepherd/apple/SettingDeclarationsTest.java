package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import dev.shepherd.apple.DeclarativeManagement.Declaration;
import dev.shepherd.apple.SettingProfiles.Os;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** OS updates and passcodes compile to declarations that Apple's declaration schemas accept, activated per setting. */
class SettingDeclarationsTest {

    private static final AppleProfileSchema SCHEMA = new AppleProfileSchema();

    @ParameterizedTest
    @EnumSource(Os.class)
    void anOsUpdateEnforcesTheMinimumVersionByTheDeadlineAndSetsAutomaticInstallAndDeferral(Os os) {
        List<Declaration> declarations = SettingDeclarations.compile("os_update", "os_update", Map.of("minimumVersion", "17.6",
                "enforceBy", "2025-07-01T18:00:00+02:00", "automatic", true, "deferralDays", 14,
                "installWindowStart", "22:00", "installWindowEnd", "04:00"), os);

        assertValid(declarations, os);
        assertThat(declarations).extracting(Declaration::type).containsExactly("com.apple.configuration.softwareupdate.enforcement.specific",
                "com.apple.configuration.softwareupdate.settings", "com.apple.activation.simple");
        Declaration enforcement = declarations.get(0);
        assertThat(enforcement.identifier()).isEqualTo("dev.shepherd.setting.os-update.enforcement");
        assertThat(enforcement.payload()).containsEntry("TargetOSVersion", "17.6")
                .as("the admin's wall-clock time, applied in the device's own time zone")
                .containsEntry("TargetLocalDateTime", "2025-07-01T18:00:00");
        Map<String, Object> settings = declarations.get(1).payload();
        assertThat(settings).containsEntry("AutomaticActions", Map.of("Download", "AlwaysOn", "InstallOSUpdates", "AlwaysOn"));
        assertThat(settings).containsEntry("Deferrals", os == Os.IOS ? Map.of("CombinedPeriodInDays", 14)
                : Map.of("MajorPeriodInDays", 14, "MinorPeriodInDays", 14));
        Declaration activation = declarations.get(2);
        assertThat(activation.identifier()).isEqualTo(SettingDeclarations.activationIdentifier("os_update"));
        assertThat(activation.payload()).containsEntry("StandardConfigurations",
                List.of("dev.shepherd.setting.os-update.enforcement", "dev.shepherd.setting.os-update.settings"));
    }

    @Test
    void anOsUpdateNeedsADeadlineForItsMinimumVersionAndSomethingToApply() {
        assertThatThrownBy(() -> SettingDeclarations.compile("os_update", "os_update", Map.of("minimumVersion", "17.6"), Os.IOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("enforceBy");
        assertThatThrownBy(() -> SettingDeclarations.compile("os_update", "os_update", Map.of("deferralDays", 0), Os.MACOS))
                .isInstanceOf(SettingProfiles.UnsupportedSettingException.class).hasMessageContaining("nothing");
        List<Declaration> manualOnly = SettingDeclarations.compile("os_update", "os_update", Map.of("automatic", false), Os.MACOS);
        assertValid(manualOnly, Os.MACOS);
        assertThat(manualOnly.get(0).payload()).containsEntry("AutomaticActions", Map.of("Download", "AlwaysOff", "InstallOSUpdates", "AlwaysOff"));
    }

    @ParameterizedTest
    @EnumSource(Os.class)
    void aPasscodeIsAPasscodeSettingsDeclaration(Os os) {
        List<Declaration> declarations = SettingDeclarations.compile("passcode", "passcode", Map.of("required", true, "minLength", 8,
                "requireAlphanumeric", true, "minComplexCharacters", 1, "maxFailedAttempts", 20, "maxInactivityMinutes", 30,
                "maxAgeDays", 90, "historyCount", 5), os);

        assertValid(declarations, os);
        Declaration passcode = declarations.get(0);
        assertThat(passcode.type()).isEqualTo("com.apple.configuration.passcode.settings");
        assertThat(passcode.identifier()).isEqualTo("dev.shepherd.setting.passcode");
        assertThat(passcode.payload()).containsEntry("RequirePasscode", true).containsEntry("MinimumLength", 8)
                .as("stricter than asked, within Apple's range").containsEntry("MaximumFailedAttempts", 11).containsEntry("MaximumInactivityInMinutes", 15)
                .containsEntry("PasscodeReuseLimit", 5);
        assertThatThrownBy(() -> SettingDeclarations.compile("passcode", "passcode", Map.of("minLength", 20), os))
                .as("a weaker passcode than asked is refused").hasMessageContaining("minLength 20");
    }

    @Test
    void theSchemaCheckRefusesKeysTheOsDoesNotHave() {
        NSDictionary iosOnly = new NSDictionary();
        NSDictionary deferrals = new NSDictionary();
        deferrals.put("CombinedPeriodInDays", 7);
        iosOnly.put("Deferrals", deferrals);
        assertThat(SCHEMA.declarationViolations("com.apple.configuration.softwareupdate.settings", iosOnly, "macOS"))
                .anySatisfy(violation -> assertThat(violation).contains("CombinedPeriodInDays").contains("not available on macOS"));
    }

    private static void assertValid(List<Declaration> declarations, Os os) {
        for (Declaration declaration : declarations) {
            NSDictionary payload = (NSDictionary) NSObject.fromJavaObject(declaration.payload());
            assertThat(SCHEMA.declarationViolations(declaration.type(), payload, os == Os.IOS ? "iOS" : "macOS"))
                    .as(declaration.identifier() + " on " + os).isEmpty();
        }
    }
}
