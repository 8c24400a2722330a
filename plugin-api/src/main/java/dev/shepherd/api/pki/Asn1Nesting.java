package dev.shepherd.api.pki;

import static java.util.Objects.requireNonNull;

/**
 * Bounds how deeply an ASN.1 (BER or DER) encoding from outside nests, before a library reads it. BouncyCastle and
 * most ASN.1 parsers recurse once per constructed level, so a few kilobytes of nested SEQUENCEs in a SCEP message, an
 * {@code Mdm-Signature} or a certificate request would overflow the stack; real CMS messages and certificate requests
 * nest about a dozen levels. This walks the encoding without recursion and refuses it when it nests deeper than
 * asked or is not a well-formed TLV structure as far as it goes.
 *
 * @since 0.4.0
 */
public final class Asn1Nesting {

    /** More than any CMS message, certificate or certificate request in use nests (about 12). */
    public static final int MAX_DEPTH = 32;

    private static final int INDEFINITE = -1;

    private Asn1Nesting() {
    }

    /**
     * Checks the first ASN.1 object of an encoding against {@link #MAX_DEPTH}.
     *
     * @param encoding the BER or DER bytes, as received
     * @return the same bytes, for chaining into the parser
     * @throws IllegalArgumentException when the object nests deeper than {@link #MAX_DEPTH}, or its tags and lengths
     *         are malformed (truncated, a length past the end, a primitive with an indefinite length)
     */
    public static byte[] requireBounded(byte[] encoding) {
        return requireBounded(encoding, MAX_DEPTH);
    }

    /**
     * Checks the first ASN.1 object of an encoding against a maximum depth.
     *
     * @param encoding the BER or DER bytes, as received
     * @param maxDepth how many constructed levels may nest, at least 1
     * @return the same bytes, for chaining into the parser
     * @throws IllegalArgumentException when the object nests deeper than {@code maxDepth} or its tags and lengths are
     *         malformed
     */
    public static byte[] requireBounded(byte[] encoding, int maxDepth) {
        requireNonNull(encoding, "encoding is null");
        if (maxDepth < 1) {
            throw new IllegalArgumentException("maxDepth must be at least 1");
        }
        // ends[d] is where the constructed object at depth d ends, or INDEFINITE until its end-of-contents octets.
        int[] ends = new int[maxDepth + 1];
        int depth = 0;
        ends[0] = encoding.length;
        int position = 0;
        do {
            if (depth > 0 && ends[depth] == INDEFINITE && position + 1 < encoding.length
                    && encoding[position] == 0 && encoding[position + 1] == 0) {
                position += 2;
                depth--;
                continue;
            }
            if (depth > 0 && ends[depth] == position) {
                depth--;
                continue;
            }
            int limit = enclosingEnd(ends, depth, encoding.length);
            if (position >= limit) {
                throw new IllegalArgumentException("the ASN.1 encoding is truncated");
            }
            int tag = encoding[position++] & 0xff;
            if ((tag & 0x1f) == 0x1f) {
                // High tag number: base-128 continuation octets; more than four would not fit an int anyway.
                int octets = 0;
                while (true) {
                    if (position >= limit || ++octets > 4) {
                        throw new IllegalArgumentException("the ASN.1 encoding has a malformed tag");
                    }
                    if ((encoding[position++] & 0x80) == 0) {
                        break;
                    }
                }
            }
            if (position >= limit) {
                throw new IllegalArgumentException("the ASN.1 encoding is truncated");
            }
            int first = encoding[position++] & 0xff;
            boolean constructed = (tag & 0x20) != 0;
            int length;
            if (first == 0x80) {
                if (!constructed) {
                    throw new IllegalArgumentException("the ASN.1 encoding has a primitive with an indefinite length");
                }
                length = INDEFINITE;
            } else if ((first & 0x80) != 0) {
                int octets = first & 0x7f;
                if (octets > 4 || position + octets > limit) {
                    throw new IllegalArgumentException("the ASN.1 encoding has a malformed length");
                }
                long value = 0;
                for (int i = 0; i < octets; i++) {
                    value = (value << 8) | (encoding[position++] & 0xff);
                }
                if (value > limit - position) {
                    throw new IllegalArgumentException("the ASN.1 encoding has a length past its end");
                }
                length = (int) value;
            } else {
                if (first > limit - position) {
                    throw new IllegalArgumentException("the ASN.1 encoding has a length past its end");
                }
                length = first;
            }
            if (constructed) {
                if (depth == maxDepth) {
                    throw new IllegalArgumentException("the ASN.1 encoding nests deeper than " + maxDepth + " levels");
                }
                ends[++depth] = length == INDEFINITE ? INDEFINITE : position + length;
            } else {
                position += length;
            }
        } while (depth > 0);
        return encoding;
    }

    /** Where the innermost enclosing object with a known end ends; indefinite ones end within their parent. */
    private static int enclosingEnd(int[] ends, int depth, int total) {
        for (int d = depth; d > 0; d--) {
            if (ends[d] != INDEFINITE) {
                return ends[d];
            }
        }
        return total;
    }
}
