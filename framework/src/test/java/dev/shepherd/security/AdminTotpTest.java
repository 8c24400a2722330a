package dev.shepherd.security;

import dev.shepherd.testing.TestClock;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The second factor over the store (Derby, or PostgreSQL with {@code -Dshepherd.test.store=postgresql}): a key is
 * sealed and active only once confirmed, a code works once, recovery codes work once, and a pending sign-in is one
 * attempt from one address for five minutes.
 */
class AdminTotpTest {

    private static final Totp APPS = Totp.AUTHENTICATOR_APPS;

    @TempDir
    static Path home;
    // One store for the class (opening one costs seconds); each test has an account of its own.
    private static final TestClock CLOCK = new TestClock(Instant.parse("2026-12-04T10:00:10Z"));
    private static TestKernel node;
    private static AdminTotp totp;
    private final String admin = "admin-" + UUID.randomUUID();

    @BeforeAll
    static void open() {
        node = TestKernel.open(home, CLOCK);
        totp = new AdminTotp(node.kernel().transactions(), SecretBox.open(home.resolve("data")), CLOCK);
    }

    @AfterAll
    static void close() {
        node.close();
    }

    @Test
    void aKeyIsSealedAtRestAndActiveOnlyOnceACurrentCodeConfirmsIt() throws Exception {
        AdminTotp.Enrollment enrollment = totp.start(admin);
        byte[] key = Totp.fromBase32(enrollment.secret());

        assertThat(key).hasSize(20);
        assertThat(enrollment.otpauthUri()).isEqualTo("otpauth://totp/Shepherd%3A" + admin + "?secret=" + enrollment.secret()
                + "&issuer=Shepherd&algorithm=SHA1&digits=6&period=30");
        assertThat(totp.status(admin)).isEqualTo(new AdminTotp.Status(false, true, 0));
        assertThat(totp.active(admin)).isFalse();
        assertThat(storedKey()).doesNotContain(enrollment.secret()).doesNotContain(Base64.getEncoder().encodeToString(key));

        assertThat(totp.confirm(admin, codeAt(key, CLOCK.instant().plus(Duration.ofMinutes(2))))).as("not a current code").isEmpty();
        assertThat(totp.confirm(admin, "12345")).as("not six digits").isEmpty();
        List<String> recovery = totp.confirm(admin, codeAt(key, CLOCK.instant())).orElseThrow();

        assertThat(recovery).hasSize(AdminTotp.RECOVERY_CODES).doesNotHaveDuplicates()
                .allSatisfy(code -> assertThat(code).matches("[A-Z2-7]{4}(-[A-Z2-7]{4}){3}"));
        assertThat(totp.status(admin)).isEqualTo(new AdminTotp.Status(true, false, 10));
        assertThatThrownBy(() -> totp.start(admin)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aCodeIsAcceptedOnceAndAnOlderStepNeverAfterANewerOne() {
        byte[] key = activate();
        CLOCK.advance(Duration.ofSeconds(30));
        String now = codeAt(key, CLOCK.instant());

        assertThat(totp.verifyCode(admin, now)).isTrue();
        assertThat(totp.verifyCode(admin, now)).as("replayed in the same step").isFalse();
        assertThat(totp.verifyCode(admin, codeAt(key, CLOCK.instant().minusSeconds(30)))).as("the step before, after this one").isFalse();
        assertThat(totp.verifyCode(admin, codeAt(key, CLOCK.instant().plusSeconds(30)))).as("one step of drift ahead").isTrue();
        CLOCK.advance(Duration.ofMinutes(5));
        assertThat(totp.verifyCode(admin, codeAt(key, CLOCK.instant().minusSeconds(60)))).as("two steps behind").isFalse();
        assertThat(totp.verifyCode(admin, codeAt(key, CLOCK.instant()))).isTrue();
        assertThat(totp.verifyCode("someone-else", codeAt(key, CLOCK.instant().plusSeconds(30)))).isFalse();
    }

    @Test
    void eachRecoveryCodeWorksOnceHoweverItIsTyped() {
        byte[] key = Totp.fromBase32(totp.start(admin).secret());
        List<String> recovery = totp.confirm(admin, codeAt(key, CLOCK.instant())).orElseThrow();

        assertThat(totp.useRecoveryCode(admin, recovery.get(0).toLowerCase(Locale.ROOT).replace("-", " "))).isTrue();
        assertThat(totp.useRecoveryCode(admin, recovery.get(0))).as("used up").isFalse();
        assertThat(totp.useRecoveryCode(admin, "AAAA-BBBB-CCCC-DDDD")).isFalse();
        assertThat(totp.useRecoveryCode("someone-else", recovery.get(1))).isFalse();
        assertThat(totp.status(admin).recoveryCodesLeft()).isEqualTo(9);
        assertThat(totp.confirm(admin, codeAt(key, CLOCK.instant().plusSeconds(30)))).as("nothing left to confirm once active").isEmpty();
    }

    @Test
    void aPendingSignInIsOneAttemptFromTheSameAddressWithinFiveMinutes() {
        activate();
        String first = totp.beginPending(admin, "192.0.2.1").token();
        String second = totp.beginPending(admin, "192.0.2.1").token();
        String third = totp.beginPending(admin, "192.0.2.1").token();

        assertThat(totp.takePending(first, "192.0.2.1")).hasValue(admin);
        assertThat(totp.takePending(first, "192.0.2.1")).as("used").isEmpty();
        assertThat(totp.takePending(second, "198.51.100.9")).as("another address").isEmpty();
        assertThat(totp.takePending(second, "192.0.2.1")).as("the failed attempt used it up").isEmpty();
        CLOCK.advance(AdminTotp.PENDING_FOR.plusSeconds(1));
        assertThat(totp.takePending(third, "192.0.2.1")).as("expired").isEmpty();
        assertThat(totp.takePending("made-up", "192.0.2.1")).isEmpty();
    }

    @Test
    void removingTheSecondFactorEndsItsCodesAndPendingSignIns() {
        byte[] key = activate();
        String pending = totp.beginPending(admin, "192.0.2.1").token();

        assertThat(totp.remove(admin)).isTrue();
        assertThat(totp.remove(admin)).isFalse();
        assertThat(totp.status(admin)).isEqualTo(new AdminTotp.Status(false, false, 0));
        assertThat(totp.takePending(pending, "192.0.2.1")).isEmpty();
        assertThat(totp.verifyCode(admin, codeAt(key, CLOCK.instant().plusSeconds(30)))).isFalse();
    }

    private byte[] activate() {
        byte[] key = Totp.fromBase32(totp.start(admin).secret());
        totp.confirm(admin, codeAt(key, CLOCK.instant())).orElseThrow();
        return key;
    }

    private static String codeAt(byte[] key, Instant instant) {
        return APPS.code(key, APPS.stepAt(instant));
    }

    private String storedKey() throws Exception {
        try (Connection connection = node.database().dataSource().getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT secret_sealed FROM admin_totp WHERE username = ?")) {
            select.setString(1, admin);
            try (ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        }
    }
}
