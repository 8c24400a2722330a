package dev.shepherd.security;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Time-based one-time passwords as RFC 6238 defines them (over RFC 4226's HOTP): the code of a time step is the
 * dynamically truncated HMAC of the step number, the step being the seconds since the epoch over the step length.
 * Authenticator apps use HMAC-SHA1, six digits and thirty-second steps ({@link #AUTHENTICATOR_APPS}); other algorithms
 * and lengths are here so the RFC's own test vectors (Appendix B, eight digits) can be checked.
 *
 * @param algorithm the JCA name of the HMAC ({@code HmacSHA1}, {@code HmacSHA256}, {@code HmacSHA512})
 * @param digits how many decimal digits a code has
 * @param step how long one code lasts
 */
public record Totp(String algorithm, int digits, Duration step) {

    /** What every authenticator app understands by default: HMAC-SHA1, six digits, thirty seconds. */
    public static final Totp AUTHENTICATOR_APPS = new Totp("HmacSHA1", 6, Duration.ofSeconds(30));

    private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000};

    public Totp {
        requireNonNull(algorithm, "algorithm is null");
        requireNonNull(step, "step is null");
        if (digits < 6 || digits > 8) {
            throw new IllegalArgumentException("a code has 6 to 8 digits");
        }
        if (step.toSeconds() < 1) {
            throw new IllegalArgumentException("a step lasts a second at least");
        }
    }

    /** @return the time step an instant falls in */
    public long stepAt(Instant instant) {
        return Math.floorDiv(instant.getEpochSecond(), step.toSeconds());
    }

    /** @return the code of a time step, zero-padded to {@link #digits} */
    public String code(byte[] key, long timeStep) {
        requireNonNull(key, "key is null");
        byte[] hash;
        try {
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, "RAW"));
            hash = mac.doFinal(ByteBuffer.allocate(Long.BYTES).putLong(timeStep).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm + " is not available", e);
        }
        // RFC 4226 section 5.3: the low nibble of the last byte picks four bytes, read as a 31-bit number.
        int offset = hash[hash.length - 1] & 0x0f;
        int binary = ((hash[offset] & 0x7f) << 24) | ((hash[offset + 1] & 0xff) << 16) | ((hash[offset + 2] & 0xff) << 8)
                | (hash[offset + 3] & 0xff);
        String code = Integer.toString(binary % POWERS_OF_TEN[digits]);
        return "0".repeat(digits - code.length()) + code;
    }

    /**
     * Finds the step whose code was given, allowing one step of clock drift either way.
     *
     * @return the matching step, or -1 when the code matches none of them
     */
    public long matchingStep(byte[] key, String code, Instant now) {
        requireNonNull(code, "code is null");
        long current = stepAt(now);
        long found = -1;
        // Every candidate is computed and compared in constant time, so timing does not tell which step matched.
        for (long candidate = current - 1; candidate <= current + 1; candidate++) {
            if (Secrets.equal(code(key, candidate), code) && found < 0) {
                found = candidate;
            }
        }
        return found;
    }

    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    /** @return the bytes in RFC 4648 base32 without padding, as {@code otpauth://} URIs and authenticator apps take keys */
    public static String base32(byte[] bytes) {
        StringBuilder text = new StringBuilder((bytes.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                text.append(BASE32[(buffer >> (bits - 5)) & 0x1f]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            text.append(BASE32[(buffer << (5 - bits)) & 0x1f]);
        }
        return text.toString();
    }

    /**
     * Reads RFC 4648 base32, as authenticator apps show keys: case, spaces and padding are ignored.
     *
     * @throws IllegalArgumentException when a character is not of the base32 alphabet
     */
    public static byte[] fromBase32(String text) {
        String clean = text.replaceAll("[\\s=]", "").toUpperCase(Locale.ROOT);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(clean.length() * 5 / 8);
        int buffer = 0;
        int bits = 0;
        for (char c : clean.toCharArray()) {
            int value = c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
            if (value < 0) {
                throw new IllegalArgumentException("not base32: " + c);
            }
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8) {
                bytes.write((buffer >> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return bytes.toByteArray();
    }
}
