package dev.shepherd.plugins.windows;

import dev.shepherd.plugins.windows.CspContract.Edition;
import dev.shepherd.plugins.windows.CspContract.Verdict;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The simulated PC's answers by Microsoft's CSP reference, and which of them are the server's fault. */
class CspContractTest {

    private static final CspContract CONTRACT = CspContract.microsoft();
    private static final String DEVICE_LOCK = "./Device/Vendor/MSFT/Policy/Config/DeviceLock/";

    @Test
    void aNodeNoCspHasIs404AndAViolation() {
        Verdict verdict = check("Replace", DEVICE_LOCK + "MinimumSymbols", "int", "1", Map.of());
        assertThat(verdict.code()).isEqualTo(404);
        assertThat(verdict.violation()).hasValueSatisfying(why -> assertThat(why).contains("no such node"));
    }

    @Test
    void anOperationTheNodeDoesNotTakeIs405AndAViolation() {
        Verdict verdict = check("Replace", "./Device/Vendor/MSFT/RemoteWipe/doWipe", "int", "1", Map.of());
        assertThat(verdict.code()).isEqualTo(405);
        assertThat(verdict.violation()).hasValueSatisfying(why -> assertThat(why).contains("takes only [Exec]"));
    }

    @Test
    void aWrongFormatOrAValueOutsideWhatWindowsAllowsIs400AndAViolation() {
        assertThat(check("Replace", DEVICE_LOCK + "MinDevicePasswordLength", "chr", "8", Map.of()).code()).isEqualTo(400);
        assertThat(check("Replace", DEVICE_LOCK + "MinDevicePasswordLength", "int", "20", Map.of()).violation())
                .hasValueSatisfying(why -> assertThat(why).contains("outside the allowed range [4,16]"));
        assertThat(check("Replace", "./Device/Vendor/MSFT/BitLocker/EncryptionMethodByDriveType", "chr",
                "<enabled/><data id=\"EncryptionMethodWithXtsOsDropDown_Name\" value=\"7\"/>", Map.of()).violation())
                .hasValueSatisfying(why -> assertThat(why).contains("which Windows answers with 500"));
        assertThat(check("Add", "./Device/Vendor/MSFT/WiFi/Profile/Corp/WlanXml", "chr", "<VPNProfile/>", Map.of()).violation())
                .hasValueSatisfying(why -> assertThat(why).contains("not WLANProfile"));
    }

    @Test
    void silentBitLockerIsOnlyForEntraJoinedPcs() {
        String node = "./Device/Vendor/MSFT/BitLocker/AllowWarningForOtherDiskEncryption";
        assertThat(check("Replace", node, "int", "0", Map.of()).code()).isEqualTo(400);
        assertThat(CONTRACT.check("Replace", node, Optional.of("int"), Optional.of("0"), Edition.ENTERPRISE, true, n -> Optional.empty(),
                List.of())).isEqualTo(new Verdict(200, Optional.empty()));
    }

    @Test
    void aValueWindowsStoresButIgnoresIsAViolationThoughThePcAnswers200() {
        String classes = DEVICE_LOCK + "MinDevicePasswordComplexCharacters";
        Verdict ignored = check("Replace", classes, "int", "3", Map.of(DEVICE_LOCK + "AlphanumericDevicePasswordRequired", "2"));
        assertThat(ignored.code()).isEqualTo(200);
        assertThat(ignored.violation()).hasValueSatisfying(why -> assertThat(why).contains("has no effect unless"));
        assertThat(check("Replace", classes, "int", "3", Map.of(DEVICE_LOCK + "AlphanumericDevicePasswordRequired", "0")).violation()).isEmpty();
    }

    @Test
    void aNodeTheEditionLacksIs405ButNoViolation() {
        Verdict home = CONTRACT.check("Exec", "./Device/Vendor/MSFT/RemoteLock/Lock", Optional.empty(), Optional.empty(), Edition.HOME,
                false, n -> Optional.empty(), List.of());
        assertThat(home).isEqualTo(new Verdict(405, Optional.empty()));
    }

    @Test
    void olderDeviceRootsOfADdfAreAccepted() {
        assertThat(CONTRACT.knows("./Vendor/MSFT/DMClient/Provider/Shepherd/Push/ChannelURI")).isTrue();
        assertThat(CONTRACT.knows("./Vendor/MSFT/Policy/Config/DeviceLock/DevicePasswordEnabled"))
                .as("./Vendor/MSFT/Policy is the user's policy, not the device's").isFalse();
    }

    private static Verdict check(String verb, String node, String format, String data, Map<String, String> values) {
        return CONTRACT.check(verb, node, Optional.of(format), Optional.of(data), Edition.ENTERPRISE, false,
                path -> Optional.ofNullable(values.get(path)), List.of());
    }
}
