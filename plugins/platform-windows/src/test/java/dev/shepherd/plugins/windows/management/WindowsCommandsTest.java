package dev.shepherd.plugins.windows.management;

import dev.shepherd.api.appstore.AppInstallation;
import dev.shepherd.api.appstore.AppInstallation.PackageKind;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandState;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.plugins.windows.syncml.SyncCommand;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Verb;
import dev.shepherd.plugins.windows.syncml.SyncMlWriter;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class WindowsCommandsTest {

    private static final String PRODUCT = "{AF9257BA-6BBD-4624-AA9B-0182D50292C3}";
    private static final String HASH = "8A3C5B2E1F0D4C6B9A7E8F1D2C3B4A5E6F7D8C9B0A1E2F3D4C5B6A7E8F9D0C1B";

    @Test
    void remoteActionsAreExecsOnTheirCsps() {
        assertThat(only(CommandType.LOCK, Map.of())).isEqualTo("<Exec><CmdID>0</CmdID><Item><Target><LocURI>./Device/Vendor/MSFT/RemoteLock/Lock</LocURI></Target></Item></Exec>");
        assertThat(target(CommandType.WIPE, Map.of())).isEqualTo("./Device/Vendor/MSFT/RemoteWipe/doWipe");
        assertThat(target(CommandType.WIPE, Map.of("protected", true))).isEqualTo("./Device/Vendor/MSFT/RemoteWipe/doWipeProtected");
        assertThat(target(CommandType.WIPE, Map.of("keepUserData", true))).isEqualTo("./Device/Vendor/MSFT/RemoteWipe/doWipePersistUserData");
        assertThat(target(CommandType.RESTART, Map.of())).isEqualTo("./Device/Vendor/MSFT/Reboot/RebootNow");
    }

    @Test
    void anEnterpriseWipeUnenrollsFromThisServersProvider() {
        Operation exec = (Operation) translate(CommandType.ENTERPRISE_WIPE, Map.of()).commands().get(0);
        assertThat(exec.verb()).isEqualTo(Verb.EXEC);
        assertThat(exec.items().get(0).target()).hasValue("./Vendor/MSFT/DMClient/Provider/Shepherd/Unenroll");
        assertThat(exec.items().get(0).data()).hasValue("Shepherd");
    }

    @Test
    void anMsiFromTheCatalogIsDownloadedAndInstalledByEnterpriseDesktopAppManagementAfterItsHashIsChecked() {
        AppInstallation msi = new AppInstallation(PRODUCT.toLowerCase(Locale.ROOT), Optional.of("2.1.0"), new AppInstallation.FromPackage(
                URI.create("https://mdm.example.com/mdm/appstore-private/packages/x?device=a&signature=b"), HASH, 4096, PackageKind.MSI),
                Map.of("commandLine", "/quiet ALLUSERS=1"));
        List<SyncCommand> commands = translate(CommandType.INSTALL_APP, msi.toParameters()).commands();
        String node = "./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7BAF9257BA-6BBD-4624-AA9B-0182D50292C3%7D/DownloadInstall";
        assertThat(commands).extracting(command -> ((Operation) command).verb()).containsExactly(Verb.ADD, Verb.EXEC);
        Operation exec = (Operation) commands.get(1);
        assertThat(exec.items().get(0).target()).hasValue(node);
        assertThat(exec.items().get(0).format()).hasValue("xml");
        assertThat(exec.items().get(0).data()).hasValue("<MsiInstallJob id=\"" + PRODUCT + "\"><Product Version=\"2.1.0\"><Download>"
                + "<ContentURLList><ContentURL>https://mdm.example.com/mdm/appstore-private/packages/x?device=a&amp;signature=b</ContentURL>"
                + "</ContentURLList></Download><Validation><FileHash>" + HASH.toUpperCase(Locale.ROOT) + "</FileHash></Validation>"
                + "<Enforcement><CommandLine>/quiet ALLUSERS=1</CommandLine>"
                + "<TimeOut>5</TimeOut><RetryCount>3</RetryCount><RetryInterval>5</RetryInterval></Enforcement></Product></MsiInstallJob>");
        assertThat(target(CommandType.REMOVE_APP, msi.toRemovalParameters()))
                .isEqualTo("./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7BAF9257BA-6BBD-4624-AA9B-0182D50292C3%7D");
    }

    @Test
    void anMsixPackageFromTheCatalogIsInstalledFromItsUrlAndRemovedByFamilyName() {
        AppInstallation msix = new AppInstallation("Contoso.Notes_8wekyb3d8bbwe", Optional.of("1.0.0.0"), new AppInstallation.FromPackage(
                URI.create("https://cdn.example.com/notes.msix"), HASH, 4096, PackageKind.MSIX), Map.of());
        List<SyncCommand> commands = translate(CommandType.INSTALL_APP, msix.toParameters()).commands();
        assertThat(((Operation) commands.get(1)).items().get(0).target())
                .hasValue("./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppInstallation/Contoso.Notes_8wekyb3d8bbwe/HostedInstall");
        assertThat(((Operation) commands.get(1)).items().get(0).data()).hasValue("<Application PackageUri=\"https://cdn.example.com/notes.msix\"/>");
        assertThat(target(CommandType.REMOVE_APP, msix.toRemovalParameters()))
                .isEqualTo("./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/Contoso.Notes_8wekyb3d8bbwe");
        assertThat(target(CommandType.REMOVE_APP, AppInstallation.fromStore("Contoso.Notes_8wekyb3d8bbwe", "9WZDNCRFJ3PZ").toRemovalParameters()))
                .isEqualTo("./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/AppStore/Contoso.Notes_8wekyb3d8bbwe");
    }

    @Test
    void appParametersOtherThanTheCatalogsAreRefused() {
        assertThat(translate(CommandType.INSTALL_APP, Map.of("productCode", PRODUCT, "msiUrl", "https://x/a.msi", "hash", HASH)).refusal())
                .hasValueSatisfying(reason -> assertThat(reason).contains("catalog's parameters"));
        AppInstallation notAProductCode = new AppInstallation("AF92", Optional.empty(), new AppInstallation.FromPackage(
                URI.create("https://x/a.msi"), HASH, 1, PackageKind.MSI), Map.of());
        assertThat(translate(CommandType.INSTALL_APP, notAProductCode.toParameters()).refusal())
                .hasValueSatisfying(reason -> assertThat(reason).contains("product code"));
        Map<String, Object> withoutDigest = new LinkedHashMap<>(notAProductCode.toParameters());
        withoutDigest.remove(AppInstallation.SHA256);
        assertThat(translate(CommandType.INSTALL_APP, withoutDigest).refusal()).hasValue("sha256 is missing");
        assertThat(translate(CommandType.INSTALL_APP, AppInstallation.fromStore("Contoso.Notes_8wekyb3d8bbwe", "9WZDNCRFJ3PZ").toParameters())
                .refusal()).hasValue("Windows installs apps from MSI or MSIX packages, not from a store");
        AppInstallation ipa = new AppInstallation("com.example.app", Optional.empty(), new AppInstallation.FromPackage(
                URI.create("https://x/a.ipa"), HASH, 1, PackageKind.IPA), Map.of());
        assertThat(translate(CommandType.INSTALL_APP, ipa.toParameters()).refusal()).hasValue("Windows installs MSI and MSIX packages, not ipa");
    }

    @Test
    void badParametersAreRefusedWithTheReason() {
        assertThat(translate(CommandType.SETTINGS, Map.of("deviceName", "Reception PC 1")).refusal())
                .hasValueSatisfying(reason -> assertThat(reason).contains("1 to 15 letters"));
        assertThat(translate(CommandType.SETTINGS, Map.of("timeZone", "Europe/Paris")).refusal())
                .hasValue("of the SETTINGS parameters Windows applies only deviceName");
        assertThat(translate(CommandType.RAW, Map.of("syncml", "<Get><Item>")).refusal())
                .hasValueSatisfying(reason -> assertThat(reason).contains("malformed XML"));
        assertThat(translate(CommandType.SHUT_DOWN, Map.of()).refusal()).hasValue("SHUT_DOWN has no equivalent on Windows");
    }

    @Test
    void theDeviceNameIsTheAccountsCspsComputerName() {
        Operation add = (Operation) translate(CommandType.SETTINGS, Map.of("deviceName", "RECEPTION-01")).commands().get(0);
        assertThat(add.verb()).isEqualTo(Verb.ADD);
        assertThat(add.items().get(0).target()).hasValue("./Device/Vendor/MSFT/Accounts/Domain/ComputerName");
        assertThat(add.items().get(0).data()).hasValue("RECEPTION-01");
    }

    @Test
    void aSettingIsInstalledAsOneAtomicAndRemovedFromTheInstalledValue() {
        Map<String, Object> value = Map.of("required", true, "minLength", 8);
        Atomic install = (Atomic) translate(CommandType.INSTALL_PROFILE, Map.of("settingKey", "passcode", "settingType", "passcode",
                "value", value)).commands().get(0);
        assertThat(install.commands()).extracting(command -> ((Operation) command).verb()).containsOnly(Verb.REPLACE).hasSize(2);

        Command remove = command(CommandType.REMOVE_PROFILE, Map.of("settingKey", "passcode", "settingType", "passcode"));
        Atomic removal = (Atomic) WindowsCommands.translate(remove, Optional.of(value)).commands().get(0);
        assertThat(removal.commands()).extracting(command -> ((Operation) command).verb()).containsOnly(Verb.DELETE).hasSize(2);
        assertThat(WindowsCommands.translate(remove, Optional.empty()))
                .as("nothing was installed, so there is nothing to send").isEqualTo(WindowsCommands.Translation.of(List.of()));
        assertThat(translate(CommandType.INSTALL_PROFILE, Map.of("settingKey", "dlp", "settingType", "dlp", "value", Map.of())).refusal())
                .hasValue("Windows has no equivalent of dlp settings");
    }

    @Test
    void aRawCommandPassesThroughAsItWasWritten() {
        String raw = "<Replace><CmdID>77</CmdID><Item><Target><LocURI>./Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera</LocURI></Target>"
                + "<Meta><Format xmlns=\"syncml:metinf\">int</Format></Meta><Data>0</Data></Item></Replace>";
        SyncCommand command = translate(CommandType.RAW, Map.of("syncml", raw)).commands().get(0);
        assertThat(SyncMlWriter.write(command)).isEqualTo(raw);
    }

    @Test
    void aRawCommandMayNotEraseOrUnenrollThePcWhichOnlyTheCommandsThatEndManagementDo() {
        String wipe = "<Exec><CmdID>5</CmdID><Item><Target><LocURI>./Device/Vendor/MSFT/RemoteWipe/doWipe</LocURI></Target></Item></Exec>";
        assertThat(translate(CommandType.RAW, Map.of("syncml", wipe)).refusal())
                .hasValueSatisfying(reason -> assertThat(reason).contains("may not erase or unenroll").contains("WIPE"));
        String unenrollInAtomic = "<Atomic><CmdID>6</CmdID><Exec><CmdID>7</CmdID><Item><Target><LocURI>"
                + "./vendor/msft/DMClient/Provider/Shepherd/Unenroll</LocURI></Target></Item></Exec></Atomic>";
        assertThat(translate(CommandType.RAW, Map.of("syncml", unenrollInAtomic)).refusal()).isPresent();
        assertThat(translate(CommandType.WIPE, Map.of()).refusal()).as("the typed WIPE is how a PC is erased").isEmpty();
    }

    private static String only(CommandType type, Map<String, Object> parameters) {
        List<SyncCommand> commands = translate(type, parameters).commands();
        assertThat(commands).hasSize(1);
        return SyncMlWriter.write(commands.get(0));
    }

    private static String target(CommandType type, Map<String, Object> parameters) {
        return ((Operation) translate(type, parameters).commands().get(0)).items().get(0).target().orElseThrow();
    }

    private static WindowsCommands.Translation translate(CommandType type, Map<String, Object> parameters) {
        return WindowsCommands.translate(command(type, parameters), Optional.empty());
    }

    private static Command command(CommandType type, Map<String, Object> parameters) {
        return new Command(UUID.randomUUID(), DeviceId.random(), type, parameters, 0, CommandState.SENT, Instant.now(), Optional.empty());
    }
}
