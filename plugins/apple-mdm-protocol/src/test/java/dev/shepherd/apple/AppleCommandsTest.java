package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class AppleCommandsTest {

    @Test
    void settingsBecomeTheSettingsCommandWithTheItemsTheOsHas() {
        Map<String, Object> parameters = Map.of("deviceName", "Front desk iPad", "hostName", "front-desk", "timeZone", "Europe/Paris",
                "dataRoaming", false, "bluetooth", true);

        NSDictionary ios = command(CommandType.SETTINGS, parameters, SettingProfiles.Os.IOS).orElseThrow();
        assertThat(Plists.string(ios, "RequestType")).isEqualTo("Settings");
        NSArray iosItems = (NSArray) ios.objectForKey("Settings");
        assertThat(iosItems.getArray()).extracting(item -> Plists.string((NSDictionary) item, "Item"))
                .containsExactly("DeviceName", "Bluetooth", "TimeZone", "DataRoaming");
        NSDictionary roaming = (NSDictionary) iosItems.objectAtIndex(3);
        assertThat(((NSNumber) roaming.objectForKey("Enabled")).boolValue()).isFalse();
        assertThat(Plists.string((NSDictionary) iosItems.objectAtIndex(0), "DeviceName")).isEqualTo("Front desk iPad");

        NSArray macItems = (NSArray) command(CommandType.SETTINGS, parameters, SettingProfiles.Os.MACOS).orElseThrow().objectForKey("Settings");
        assertThat(macItems.getArray()).extracting(item -> Plists.string((NSDictionary) item, "Item"))
                .as("a Mac has a host name but no cellular radios, and no time zone setting").containsExactly("DeviceName", "HostName", "Bluetooth");
    }

    @Test
    void settingsWithNothingTheOsCanApplyHaveNoEquivalent() {
        assertThat(command(CommandType.SETTINGS, Map.of("personalHotspot", true), SettingProfiles.Os.MACOS)).isEmpty();
        assertThat(command(CommandType.SETTINGS, Map.of(), SettingProfiles.Os.IOS)).isEmpty();
    }

    @Test
    void anEnterpriseWipeRemovesTheEnrollmentProfileAndWithItEverythingManaged() {
        NSDictionary wipe = command(CommandType.ENTERPRISE_WIPE, Map.of(), SettingProfiles.Os.IOS).orElseThrow();
        assertThat(Plists.string(wipe, "RequestType")).isEqualTo("RemoveProfile");
        assertThat(Plists.string(wipe, "Identifier")).isEqualTo(EnrollmentProfile.IDENTIFIER);
    }

    @Test
    void anAppStoreIdThatIsNotANumberIsRefusedNotSent() {
        assertThat(command(CommandType.INSTALL_APP, Map.of("appStoreId", "com.example.app"), SettingProfiles.Os.IOS)).isEmpty();
        assertThat(command(CommandType.INSTALL_APP, Map.of("appStoreId", "361309726"), SettingProfiles.Os.IOS)).isPresent();
    }

    @Test
    void theCatalogsInstallParametersBecomeInstallApplicationWithTheLicenceAndConfiguration() {
        AppleProfileSchema schema = new AppleProfileSchema();
        Map<String, Object> fromStore = Map.of("identifier", "com.apple.Keynote", "version", "14.0", "source", "store",
                "storeAppId", "361285480", "options", Map.of("purchaseMethod", 1), "storeId", "apple-vpp",
                "configuration", Map.of("serverUrl", "https://example.com", "retries", 3));
        for (SettingProfiles.Os os : SettingProfiles.Os.values()) {
            NSDictionary plist = plist(CommandType.INSTALL_APP, fromStore, os);
            NSDictionary body = (NSDictionary) plist.objectForKey("Command");
            assertThat(Plists.string(body, "RequestType")).isEqualTo("InstallApplication");
            assertThat(((NSNumber) body.objectForKey("iTunesStoreID")).longValue()).isEqualTo(361285480L);
            assertThat(((NSNumber) ((NSDictionary) body.objectForKey("Options")).objectForKey("PurchaseMethod")).intValue()).isEqualTo(1);
            assertThat(Plists.string((NSDictionary) body.objectForKey("Configuration"), "serverUrl")).isEqualTo("https://example.com");
            assertThat(schema.commandViolations(plist, os == SettingProfiles.Os.IOS ? "iOS" : "macOS")).as("on " + os).isEmpty();
        }

        NSDictionary manifest = (NSDictionary) plist(CommandType.UPDATE_APP, Map.of("identifier", "com.example.inhouse",
                "source", "manifest", "manifestUrl", "https://apps.example.com/inhouse.plist"), SettingProfiles.Os.IOS).objectForKey("Command");
        assertThat(Plists.string(manifest, "ManifestURL")).isEqualTo("https://apps.example.com/inhouse.plist");
        assertThat(manifest.objectForKey("iTunesStoreID")).isNull();

        assertThat(command(CommandType.INSTALL_APP, Map.of("identifier", "com.example", "source", "store", "storeAppId", "com.example"),
                SettingProfiles.Os.IOS)).as("an adam id is a number").isEmpty();
        assertThat(command(CommandType.INSTALL_APP, Map.of("identifier", "com.example", "source", "store", "storeAppId", "361285480",
                "options", Map.of("purchaseMethod", 7)), SettingProfiles.Os.IOS)).as("PurchaseMethod is 0 or 1").isEmpty();
        assertThat(command(CommandType.INSTALL_APP, Map.of("identifier", "com.example", "source", "package",
                "packageUrl", "https://apps.example.com/a.ipa", "sha256", "a".repeat(64), "size", 10, "packageKind", "ipa"),
                SettingProfiles.Os.IOS)).as("InstallApplication installs no bare package").isEmpty();
        assertThat(command(CommandType.INSTALL_APP, Map.of("source", "store"), SettingProfiles.Os.IOS)).isEmpty();
    }

    @Test
    void onlyAnAppListAskingForSomeAppsOrManagedOnesIsPartial() {
        assertThat(AppleCommands.partialAppList(plist(CommandType.REFRESH_INVENTORY, Map.of("query", "InstalledApplicationList"))))
                .as("every app, managed or not").isFalse();
        assertThat(AppleCommands.partialAppList(raw("<key>Identifiers</key><array><string>com.example.app</string></array>"))).isTrue();
        assertThat(AppleCommands.partialAppList(raw("<key>ManagedAppsOnly</key><true/>"))).isTrue();
        assertThat(AppleCommands.partialAppList(raw("<key>Identifiers</key><array/>"))).as("no identifiers: every app").isFalse();
        assertThat(AppleCommands.partialAppList(plist(CommandType.REFRESH_INVENTORY, Map.of()))).isFalse();
    }

    @Test
    void aMacInstallsAManifestsPackageWithInstallEnterpriseApplicationAsApplesSchemaHasIt() {
        Map<String, Object> parameters = Map.of("identifier", "com.example.agent", "version", "5.0.2", "source", "manifest",
                "manifestUrl", "https://mdm.example.com/mdm/appstore-private/manifests/ab?device=d&expires=1&signature=s");
        NSDictionary plist = plist(CommandType.INSTALL_APP, parameters, SettingProfiles.Os.MACOS);
        NSDictionary body = (NSDictionary) plist.objectForKey("Command");

        assertThat(Plists.string(body, "RequestType")).isEqualTo("InstallEnterpriseApplication");
        assertThat(Plists.string(body, "ManifestURL")).isEqualTo(parameters.get("manifestUrl"));
        assertThat(body.allKeys()).containsExactlyInAnyOrder("RequestType", "ManifestURL");
        assertThat(new AppleProfileSchema().commandViolations(plist, "macOS")).isEmpty();
        assertThat(Plists.string((NSDictionary) plist(CommandType.INSTALL_APP, parameters, SettingProfiles.Os.IOS).objectForKey("Command"),
                "RequestType")).as("an iPhone's enterprise app").isEqualTo("InstallApplication");
    }

    @Test
    void userEnrollmentForbidsWhatApplesSchemasForbidPerOs() {
        NSDictionary restart = plist(CommandType.RESTART, Map.of());
        NSDictionary lock = plist(CommandType.LOCK, Map.of());
        assertThat(AppleCommands.allowedInUserEnrollment(restart, SettingProfiles.Os.IOS)).isFalse();
        assertThat(AppleCommands.allowedInUserEnrollment(lock, SettingProfiles.Os.IOS)).isTrue();
        assertThat(AppleCommands.allowedInUserEnrollment(lock, SettingProfiles.Os.MACOS)).isFalse();
        assertThat(AppleCommands.allowedInUserEnrollment(plist(CommandType.REFRESH_INVENTORY, Map.of()), SettingProfiles.Os.MACOS)).isTrue();
    }

    /** Each kernel command with every parameter it takes, as an admin or the kernel sends it. */
    static final Map<CommandType, Map<String, Object>> EVERY_COMMAND = new EnumMap<>(Map.ofEntries(
            Map.entry(CommandType.LOCK, Map.of("message", "Call IT", "phoneNumber", "+1 555 0100", "pin", "123456")),
            Map.entry(CommandType.WIPE, Map.of("pin", "123456", "preserveDataPlan", true)),
            Map.entry(CommandType.ENTERPRISE_WIPE, Map.of()),
            Map.entry(CommandType.RESTART, Map.of()),
            Map.entry(CommandType.SHUT_DOWN, Map.of()),
            Map.entry(CommandType.LOCATE, Map.of()),
            Map.entry(CommandType.LOST_MODE_ON, Map.of("message", "Lost", "phoneNumber", "+1 555 0100", "footnote", "Reward")),
            Map.entry(CommandType.LOST_MODE_OFF, Map.of()),
            Map.entry(CommandType.CLEAR_PASSCODE, Map.of()),
            Map.entry(CommandType.REFRESH_INVENTORY, Map.of("query", "DeviceInformation")),
            Map.entry(CommandType.INSTALL_PROFILE, Map.of("settingKey", "passcode", "settingType", "passcode", "value", Map.of("required", true))),
            Map.entry(CommandType.REMOVE_PROFILE, Map.of("settingKey", "passcode")),
            Map.entry(CommandType.INSTALL_APP, Map.of("appStoreId", "361309726")),
            Map.entry(CommandType.UPDATE_APP, Map.of("manifestUrl", "https://apps.example.com/app.plist")),
            Map.entry(CommandType.REMOVE_APP, Map.of("identifier", "com.example.app")),
            Map.entry(CommandType.OS_UPDATE, Map.of("installAction", "InstallASAP", "productVersion", "18.1")),
            Map.entry(CommandType.SETTINGS, Map.of("deviceName", "Front desk", "hostName", "front-desk", "timeZone", "Europe/Paris",
                    "bluetooth", true, "dataRoaming", false, "voiceRoaming", false, "personalHotspot", false))));

    @ParameterizedTest
    @EnumSource(SettingProfiles.Os.class)
    void everyCommandIsOneApplesCommandSchemasAcceptOnTheOs(SettingProfiles.Os os) {
        AppleProfileSchema schema = new AppleProfileSchema();
        String apple = os == SettingProfiles.Os.IOS ? "iOS" : "macOS";
        EVERY_COMMAND.forEach((type, parameters) -> {
            Command command = new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0, CommandState.QUEUED, Instant.now(),
                    Optional.empty());
            NSDictionary plist = AppleCommands.toPlist(command, Optional.of(new byte[]{9, 9, 9}), os, name -> Optional.empty()).orElseThrow();
            String requestType = Plists.string((NSDictionary) plist.objectForKey("Command"), "RequestType");
            if (AppleSchema.knownRequestTypes(os).contains(requestType)) {
                assertThat(schema.commandViolations(plist, apple)).as(type + " on " + apple).isEmpty();
            } else {
                // Not sent: the translator refuses request types the OS does not know (as LOCATE on a Mac), with the reason.
                assertThat(schema.commandViolations(plist, apple)).as(type + " on " + apple)
                        .containsExactly("Command.RequestType: " + requestType + " is not supported on " + apple);
            }
        });
        for (String query : Inventory.QUERIES) {
            NSDictionary plist = AppleCommands.toPlist(new Command(UUID.randomUUID(), DeviceId.random(), CommandType.REFRESH_INVENTORY,
                    Map.of("query", query), 0, CommandState.QUEUED, Instant.now(), Optional.empty()), Optional.empty(), os, name -> Optional.empty())
                    .orElseThrow();
            assertThat(schema.commandViolations(plist, apple)).as(query + " on " + apple).isEmpty();
        }
    }

    private static NSDictionary raw(String keys) {
        return plist(CommandType.RAW, Map.of("plist", "<plist version=\"1.0\"><dict><key>Command</key><dict>"
                + "<key>RequestType</key><string>InstalledApplicationList</string>" + keys + "</dict></dict></plist>"));
    }

    /** The whole command envelope, as sent. */
    private static NSDictionary plist(CommandType type, Map<String, Object> parameters) {
        return plist(type, parameters, SettingProfiles.Os.IOS);
    }

    /** The whole command envelope for one OS, as sent. */
    private static NSDictionary plist(CommandType type, Map<String, Object> parameters, SettingProfiles.Os os) {
        Command command = new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0,
                CommandState.QUEUED, Instant.now(), Optional.empty());
        return AppleCommands.toPlist(command, Optional.empty(), os, name -> Optional.empty()).orElseThrow();
    }

    private static Optional<NSDictionary> command(CommandType type, Map<String, Object> parameters, SettingProfiles.Os os) {
        Command command = new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0, CommandState.QUEUED, Instant.now(),
                Optional.empty());
        return AppleCommands.toPlist(command, Optional.empty(), os, name -> Optional.empty()).map(envelope -> (NSDictionary) envelope.objectForKey("Command"));
    }
}
