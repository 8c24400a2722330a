package dev.shepherd.api.pki;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Asn1NestingTest {

    /** A real certificate request (openssl, RSA 2048): DER, about seven levels deep. */
    private static final String CSR = "MIICZTCCAU0CAQAwIDEeMBwGA1UEAwwVc2NlcC1zaW11bGF0b3ItZGV2aWNlMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzr5quD"
            + "YfXFbG6M6LpiBohHmQHIB8JvOHLGoGLQQHrFZ4O9eDV5OWtwlLqpb9fcKpbk5+u8eEb/LUCvpLdnEHTwQvaJUfBbaX45mRERWzZGnLDGofYg8G"
            + "FuuD1jOlY+MXzQY6/Jyga7NIfoamTQ+favmpwbWg8uWaAq5o1jZHxxWCWzCrlzgiiKeRvOH4BTyjwIDCOUvdNCXCIfQ2fHXH9cf1cxUiXInnFP"
            + "Zohc21iFsIG7WDMdRGt1GQwGhC8FsfySbMFB5DFABh+jOljn6sgxgSxc4OJ5vEmVhdeP2rI7CqEThyC2KriJxHm8JU2rkzpEHXJfaakB/CEEV1"
            + "tuMK8wIDAQABoAAwDQYJKoZIhvcNAQELBQADggEBABmLRCEqYm5KYiAjyNBLhm3Jd+5NM1nhsqYBkz1nQnAjHjc/ol6kyC7aFYfPvftl76c1LZ"
            + "lh3bCrTFntO5A5pNBYaf0ZdTsHRm6wugZ4DK/OAB1nd8M96GFhXKFIFa6Me3hLGtnWfS+aD5O37zyl4EgBZcAt2jakS063ypQrDZCpMyPu2KYO"
            + "erd9PBQwojWV73Qnf3/JrJoSfBznppWoj0nBjPD9BRJ5s3RIKGiJ5wR/80GSFZu+D2V6IuPOuA4lL3MIaVGyqkUhb2tNbvpQkseeSnYIRmHdH5"
            + "hslo/suY+t9i/Kc/bNJ7iGOwapDn6MqiJvdfSltubGO80VmHE9xo8=";

    @Test
    void aRealEncodingPassesUnchanged() {
        byte[] der = Base64.getDecoder().decode(CSR);
        assertArrayEquals(der, Asn1Nesting.requireBounded(der));
    }

    @Test
    void nestingIsCountedForDefiniteAndIndefiniteLengthsAlike() {
        assertArrayEquals(nested(Asn1Nesting.MAX_DEPTH, false), Asn1Nesting.requireBounded(nested(Asn1Nesting.MAX_DEPTH, false)));
        assertArrayEquals(nested(Asn1Nesting.MAX_DEPTH, true), Asn1Nesting.requireBounded(nested(Asn1Nesting.MAX_DEPTH, true)));
        IllegalArgumentException deep = assertThrows(IllegalArgumentException.class,
                () -> Asn1Nesting.requireBounded(nested(30_000, true)));
        assertTrue(deep.getMessage().contains("deeper than " + Asn1Nesting.MAX_DEPTH));
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(nested(Asn1Nesting.MAX_DEPTH + 1, false)));
    }

    @Test
    void malformedTagsAndLengthsAreRefusedWithoutReadingPastTheEnd() {
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(new byte[] {0x30}));
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(new byte[] {0x30, 0x05, 0x02, 0x01}));
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(new byte[] {0x04, (byte) 0x80, 0x00, 0x00}));
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(new byte[] {0x30, (byte) 0x85, 1, 2, 3, 4, 5}));
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(new byte[] {0x30, (byte) 0x80, 0x02, 0x01, 0x00}));
        assertThrows(IllegalArgumentException.class, () -> Asn1Nesting.requireBounded(new byte[] {0x1f, (byte) 0x81, (byte) 0x81,
                (byte) 0x81, (byte) 0x81, (byte) 0x81, 0x00}));
    }

    private static byte[] nested(int depth, boolean indefinite) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (indefinite) {
            for (int i = 0; i < depth; i++) {
                out.write(0x30);
                out.write(0x80);
            }
            out.writeBytes(new byte[] {0x05, 0x00});
            for (int i = 0; i < depth; i++) {
                out.writeBytes(new byte[] {0x00, 0x00});
            }
            return out.toByteArray();
        }
        byte[] inner = {0x05, 0x00};
        for (int i = 0; i < depth; i++) {
            byte[] outer = new byte[inner.length + 4];
            outer[0] = 0x30;
            outer[1] = (byte) 0x82;
            outer[2] = (byte) (inner.length >> 8);
            outer[3] = (byte) inner.length;
            System.arraycopy(inner, 0, outer, 4, inner.length);
            inner = outer;
        }
        return inner;
    }
}
