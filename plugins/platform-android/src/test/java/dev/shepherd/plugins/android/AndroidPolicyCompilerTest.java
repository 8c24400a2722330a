package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.policy.Setting;
import dev.shepherd.google.discovery.DiscoveryContract;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Kernel settings become one Android Management API policy, named by its content. */
class AndroidPolicyCompilerTest {

    private final PolicyCompiler compiler = new PolicyCompiler();

    @Test
    void passcodeRulesApplyToTheDeviceOrToTheWorkProfileAndTheShortestLockTimeWins() {
        List<Setting> settings = List.of(
                new Setting("passcode", "passcode", Map.of("required", true, "minLength", 6, "minComplexCharacters", 1,
                        "maxFailedAttempts", 10, "maxAgeDays", 90, "historyCount", 5, "maxInactivityMinutes", 10)),
                new Setting("screen_lock", "screen_lock", Map.of("timeoutMinutes", 2)));
        JsonNode device = compiler.compile(settings, false).policy();
        JsonNode password = device.path("passwordPolicies").get(0);
        assertThat(password.path("passwordScope").asText()).isEqualTo("SCOPE_DEVICE");
        assertThat(password.path("passwordQuality").asText()).isEqualTo("COMPLEX");
        assertThat(password.path("passwordMinimumLength").asInt()).isEqualTo(6);
        assertThat(password.path("passwordMinimumSymbols").asInt()).isEqualTo(1);
        assertThat(password.path("maximumFailedPasswordsForWipe").asInt()).isEqualTo(10);
        assertThat(password.path("passwordExpirationTimeout").asText()).isEqualTo("7776000s");
        assertThat(password.path("passwordHistoryLength").asInt()).isEqualTo(5);
        assertThat(device.path("maximumTimeToLock").asText()).isEqualTo("120000");
        assertThat(compiler.compile(settings, true).policy().path("passwordPolicies").get(0).path("passwordScope").asText())
                .isEqualTo("SCOPE_PROFILE");
        assertThat(compiler.compile(settings, false).fields().get("maximumTimeToLock")).containsExactly("passcode", "screen_lock");
    }

    @Test
    void appsGetTheirInstallTypeAndManagedConfigurationInOneEntryAndAKioskIsRefusedOnAWorkProfile() {
        List<Setting> settings = List.of(
                new Setting("app_config", "app_config/com.example.mail", Map.of("appId", "com.example.mail", "configuration", Map.of("server", "mail.example.com"))),
                new Setting(AndroidSettingTypes.APPLICATION, "android.application/com.example.mail",
                        Map.of("packageName", "com.example.mail", "installType", "FORCE_INSTALLED")),
                new Setting(AndroidSettingTypes.KIOSK, AndroidSettingTypes.KIOSK, Map.of("packageName", "com.example.till", "statusBar", "SYSTEM_INFO_ONLY")));
        PolicyCompiler.Compiled dedicated = compiler.compile(settings, false);
        JsonNode apps = dedicated.policy().path("applications");
        assertThat(apps).hasSize(2);
        assertThat(apps.get(0).path("packageName").asText()).isEqualTo("com.example.mail");
        assertThat(apps.get(0).path("installType").asText()).isEqualTo("FORCE_INSTALLED");
        assertThat(apps.get(0).path("managedConfiguration").path("server").asText()).isEqualTo("mail.example.com");
        assertThat(apps.get(1).path("installType").asText()).isEqualTo("KIOSK");
        assertThat(dedicated.policy().path("kioskCustomization").path("statusBar").asText()).isEqualTo("SYSTEM_INFO_ONLY");
        assertThat(dedicated.fields().get("applications/com.example.mail"))
                .containsExactlyInAnyOrder("app_config/com.example.mail", "android.application/com.example.mail");

        PolicyCompiler.Compiled workProfile = compiler.compile(settings, true);
        assertThat(workProfile.refused()).containsKey(AndroidSettingTypes.KIOSK);
        assertThat(workProfile.policy().path("applications")).hasSize(1);
    }

    @Test
    void networksAndRootCertificatesGoIntoOpenNetworkConfigurationAndClientIdentitiesAreRefused() {
        PolicyCompiler.Compiled compiled = compiler.compile(List.of(
                new Setting("wifi", "wifi/Corp", Map.of("ssid", "Corp", "security", "WPA2_ENTERPRISE", "eapMethod", "TLS", "clientKeyAlias", "corp-identity",
                        "serverNames", List.of("radius.example.com"))),
                new Setting("certificate", "certificate/Root", Map.of("name", "Root", "kind", "TRUSTED_ROOT", "data", "TUlJQg==")),
                new Setting("certificate", "certificate/Me", Map.of("name", "Me", "kind", "PKCS12_IDENTITY", "data", "AAAA"))), false);
        JsonNode onc = compiled.policy().path("openNetworkConfiguration");
        JsonNode wifi = onc.path("NetworkConfigurations").get(0).path("WiFi");
        assertThat(wifi.path("Security").asText()).isEqualTo("WPA-EAP");
        assertThat(wifi.path("EAP").path("Outer").asText()).isEqualTo("EAP-TLS");
        assertThat(wifi.path("EAP").path("ClientCertKeyPairAlias").asText()).isEqualTo("corp-identity");
        assertThat(onc.path("Certificates").get(0).path("Type").asText()).isEqualTo("Authority");
        assertThat(onc.path("Certificates").get(0).path("X509").asText()).isEqualTo("TUlJQg==");
        assertThat(compiled.refused()).containsOnlyKeys("certificate/Me");
    }

    @Test
    void enterpriseWifiNamesItsServerCaAndDomainAndSendsNothingAndroidDoesNotSupport() {
        PolicyCompiler.Compiled compiled = compiler.compile(List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP", "identity", "alice",
                        "password", "s3cret-pass", "serverCertificates", List.of("Radius CA"), "serverNames", List.of("radius.example.com"))),
                new Setting("certificate", "certificate/Other", Map.of("name", "Other", "kind", "TRUSTED_ROOT", "data", "T1RIRVI=")),
                new Setting("certificate", "certificate/Radius CA", Map.of("name", "Radius CA", "kind", "TRUSTED_ROOT", "data", "UkFESVVT"))), false);
        JsonNode onc = compiled.policy().path("openNetworkConfiguration");
        JsonNode eap = onc.path("NetworkConfigurations").get(0).path("WiFi").path("EAP");
        assertThat(eap.path("Outer").asText()).isEqualTo("PEAP");
        assertThat(eap.path("Inner").asText()).isEqualTo("MSCHAPv2");
        assertThat(eap.path("ServerCARefs")).extracting(JsonNode::asText).containsExactly("certificate/Radius CA");
        assertThat(onc.path("Certificates")).anySatisfy(certificate -> {
            assertThat(certificate.path("GUID").asText()).isEqualTo("certificate/Radius CA");
            assertThat(certificate.path("Type").asText()).isEqualTo("Authority");
        });
        assertThat(eap.path("DomainSuffixMatch")).extracting(JsonNode::asText).containsExactly("radius.example.com");
        assertThat(eap.has("UseSystemCAs")).as("AMAPI does not support UseSystemCAs").isFalse();
        assertThat(compiled.refused()).isEmpty();

        // Without a named CA, every trusted root of the device vouches for the server.
        JsonNode anyRoot = compiler.compile(List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "TTLS",
                        "serverNames", List.of("radius.example.com"))),
                new Setting("certificate", "certificate/Root", Map.of("name", "Root", "kind", "TRUSTED_ROOT", "data", "TUlJQg=="))), false)
                .policy().path("openNetworkConfiguration").path("NetworkConfigurations").get(0).path("WiFi").path("EAP");
        assertThat(anyRoot.path("ServerCARefs")).extracting(JsonNode::asText).containsExactly("certificate/Root");
        assertThat(anyRoot.path("Inner").asText()).isEqualTo("MSCHAPv2");

        // Android refuses enterprise networks without a server CA or a domain: refused here with the reason instead.
        PolicyCompiler.Compiled noDomain = compiler.compile(List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP")),
                new Setting("certificate", "certificate/Root", Map.of("name", "Root", "kind", "TRUSTED_ROOT", "data", "TUlJQg=="))), false);
        assertThat(noDomain.refused().get("wifi/Staff")).contains("serverNames");
        PolicyCompiler.Compiled noCa = compiler.compile(List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP",
                        "serverNames", List.of("radius.example.com")))), false);
        assertThat(noCa.refused().get("wifi/Staff")).contains("trusted root");
        PolicyCompiler.Compiled unknownCa = compiler.compile(List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP",
                        "serverCertificates", List.of("Missing"), "serverNames", List.of("radius.example.com")))), false);
        assertThat(unknownCa.refused().get("wifi/Staff")).contains("Missing");
        assertThat(unknownCa.policy().has("openNetworkConfiguration")).isFalse();
    }

    @Test
    void anEnterpriseNetworkCheckedAloneIsNotRefusedForTheCertificatesTheDevicesOtherSettingsProvide() {
        Setting staff = new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP",
                "serverCertificates", List.of("Radius CA"), "serverNames", List.of("radius.example.com")));
        PolicyCompiler.Compiled alone = compiler.compileSetting(staff, false);
        assertThat(alone.refused()).isEmpty();
        assertThat(alone.policy().path("openNetworkConfiguration").path("NetworkConfigurations").get(0).path("WiFi").path("EAP")
                .path("ServerCARefs")).extracting(JsonNode::asText).containsExactly("certificate/Radius CA");
        assertThat(compiler.compileSetting(new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE",
                "eapMethod", "PEAP")), false).refused()).as("no domain is wrong whatever else the device has").containsKey("wifi/Staff");
    }

    @Test
    void anEapTlsIdentityTravelsAsAnOncClientCertificateAndroidCanImportOrAsAKeyPairAlias() throws Exception {
        String pkcs12 = TestIdentities.pkcs12("device-1", "p12-password");
        List<Setting> settings = List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA3_ENTERPRISE", "eapMethod", "TLS", "identity", "device-1",
                        "certificate", "Device identity", "serverNames", List.of("radius.example.com"))),
                new Setting("certificate", "certificate/Device identity", Map.of("name", "Device identity", "kind", "PKCS12_IDENTITY",
                        "data", pkcs12, "password", "p12-password")),
                new Setting("certificate", "certificate/Root", Map.of("name", "Root", "kind", "TRUSTED_ROOT", "data", "TUlJQg==")));
        PolicyCompiler.Compiled compiled = compiler.compile(settings, false);
        assertThat(compiled.refused()).isEmpty();
        JsonNode onc = compiled.policy().path("openNetworkConfiguration");
        JsonNode eap = onc.path("NetworkConfigurations").get(0).path("WiFi").path("EAP");
        assertThat(eap.path("ClientCertType").asText()).isEqualTo("Ref");
        assertThat(eap.path("ClientCertRef").asText()).isEqualTo("certificate/Device identity");
        JsonNode client = onc.path("Certificates").get(0);
        assertThat(client.path("GUID").asText()).isEqualTo("certificate/Device identity");
        assertThat(client.path("Type").asText()).isEqualTo("Client");
        assertThat(client.toString()).doesNotContain("p12-password");
        TestIdentities.assertAndroidImportable(client.path("PKCS12").asText(), "device-1");
        assertThat(compiled.settingsAt("openNetworkConfiguration", "openNetworkConfiguration.Certificates[0]", ""))
                .containsExactly("certificate/Device identity");
        assertThat(compiler.compile(settings, false).hash()).as("the same identity keeps the policy's name").isEqualTo(compiled.hash());
        assertThat(DiscoveryContract.androidManagement().check("PATCH", "/v1/enterprises/LC01/policies/p", compiled.policy().toString())).isEmpty();

        // A wrong password refuses the identity and the network that needs it, each with the reason.
        PolicyCompiler.Compiled wrong = compiler.compile(List.of(settings.get(0), new Setting("certificate", "certificate/Device identity",
                Map.of("name", "Device identity", "kind", "PKCS12_IDENTITY", "data", pkcs12, "password", "not-it")), settings.get(2)), false);
        assertThat(wrong.refused().get("certificate/Device identity")).contains("cannot be read with its password");
        assertThat(wrong.refused().get("wifi/Staff")).contains("Device identity");
        // An identity no network uses has no way onto the device; a SCEP identity none at all.
        assertThat(compiler.compile(settings.subList(1, 3), false).refused().get("certificate/Device identity")).contains("no Wi-Fi setting");
        PolicyCompiler.Compiled scep = compiler.compile(List.of(settings.get(0), new Setting("certificate", "certificate/Device identity",
                Map.of("name", "Device identity", "kind", "SCEP_IDENTITY", "scepUrl", "https://ca.example.com/scep", "subject", "CN=d")),
                settings.get(2)), false);
        assertThat(scep.refused().get("certificate/Device identity")).contains("SCEP");
        assertThat(scep.refused().get("wifi/Staff")).contains("SCEP");

        // A certificate name that is no identity setting of the policy is refused, not guessed to be something else.
        assertThat(compiler.compile(List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA3_ENTERPRISE", "eapMethod", "TLS", "identity", "device-1",
                        "certificate", "Elsewhere", "serverNames", List.of("radius.example.com"))),
                settings.get(2)), false).refused().get("wifi/Staff")).contains("not a PKCS#12 identity");

        // clientKeyAlias names a key pair installed on the device by other means (a certificate-installer app).
        JsonNode alias = compiler.compile(List.of(
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA3_ENTERPRISE", "eapMethod", "TLS", "identity", "device-1",
                        "clientKeyAlias", "installed-alias", "serverNames", List.of("*.example.com"))),
                settings.get(2)), false)
                .policy().path("openNetworkConfiguration").path("NetworkConfigurations").get(0).path("WiFi").path("EAP");
        assertThat(alias.path("Outer").asText()).isEqualTo("EAP-TLS");
        assertThat(alias.path("ClientCertType").asText()).isEqualTo("KeyPairAlias");
        assertThat(alias.path("ClientCertKeyPairAlias").asText()).isEqualTo("installed-alias");
        assertThat(alias.has("Inner")).isFalse();
        assertThat(alias.has("Password")).isFalse();
        assertThat(alias.path("DomainSuffixMatch").get(0).asText()).as("a wildcard name matches as its suffix").isEqualTo("example.com");
    }

    @Test
    void restrictionsUpdatesAndRawPayloadsMapToPolicyFields() {
        PolicyCompiler.Compiled compiled = compiler.compile(List.of(
                new Setting("restrictions", "restrictions", Map.of("allowCamera", false, "allowUsbStorage", false, "allowFactoryReset", false,
                        "allowDeveloperMode", false, "allowAccountChanges", false, "allowScreenCapture", false)),
                new Setting("os_update", "os_update", Map.of("installWindowStart", "01:30", "installWindowEnd", "04:00")),
                new Setting("raw_payload", "raw_payload/lock", Map.of("platform", "android", "identifier", "lock", "contentType", "application/json",
                        "content", "{\"keyguardDisabled\": true}")),
                new Setting("raw_payload", "raw_payload/mac", Map.of("platform", "macos", "identifier", "mac", "contentType", "application/xml", "content", "<x/>"))),
                false);
        JsonNode policy = compiled.policy();
        assertThat(policy.path("cameraAccess").asText()).isEqualTo("CAMERA_ACCESS_DISABLED");
        assertThat(policy.path("factoryResetDisabled").asBoolean()).isTrue();
        assertThat(policy.path("modifyAccountsDisabled").asBoolean()).isTrue();
        assertThat(policy.path("screenCaptureDisabled").asBoolean()).isTrue();
        assertThat(policy.path("systemUpdate").path("type").asText()).isEqualTo("WINDOWED");
        assertThat(policy.path("systemUpdate").path("startMinutes").asInt()).isEqualTo(90);
        assertThat(policy.path("systemUpdate").path("endMinutes").asInt()).isEqualTo(240);
        assertThat(policy.path("keyguardDisabled").asBoolean()).isTrue();
        assertThat(compiled.refused()).containsOnlyKeys("raw_payload/mac");
    }

    @Test
    void usbDataAccessAndDeveloperSettingsSitUnderTheirParentObjectsAndAreTracedToTheirSetting() {
        PolicyCompiler.Compiled compiled = compiler.compile(List.of(
                new Setting("restrictions", "restrictions", Map.of("allowUsbStorage", false, "allowDeveloperMode", true))), false);
        JsonNode policy = compiled.policy();
        assertThat(policy.path("deviceConnectivityManagement").path("usbDataAccess").asText()).isEqualTo("DISALLOW_USB_FILE_TRANSFER");
        assertThat(policy.path("advancedSecurityOverrides").path("developerSettings").asText()).isEqualTo("DEVELOPER_SETTINGS_ALLOWED");
        assertThat(policy.has("usbDataAccess")).as("no such top-level Policy field").isFalse();
        assertThat(policy.has("developerSettings")).as("no such top-level Policy field").isFalse();
        assertThat(compiled.settingsAt("deviceConnectivityManagement", "deviceConnectivityManagement.usbDataAccess", "")).containsExactly("restrictions");
        assertThat(compiled.settingsAt("advancedSecurityOverrides", "", "")).containsExactly("restrictions");
    }

    @Test
    void statusReportsCarryDeviceSettingsSoftwareAndApps() {
        for (List<Setting> settings : List.of(List.<Setting>of(), List.of(new Setting("passcode", "passcode", Map.of("minLength", 6))))) {
            JsonNode reporting = compiler.compile(settings, false).policy().path("statusReportingSettings");
            assertThat(reporting.path("deviceSettingsEnabled").asBoolean()).as("isDeviceSecure, isEncrypted").isTrue();
            assertThat(reporting.path("softwareInfoEnabled").asBoolean()).as("androidVersion, securityPatchLevel").isTrue();
            assertThat(reporting.path("applicationReportsEnabled").asBoolean()).as("the app inventory").isTrue();
        }
    }

    @Test
    void aDeviceReportIsTracedToTheSettingOfTheExactFieldItNames() {
        PolicyCompiler.Compiled compiled = compiler.compile(List.of(
                new Setting("wifi", "wifi/Guest", Map.of("ssid", "Guest", "security", "WPA2_PERSONAL", "password", "guest-pass-1")),
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_PERSONAL", "password", "staff-pass-1")),
                new Setting("certificate", "certificate/Root", Map.of("name", "Root", "kind", "TRUSTED_ROOT", "data", "TUlJQg==")),
                new Setting("restrictions", "restrictions", Map.of("allowCamera", false)),
                new Setting(AndroidSettingTypes.APPLICATION, "android.application/com.example.mail",
                        Map.of("packageName", "com.example.mail", "installType", "FORCE_INSTALLED"))), false);
        assertThat(compiled.settingsAt("openNetworkConfiguration", "openNetworkConfiguration.NetworkConfigurations[1].WiFi.Passphrase", ""))
                .containsExactly("wifi/Staff");
        assertThat(compiled.settingsAt("openNetworkConfiguration", "openNetworkConfiguration.Certificates[0]", "")).containsExactly("certificate/Root");
        assertThat(compiled.settingsAt("openNetworkConfiguration", "", ""))
                .containsExactlyInAnyOrder("wifi/Guest", "wifi/Staff", "certificate/Root");
        assertThat(compiled.settingsAt("applications", "applications[0].installType", "com.example.mail"))
                .containsExactly("android.application/com.example.mail");
        assertThat(compiled.settingsAt("cameraAccess", "", "")).containsExactly("restrictions");
        assertThat(compiled.settingsAt("keyguardDisabled", "", "")).isEmpty();
    }

    @Test
    void everySettingTypeCompilesToAPolicyGooglesDiscoveryDocumentAccepts() {
        List<Setting> everything = List.of(
                new Setting("passcode", "passcode", Map.of("required", true, "minLength", 8, "minComplexCharacters", 2, "maxFailedAttempts", 10,
                        "maxAgeDays", 90, "historyCount", 5, "maxInactivityMinutes", 5)),
                new Setting("encryption", "encryption", Map.of("required", true)),
                new Setting("screen_lock", "screen_lock", Map.of("timeoutMinutes", 2)),
                new Setting("restrictions", "restrictions", Map.of("allowCamera", false, "allowScreenCapture", false, "allowAppInstallation", false,
                        "allowUsbStorage", false, "allowBluetooth", false, "allowFactoryReset", false, "allowDeveloperMode", false,
                        "allowAccountChanges", false, "allowAirDrop", false, "allowCloudBackup", false)),
                new Setting("wifi", "wifi/Open", Map.of("ssid", "Open", "security", "NONE", "proxyUrl", "https://proxy.example.com/proxy.pac")),
                new Setting("wifi", "wifi/Staff", Map.of("ssid", "Staff", "security", "WPA2_ENTERPRISE", "eapMethod", "PEAP", "identity", "alice",
                        "password", "s3cret-pass", "serverNames", List.of("radius.example.com"))),
                new Setting("certificate", "certificate/Root", Map.of("name", "Root", "kind", "TRUSTED_ROOT", "data", "TUlJQg==")),
                new Setting("os_update", "os_update", Map.of("automatic", false)),
                new Setting("app_config", "app_config/com.example.mail", Map.of("appId", "com.example.mail", "configuration", Map.of("server", "mail"))),
                new Setting(AndroidSettingTypes.APPLICATION, "android.application/com.example.mail", Map.of("packageName", "com.example.mail",
                        "installType", "FORCE_INSTALLED", "defaultPermissionPolicy", "GRANT", "autoUpdateMode", "AUTO_UPDATE_HIGH_PRIORITY")),
                new Setting(AndroidSettingTypes.KIOSK, AndroidSettingTypes.KIOSK, Map.of("packageName", "com.example.till", "statusBar", "SYSTEM_INFO_ONLY",
                        "systemNavigation", "HOME_BUTTON_ONLY", "powerButtonActions", "POWER_BUTTON_BLOCKED", "deviceSettings", "SETTINGS_ACCESS_BLOCKED",
                        "systemErrorWarnings", "ERROR_AND_WARNINGS_MUTED")),
                new Setting(AndroidSettingTypes.PERSONAL_USAGE, AndroidSettingTypes.PERSONAL_USAGE, Map.of("cameraDisabled", true,
                        "screenCaptureDisabled", true, "maxDaysWithWorkOff", 5, "personalPlayStoreMode", "BLOCKLIST")),
                new Setting(AndroidSettingTypes.ALWAYS_ON_VPN, AndroidSettingTypes.ALWAYS_ON_VPN, Map.of("packageName", "com.example.vpn", "lockdown", true)));
        DiscoveryContract google = DiscoveryContract.androidManagement();
        for (boolean workProfile : new boolean[] {false, true}) {
            PolicyCompiler.Compiled compiled = compiler.compile(everything, workProfile);
            assertThat(compiled.refused()).allSatisfy((key, reason) -> assertThat(key).isEqualTo(AndroidSettingTypes.KIOSK));
            assertThat(google.check("PATCH", "/v1/enterprises/LC01/policies/shepherd-" + compiled.hash(), compiled.policy().toString()))
                    .as("what Google's discovery document (androidmanagement v1 rev 20240808) refuses").isEmpty();
        }
        JsonNode windowed = compiler.compile(List.of(new Setting("os_update", "os_update",
                Map.of("installWindowStart", "01:30", "installWindowEnd", "04:00"))), false).policy();
        assertThat(google.check("PATCH", "/v1/enterprises/LC01/policies/p", windowed.toString())).isEmpty();
    }

    @Test
    void aWorkProfileOffLimitGoogleRefusesIsRefusedHereWithTheReason() {
        PolicyCompiler.Compiled compiled = compiler.compile(List.of(
                new Setting(AndroidSettingTypes.PERSONAL_USAGE, AndroidSettingTypes.PERSONAL_USAGE, Map.of("maxDaysWithWorkOff", 2))), false);
        assertThat(compiled.refused().get(AndroidSettingTypes.PERSONAL_USAGE)).contains("at least 3");
        assertThat(compiled.policy().has("personalUsagePolicies")).isFalse();
    }

    @Test
    void theNameFollowsTheContentNotTheOrderOfTheSettings() {
        Setting passcode = new Setting("passcode", "passcode", Map.of("minLength", 6));
        Setting wifi = new Setting("wifi", "wifi/Corp", Map.of("ssid", "Corp", "security", "NONE"));
        String hash = compiler.compile(List.of(passcode, wifi), false).hash();
        assertThat(compiler.compile(List.of(wifi, passcode), false).hash()).isEqualTo(hash).hasSize(16);
        assertThat(compiler.compile(List.of(passcode), false).hash()).isNotEqualTo(hash);
    }
}
