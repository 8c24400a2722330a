package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SenderTest {

    @Test
    void aDeviceEnrolledDeviceIsKnownByItsUdidAsItAlwaysWas() {
        Sender sender = Sender.of(message(Map.of("UDID", "00008110-000A1C2E3E8A801E")));
        assertThat(sender.deviceKey()).isEqualTo("00008110-000A1C2E3E8A801E");
        assertThat(sender.hardwareIdKind()).isEqualTo("udid");
        assertThat(sender.userChannel()).isFalse();
    }

    @Test
    void aUserEnrolledDeviceIsKnownByItsEnrollmentIdInAKeySpaceNoUdidCanReach() {
        Sender sender = Sender.of(message(Map.of("EnrollmentID", "B6D1E2F3")));
        assertThat(sender.userEnrolled()).isTrue();
        assertThat(sender.hardwareIdKind()).isEqualTo("enrollmentId");
        assertThat(sender.deviceKey()).isEqualTo("EnrollmentID:B6D1E2F3");
        assertThatThrownBy(() -> Sender.of(message(Map.of("UDID", "EnrollmentID:B6D1E2F3")))).isInstanceOf(PlistException.class);
    }

    @Test
    void theUserChannelNamesItsUserByUserIdOrUnderUserEnrollmentByEnrollmentUserId() {
        assertThat(Sender.of(message(Map.of("UDID", "A1B2", "UserID", "5F2A"))).userId()).hasValue("5F2A");
        assertThat(Sender.of(message(Map.of("EnrollmentID", "B6D1", "EnrollmentUserID", "9C0D"))).userId()).hasValue("9C0D");
        assertThat(new Sender("A1B2", false, Optional.empty()).userChannel()).isFalse();
    }

    @Test
    void aMessageNamingNoDeviceOrAMalformedUserIsRefused() {
        assertThatThrownBy(() -> Sender.of(message(Map.of("Status", "Idle")))).isInstanceOf(PlistException.class);
        assertThatThrownBy(() -> Sender.of(message(Map.of("UDID", "A1B2", "UserID", "../other")))).isInstanceOf(PlistException.class);
    }

    private static NSDictionary message(Map<String, String> keys) {
        NSDictionary message = new NSDictionary();
        keys.forEach(message::put);
        return message;
    }
}
