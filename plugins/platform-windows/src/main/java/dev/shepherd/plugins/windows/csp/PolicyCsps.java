package dev.shepherd.plugins.windows.csp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.shepherd.plugins.windows.csp.SettingCsps.bool;
import static dev.shepherd.plugins.windows.csp.SettingCsps.integer;
import static dev.shepherd.plugins.windows.csp.SettingCsps.text;

/**
 * Settings that are Policy CSP and BitLocker CSP values. Each is one {@code Replace} of a node; removing the setting
 * deletes those nodes, which gives Windows back its default for each.
 */
final class PolicyCsps {

    private static final String BITLOCKER = Nodes.DEVICE + "BitLocker/";

    /** 7 is XTS-AES 256, 4 AES-CBC 256: operating-system, fixed and removable drives. */
    static final String ENCRYPTION_METHODS = "<enabled/>"
            + "<data id=\"EncryptionMethodWithXtsOsDropDown_Name\" value=\"7\"/>"
            + "<data id=\"EncryptionMethodWithXtsFdvDropDown_Name\" value=\"7\"/>"
            + "<data id=\"EncryptionMethodWithXtsRdvDropDown_Name\" value=\"4\"/>";

    private PolicyCsps() {
    }

    /**
     * Only restrictions a setting turns on become policies; an allowed feature is Windows' default and is left
     * unmanaged (setting "allowed" explicitly would, for sideloading, unlock more than the default does).
     *
     * <p>Keys with no Windows policy are not applied: {@code allowScreenCapture} (Windows' screen-capture policy is
     * for HoloLens and Windows Mobile only) and {@code allowAirDrop} (Nearby sharing has no MDM policy).
     * {@code allowFactoryReset} is applied as far as Windows goes: users cannot leave management by removing the
     * work account (Experience/AllowManualMDMUnenrollment), but an administrator can still reset the PC.
     */
    static List<CspOperation> restrictions(Map<String, Object> value) {
        List<CspOperation> operations = new ArrayList<>();
        restrict(value, "allowCamera", operations, "Camera/AllowCamera", "0");
        restrict(value, "allowBluetooth", operations, "Connectivity/AllowBluetooth", "0");
        // 0: no storage cards, and USB drives disabled.
        restrict(value, "allowUsbStorage", operations, "System/AllowStorageCard", "0");
        // Store apps only: sideloading denied, and standard users cannot install packaged apps.
        restrict(value, "allowAppInstallation", operations, "ApplicationManagement/AllowAllTrustedApps", "0");
        restrict(value, "allowAppInstallation", operations, "ApplicationManagement/BlockNonAdminUserInstall", "1");
        restrict(value, "allowDeveloperMode", operations, "ApplicationManagement/AllowDeveloperUnlock", "0");
        restrict(value, "allowAccountChanges", operations, "Accounts/AllowMicrosoftAccountConnection", "0");
        restrict(value, "allowAccountChanges", operations, "Accounts/AllowAddingNonMicrosoftAccountsManually", "0");
        // Windows backs settings and apps up to the user's Microsoft account by syncing them.
        restrict(value, "allowCloudBackup", operations, "Experience/AllowSyncMySettings", "0");
        restrict(value, "allowFactoryReset", operations, "Experience/AllowManualMDMUnenrollment", "0");
        return operations;
    }

    private static void restrict(Map<String, Object> value, String key, List<CspOperation> operations, String policy, String restricted) {
        if (bool(value, key).orElse(true)) {
            return;
        }
        operations.add(CspOperation.replace(Nodes.POLICY + policy, "int", restricted));
    }

    /**
     * Windows Update for Business policies. Windows has no "at least this version by then": TargetReleaseVersion pins a
     * feature release (and holds newer ones back) and deadlines count days from when an update is offered, so
     * {@code minimumVersion} and {@code enforceBy} are refused rather than approximated.
     */
    static List<CspOperation> osUpdate(Map<String, Object> value) {
        if (text(value, "minimumVersion").isPresent() || text(value, "enforceBy").isPresent()) {
            throw new UnsupportedSettingException("Windows Update cannot require a minimum version by a date: TargetReleaseVersion "
                    + "pins one feature release and holds newer ones back, and its deadlines count days from each update's release; "
                    + "remove minimumVersion and enforceBy for Windows");
        }
        List<CspOperation> operations = new ArrayList<>();
        // 2: install automatically, restart outside active hours; 0: notify before downloading, the user installs.
        bool(value, "automatic").ifPresent(automatic -> operations.add(update("AllowAutoUpdate", automatic ? 2 : 0)));
        integer(value, "deferralDays").ifPresent(days -> {
            operations.add(update("DeferFeatureUpdatesPeriodInDays", days));
            // Quality (security) updates can be held back 30 days at most.
            operations.add(update("DeferQualityUpdatesPeriodInDays", Math.min(days, 30)));
        });
        Optional<String> start = text(value, "installWindowStart");
        Optional<String> end = text(value, "installWindowEnd");
        if (start.isPresent() != end.isPresent()) {
            throw new UnsupportedSettingException("Windows needs both ends of the install window");
        }
        if (start.isPresent()) {
            int from = hour(start.get());
            int to = hour(end.get());
            // Active hours are when Windows does not restart for updates: the complement of the install window.
            int activeLength = Math.floorMod(from - to, 24);
            if (from == to || activeLength > 18) {
                throw new UnsupportedSettingException("Windows restarts for updates outside active hours, which span at most 18 hours; "
                        + "an install window of " + start.get() + "-" + end.get() + " is shorter than the 6 hours that leaves");
            }
            operations.add(update("ActiveHoursStart", to));
            operations.add(update("ActiveHoursEnd", from));
        }
        return operations;
    }

    private static int hour(String time) {
        if (!time.endsWith(":00")) {
            throw new UnsupportedSettingException("Windows' active hours are whole hours; " + time + " is not on the hour");
        }
        return Integer.parseInt(time.substring(0, 2));
    }

    private static CspOperation update(String policy, int value) {
        return CspOperation.replace(Nodes.POLICY + "Update/" + policy, "int", Integer.toString(value));
    }

    /**
     * The idle time after which Windows locks the session ("Interactive logon: machine inactivity limit"), and a
     * password on waking from sleep on battery and plugged in (Power policies, which are ADMX-backed and so take
     * {@code <enabled/>} as text).
     */
    static List<CspOperation> screenLock(Map<String, Object> value) {
        List<CspOperation> operations = new ArrayList<>();
        integer(value, "timeoutMinutes").ifPresent(minutes -> operations.add(CspOperation.replace(
                Nodes.POLICY + "LocalPoliciesSecurityOptions/InteractiveLogon_MachineInactivityLimit", "int", Integer.toString(minutes * 60))));
        if (bool(value, "lockOnSleep").orElse(false)) {
            operations.add(CspOperation.replace(Nodes.POLICY + "Power/RequirePasswordWhenComputerWakesOnBattery", "chr", "<enabled/>"));
            operations.add(CspOperation.replace(Nodes.POLICY + "Power/RequirePasswordWhenComputerWakesPluggedIn", "chr", "<enabled/>"));
        }
        return operations;
    }

    /**
     * BitLocker on a PC that is not joined to Microsoft Entra ID, which is every PC Shepherd manages: its enrollment
     * authenticates with Shepherd's own enrollment tokens or the user's organisation password, never with an Entra ID
     * token, so no PC enrolls through an Entra join. The BitLocker CSP allows silent encryption
     * (AllowWarningForOtherDiskEncryption 0) only on Entra joined devices, and encryption while a standard user is
     * signed in (AllowStandardUserEncryption 1) only together with it; neither is sent. Required encryption is
     * RequireDeviceEncryption with XTS-AES 256 on operating-system and fixed drives and AES-CBC 256 on removable ones
     * (which older Windows can still read); Windows then asks the signed-in user, who must be an administrator, to
     * start encryption. BitLocker escrows recovery keys only to Active Directory or Entra ID, never to an MDM server,
     * so escrow to Shepherd is refused. Removing the setting stops requiring encryption; it does not decrypt drives.
     */
    static List<CspOperation> encryption(Map<String, Object> value) {
        if (bool(value, "escrowRecoveryKey").orElse(false)) {
            throw new UnsupportedSettingException("BitLocker escrows recovery keys only to Active Directory or Entra ID, not to an "
                    + "MDM server; set escrowRecoveryKey to false for Windows");
        }
        boolean required = bool(value, "required").orElse(false);
        List<CspOperation> operations = new ArrayList<>();
        operations.add(CspOperation.replace(BITLOCKER + "RequireDeviceEncryption", "int", required ? "1" : "0"));
        if (required) {
            operations.add(CspOperation.replace(BITLOCKER + "EncryptionMethodByDriveType", "chr", ENCRYPTION_METHODS));
        }
        return operations;
    }
}
