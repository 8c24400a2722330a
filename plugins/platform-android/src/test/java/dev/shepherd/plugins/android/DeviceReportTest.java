package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What an AMAPI {@code Device} report becomes in the inventory: the facts the status-reporting settings switch on. */
class DeviceReportTest {

    @Test
    void softwareDeviceSettingsAndApplicationReportsBecomeFactsAndTheAppInventory() throws Exception {
        JsonNode report = new ObjectMapper().readTree("""
                {"name": "enterprises/LC01/devices/3a", "managementMode": "DEVICE_OWNER", "policyCompliant": true,
                 "hardwareInfo": {"brand": "google", "model": "Pixel 8", "serialNumber": "S1"},
                 "softwareInfo": {"androidVersion": "14", "securityPatchLevel": "2024-07-05"},
                 "deviceSettings": {"isDeviceSecure": true, "isEncrypted": true, "encryptionStatus": "ACTIVE_PER_USER",
                   "adbEnabled": false, "developmentSettingsEnabled": true, "unknownSourcesEnabled": false, "verifyAppsEnabled": true},
                 "securityPosture": {"devicePosture": "POTENTIALLY_COMPROMISED"},
                 "applicationReports": [{"packageName": "com.example.mail", "versionName": "3.1", "state": "INSTALLED"},
                   {"packageName": "com.example.old", "versionName": "1.0", "state": "REMOVED"}]}""");
        assertThat(DeviceSync.inventory(report))
                .containsEntry("os.version", "14").containsEntry("android.securityPatchLevel", "2024-07-05")
                .containsEntry("passcode.present", "true").containsEntry("storage.encrypted", "true").containsEntry("passcode.compliant", "true")
                .containsEntry("android.encryptionStatus", "ACTIVE_PER_USER").containsEntry("android.developmentSettingsEnabled", "true")
                .containsEntry("android.adbEnabled", "false").containsEntry("android.verifyAppsEnabled", "true")
                .containsEntry("security.jailbroken", "true")
                .containsEntry("apps.reported", "true").containsEntry("app.com.example.mail", "3.1").doesNotContainKey("app.com.example.old");
    }
}
