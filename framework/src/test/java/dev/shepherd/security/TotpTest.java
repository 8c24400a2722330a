package dev.shepherd.security;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** TOTP codes are RFC 6238's: its Appendix B test vectors, the six-digit codes authenticator apps show, and base32 keys. */
class TotpTest {

    private static final byte[] SHA1_SEED = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SHA256_SEED = "12345678901234567890123456789012".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SHA512_SEED = "1234567890123456789012345678901234567890123456789012345678901234".getBytes(StandardCharsets.US_ASCII);

    @ParameterizedTest(name = "{1} at {0}")
    @CsvSource({
            "59, HmacSHA1, 94287082", "59, HmacSHA256, 46119246", "59, HmacSHA512, 90693936",
            "1111111109, HmacSHA1, 07081804", "1111111109, HmacSHA256, 68084774", "1111111109, HmacSHA512, 25091201",
            "1111111111, HmacSHA1, 14050471", "1111111111, HmacSHA256, 67062674", "1111111111, HmacSHA512, 99943326",
            "1234567890, HmacSHA1, 89005924", "1234567890, HmacSHA256, 91819424", "1234567890, HmacSHA512, 93441116",
            "2000000000, HmacSHA1, 69279037", "2000000000, HmacSHA256, 90698825", "2000000000, HmacSHA512, 38618901",
            "20000000000, HmacSHA1, 65353130", "20000000000, HmacSHA256, 77737706", "20000000000, HmacSHA512, 47863826"})
    void theCodesAreThoseOfRfc6238AppendixB(long seconds, String algorithm, String expected) {
        Totp totp = new Totp(algorithm, 8, Duration.ofSeconds(30));
        byte[] seed = switch (algorithm) {
            case "HmacSHA1" -> SHA1_SEED;
            case "HmacSHA256" -> SHA256_SEED;
            default -> SHA512_SEED;
        };

        assertThat(totp.code(seed, totp.stepAt(Instant.ofEpochSecond(seconds)))).isEqualTo(expected);
    }

    @Test
    void authenticatorAppsShowTheLastSixDigitsOfTheSha1CodeForThirtySeconds() {
        Totp apps = Totp.AUTHENTICATOR_APPS;

        assertThat(apps.code(SHA1_SEED, apps.stepAt(Instant.ofEpochSecond(59)))).isEqualTo("287082");
        assertThat(apps.code(SHA1_SEED, apps.stepAt(Instant.ofEpochSecond(1111111109)))).as("zero-padded").isEqualTo("081804");
        assertThat(apps.stepAt(Instant.ofEpochSecond(59))).isEqualTo(apps.stepAt(Instant.ofEpochSecond(30))).isEqualTo(1);
    }

    @Test
    void aCodeMatchesItsStepAndOneStepEitherWayButNoFurther() {
        Totp apps = Totp.AUTHENTICATOR_APPS;
        Instant now = Instant.ofEpochSecond(1234567890);
        long step = apps.stepAt(now);

        assertThat(apps.matchingStep(SHA1_SEED, apps.code(SHA1_SEED, step), now)).isEqualTo(step);
        assertThat(apps.matchingStep(SHA1_SEED, apps.code(SHA1_SEED, step - 1), now)).isEqualTo(step - 1);
        assertThat(apps.matchingStep(SHA1_SEED, apps.code(SHA1_SEED, step + 1), now)).isEqualTo(step + 1);
        assertThat(apps.matchingStep(SHA1_SEED, apps.code(SHA1_SEED, step - 2), now)).isEqualTo(-1);
        assertThat(apps.matchingStep(SHA1_SEED, apps.code(SHA1_SEED, step + 2), now)).isEqualTo(-1);
    }

    @Test
    void keysAreWrittenAndReadInRfc4648Base32() {
        assertThat(Totp.base32("foobar".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MZXW6YTBOI");
        assertThat(Totp.base32(SHA1_SEED)).isEqualTo("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assertThat(Totp.fromBase32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")).isEqualTo(SHA1_SEED);
        assertThat(Totp.fromBase32("MZXW6YTBOI======")).isEqualTo("foobar".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> Totp.fromBase32("MZXW1")).isInstanceOf(IllegalArgumentException.class);
    }
}
