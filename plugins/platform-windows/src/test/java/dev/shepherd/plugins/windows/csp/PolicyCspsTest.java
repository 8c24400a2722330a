package dev.shepherd.plugins.windows.csp;

import dev.shepherd.plugins.windows.CspContract;
import dev.shepherd.plugins.windows.CspContract.Edition;
import dev.shepherd.plugins.windows.xml.SafeXml;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Restrictions, updates, screen lock and encryption as Policy CSP and BitLocker CSP values. */
class PolicyCspsTest {

    private static final String POLICY = "./Device/Vendor/MSFT/Policy/Config/";
    private static final String BITLOCKER = "./Device/Vendor/MSFT/BitLocker/";

    @Test
    void restrictionsBecomePoliciesOnlyWhereTheyRestrict() {
        List<CspOperation> operations = SettingCsps.install("restrictions", "restrictions", Map.of("allowCamera", false,
                "allowBluetooth", false, "allowUsbStorage", false, "allowAppInstallation", false, "allowDeveloperMode", false,
                "allowAccountChanges", false, "allowCloudBackup", false, "allowFactoryReset", false,
                "allowScreenCapture", false, "allowAirDrop", false));

        assertThat(operations).extracting(CspOperation::verb).containsOnly("Replace");
        assertThat(operations).allSatisfy(operation -> assertThat(operation.format()).hasValue("int"));
        assertThat(operations).extracting(operation -> operation.locUri().substring(POLICY.length()) + "=" + operation.data().orElseThrow())
                .as("screen capture and AirDrop have no Windows policy").containsExactly(
                        "Camera/AllowCamera=0",
                        "Connectivity/AllowBluetooth=0",
                        "System/AllowStorageCard=0",
                        "ApplicationManagement/AllowAllTrustedApps=0",
                        "ApplicationManagement/BlockNonAdminUserInstall=1",
                        "ApplicationManagement/AllowDeveloperUnlock=0",
                        "Accounts/AllowMicrosoftAccountConnection=0",
                        "Accounts/AllowAddingNonMicrosoftAccountsManually=0",
                        "Experience/AllowSyncMySettings=0",
                        "Experience/AllowManualMDMUnenrollment=0");

        assertThat(SettingCsps.install("restrictions", "restrictions", Map.of("allowCamera", true, "allowBluetooth", true)))
                .as("allowed features are Windows' defaults").isEmpty();
    }

    @Test
    void liftingARestrictionDeletesItsPolicyAndKeepsTheOthers() {
        List<CspOperation> change = SettingCsps.change("restrictions", "restrictions", Map.of("allowCamera", false, "allowBluetooth", false),
                Map.of("allowCamera", true, "allowBluetooth", false), url -> Optional.empty());
        assertThat(change).containsExactly(CspOperation.delete(POLICY + "Camera/AllowCamera"),
                CspOperation.replace(POLICY + "Connectivity/AllowBluetooth", "int", "0"));
        assertThat(SettingCsps.remove("restrictions", "restrictions", Map.of("allowCamera", false)))
                .containsExactly(CspOperation.delete(POLICY + "Camera/AllowCamera"));
    }

    @Test
    void osUpdatesBecomeWindowsUpdateForBusinessPolicies() {
        List<CspOperation> operations = SettingCsps.install("os_update", "os_update", Map.of("automatic", true, "deferralDays", 45,
                "installWindowStart", "01:00", "installWindowEnd", "07:00"));
        assertThat(operations).extracting(operation -> operation.locUri().substring(POLICY.length()) + "=" + operation.data().orElseThrow())
                .containsExactly(
                        "Update/AllowAutoUpdate=2",
                        "Update/DeferFeatureUpdatesPeriodInDays=45",
                        "Update/DeferQualityUpdatesPeriodInDays=30",
                        // No restarts from 07:00 to 01:00: the install window's complement.
                        "Update/ActiveHoursStart=7",
                        "Update/ActiveHoursEnd=1");
        assertThat(SettingCsps.install("os_update", "os_update", Map.of("automatic", false)))
                .containsExactly(CspOperation.replace(POLICY + "Update/AllowAutoUpdate", "int", "0"));
    }

    @Test
    void updateRulesWindowsCannotHonourAreRefused() {
        assertThatThrownBy(() -> SettingCsps.install("os_update", "os_update", Map.of("minimumVersion", "10.0.22631", "enforceBy", "2030-01-01T00:00:00Z")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("minimum version");
        assertThatThrownBy(() -> SettingCsps.install("os_update", "os_update", Map.of("installWindowStart", "02:00", "installWindowEnd", "04:00")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("18 hours");
        assertThatThrownBy(() -> SettingCsps.install("os_update", "os_update", Map.of("installWindowStart", "01:30", "installWindowEnd", "09:00")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("whole hours");
    }

    @Test
    void theScreenLocksAfterTheIdleTimeAndOnWake() {
        assertThat(SettingCsps.install("screen_lock", "screen_lock", Map.of("timeoutMinutes", 5, "lockOnSleep", true))).containsExactly(
                CspOperation.replace(POLICY + "LocalPoliciesSecurityOptions/InteractiveLogon_MachineInactivityLimit", "int", "300"),
                CspOperation.replace(POLICY + "Power/RequirePasswordWhenComputerWakesOnBattery", "chr", "<enabled/>"),
                CspOperation.replace(POLICY + "Power/RequirePasswordWhenComputerWakesPluggedIn", "chr", "<enabled/>"));
    }

    @Test
    void bitLockerSendsOnlyWhatWindowsAllowsOnAPcThatIsNotEntraJoined() {
        List<CspOperation> operations = SettingCsps.install("encryption", "encryption", Map.of("required", true, "escrowRecoveryKey", false));
        assertThat(CspContract.microsoft().violations(operations, Edition.ENTERPRISE, false))
                .as("silent encryption (AllowWarningForOtherDiskEncryption 0) and standard-user encryption, which needs it, are "
                        + "for Entra joined devices only").isEmpty();
        assertThat(operations).extracting(operation -> operation.locUri().substring(BITLOCKER.length())).containsExactly(
                "RequireDeviceEncryption", "EncryptionMethodByDriveType");
        assertThat(operations).extracting(operation -> operation.data().orElseThrow()).containsExactly("1", PolicyCsps.ENCRYPTION_METHODS);
        Element methods = SafeXml.parse("<policy>" + operations.get(1).data().orElseThrow() + "</policy>").getDocumentElement();
        assertThat(SafeXml.children(methods, null, "enabled")).hasSize(1);
        assertThat(SafeXml.children(methods, null, "data")).extracting(data -> data.getAttribute("id") + "=" + data.getAttribute("value"))
                .containsExactly("EncryptionMethodWithXtsOsDropDown_Name=7", "EncryptionMethodWithXtsFdvDropDown_Name=7",
                        "EncryptionMethodWithXtsRdvDropDown_Name=4");

        assertThat(SettingCsps.remove("encryption", "encryption", Map.of("required", true))).extracting(CspOperation::verb).containsOnly("Delete");
        assertThatThrownBy(() -> SettingCsps.install("encryption", "encryption", Map.of("required", true, "escrowRecoveryKey", true)))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("Entra ID");
    }

    @Test
    void emailIsNotSupportedAndSaysWhy() {
        assertThat(SettingCsps.SUPPORTED_TYPES).doesNotContain("email").contains("wifi", "vpn", "certificate", "restrictions",
                "encryption", "os_update", "passcode", "screen_lock");
        assertThatThrownBy(() -> SettingCsps.install("email/Work", "email", Map.of("accountName", "Work", "protocol", "IMAP", "host", "imap.example.com")))
                .isInstanceOf(UnsupportedSettingException.class).hasMessageContaining("Windows Mail");
    }
}
