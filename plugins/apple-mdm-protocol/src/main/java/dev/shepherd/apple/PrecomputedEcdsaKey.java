package dev.shepherd.apple;

import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.ECConstants;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECLookupTable;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointPreCompInfo;
import org.bouncycastle.math.ec.FixedPointUtil;
import org.bouncycastle.math.raw.Nat;
import org.bouncycastle.util.BigIntegers;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One signer's EC public key, prepared to verify its ECDSA signatures over fixed-point comb tables from its first
 * message on, for a key that signs many messages (a device signs every message it sends).
 *
 * <p>The check is {@code ECDSASigner.verifySignature}'s (BouncyCastle 1.83; SEC 1 v2 §4.1.4), step by step: the
 * signature's DER is decoded by BouncyCastle's {@link StandardDSAEncoding}, which takes only the one DER encoding of a
 * sequence of two integers in [0, n-1], as {@code DSADigestSigner} does; r and s in [1, n-1]; e the leftmost
 * bits of the digest, as many as n has; w = s⁻¹ mod n, u1 = e·w mod n, u2 = r·w mod n; R = u1·G + u2·Q refused at
 * infinity and checked to be on the curve (BouncyCastle's check of its own result); the signature verifies when
 * R.x mod n = r, compared without normalising R, as BouncyCastle does.
 *
 * <p>Only the way to R differs. BouncyCastle computes it with Shamir's trick over wNAF tables of G and Q (about as
 * many point doublings as n has bits, 256 for P-256) and switches to fixed-point combs of both points once a point has
 * been used four times, keeping the wNAF tables and the combs on the point. Here the combs are there from the start:
 * G's and Q's fixed-point comb tables (BouncyCastle's own, {@link FixedPointUtil#precompute}: width 6, 64 affine
 * points) run together over one accumulator, as BouncyCastle's {@code implShamirsTrickFixedPoint} does: 43 doublings
 * and 43 sums of two table entries for P-256. G's table is built once and kept on the curve's generator, which every
 * key of the curve shares; Q's when this key is prepared (its cost falls on the first message) and lives as long as
 * this object: 64 points of two field elements, with the rest about 5 KiB for P-256, 7.5 KiB for P-384, against
 * about 8 and 14 KiB for BouncyCastle's wNAF tables and combs together (see "Verifying EC signatures" in
 * docs/benchmarks.md). The tables are read with {@link ECLookupTable#lookupVar}, indexed by the scalars' bits: a
 * verification handles nothing secret.
 *
 * <p>Curves the comb does not suit (not over a prime field, a cofactor other than 1, an order the curve does not
 * know) are verified by {@link ECDSASigner} itself. Thread-safe: the tables are only read after construction.
 */
final class PrecomputedEcdsaKey {

    private final ECPublicKeyParameters key;
    private final BigInteger order;
    private final Optional<Combs> combs;

    private PrecomputedEcdsaKey(ECPublicKeyParameters key, Optional<Combs> combs) {
        this.key = key;
        this.order = key.getParameters().getN();
        this.combs = combs;
    }

    /** Prepares the key: builds its comb table now, unless its curve is one the comb does not suit. */
    static PrecomputedEcdsaKey of(ECPublicKeyParameters key) {
        requireNonNull(key, "key");
        return new PrecomputedEcdsaKey(key, Combs.of(key));
    }

    /** Whether signatures are verified with the comb tables, not with {@link ECDSASigner}. */
    boolean precomputed() {
        return combs.isPresent();
    }

    /**
     * @param digest          the message's digest, as the signature algorithm computes it
     * @param derSignature    the signature, DER {@code SEQUENCE { r INTEGER, s INTEGER }}
     * @return whether the signature over that digest verifies with this key; false for any malformed signature
     */
    boolean verify(byte[] digest, byte[] derSignature) {
        BigInteger[] rs;
        try {
            rs = StandardDSAEncoding.INSTANCE.decode(order, derSignature);
        } catch (IOException | RuntimeException malformed) {
            return false;
        }
        return verify(digest, rs[0], rs[1]);
    }

    /** @return whether (r, s) is a signature over that digest by this key */
    boolean verify(byte[] digest, BigInteger r, BigInteger s) {
        if (combs.isEmpty()) {
            ECDSASigner ecdsa = new ECDSASigner();
            ecdsa.init(false, key);
            return ecdsa.verifySignature(digest, r, s);
        }
        BigInteger n = order;
        BigInteger e = leftmostBits(n, digest);
        if (r.compareTo(ECConstants.ONE) < 0 || r.compareTo(n) >= 0) {
            return false;
        }
        if (s.compareTo(ECConstants.ONE) < 0 || s.compareTo(n) >= 0) {
            return false;
        }
        BigInteger w = BigIntegers.modOddInverseVar(n, s);
        BigInteger u1 = e.multiply(w).mod(n);
        BigInteger u2 = r.multiply(w).mod(n);
        ECPoint point = combs.get().sumOfMultiples(u1, u2);
        // isValid() is the curve equation here (a cofactor of 1 needs no order check): BouncyCastle checks its
        // result the same way, against a fault in the arithmetic.
        if (point.isInfinity() || !point.isValid()) {
            return false;
        }
        return xMatches(point, r, n);
    }

    /** ECDSA's e: the digest as an unsigned number, cut to its leftmost bits when it has more than n. */
    private static BigInteger leftmostBits(BigInteger n, byte[] digest) {
        int orderBits = n.bitLength();
        int digestBits = digest.length * 8;
        BigInteger e = new BigInteger(1, digest);
        return orderBits < digestBits ? e.shiftRight(digestBits - orderBits) : e;
    }

    /**
     * Whether (R.x mod n) = r, without the inversion that normalising R costs: every field element below p that is
     * r modulo n (r, r + n, ... for a cofactor of 1 at most two), brought to R's denominator, is compared with R's
     * projective x, as in BouncyCastle's ECDSASigner.
     */
    private static boolean xMatches(ECPoint point, BigInteger r, BigInteger n) {
        ECCurve curve = point.getCurve();
        ECFieldElement denominator = denominator(curve.getCoordinateSystem(), point);
        if (denominator == null || denominator.isZero()) {
            return point.normalize().getAffineXCoord().toBigInteger().mod(n).equals(r);
        }
        ECFieldElement x = point.getXCoord();
        for (BigInteger candidate = r; curve.isValidFieldElement(candidate); candidate = candidate.add(n)) {
            if (curve.fromBigInteger(candidate).multiply(denominator).equals(x)) {
                return true;
            }
        }
        return false;
    }

    private static ECFieldElement denominator(int coordinateSystem, ECPoint point) {
        return switch (coordinateSystem) {
            case ECCurve.COORD_HOMOGENEOUS, ECCurve.COORD_LAMBDA_PROJECTIVE, ECCurve.COORD_SKEWED -> point.getZCoord(0);
            case ECCurve.COORD_JACOBIAN, ECCurve.COORD_JACOBIAN_CHUDNOVSKY, ECCurve.COORD_JACOBIAN_MODIFIED -> point.getZCoord(0).square();
            default -> null;
        };
    }

    /**
     * The comb tables of G and Q, of one width. A table entry i is P + the sum of 2^(b·teeth)·P over the bits b set in
     * i (entry 0 is P itself, never infinity), so each of the {@code teeth} steps adds one P too many; the offset,
     * -(2^teeth - 1)·P for each of G and Q, takes them away at the end (BouncyCastle's FixedPointCombMultiplier).
     */
    private record Combs(ECCurve curve, int width, int teeth, ECLookupTable generator, ECLookupTable point, ECPoint offset) {

        static Optional<Combs> of(ECPublicKeyParameters key) {
            ECDomainParameters domain = key.getParameters();
            ECCurve curve = domain.getCurve();
            if (!(curve instanceof ECCurve.AbstractFp) || !ECConstants.ONE.equals(curve.getCofactor())
                    || curve.getOrder() == null || !curve.getOrder().equals(domain.getN())) {
                return Optional.empty();
            }
            FixedPointPreCompInfo generator = FixedPointUtil.precompute(domain.getG());
            FixedPointPreCompInfo point = FixedPointUtil.precompute(key.getQ());
            int width = point.getWidth();
            if (generator.getWidth() != width || generator.getLookupTable().getSize() != 1 << width
                    || point.getLookupTable().getSize() != 1 << width) {
                return Optional.empty();
            }
            int combBits = FixedPointUtil.getCombSize(curve);
            int teeth = (combBits + width - 1) / width;
            ECPoint offset = generator.getOffset().add(point.getOffset()).normalize();
            return Optional.of(new Combs(curve, width, teeth, generator.getLookupTable(), point.getLookupTable(), offset));
        }

        /** u1·G + u2·Q, both scalars in [0, n-1]: one doubling per tooth, shared by the two combs. */
        ECPoint sumOfMultiples(BigInteger u1, BigInteger u2) {
            int fullComb = teeth * width;
            int[] generatorScalar = Nat.fromBigInteger(fullComb, u1);
            int[] pointScalar = Nat.fromBigInteger(fullComb, u2);
            ECPoint sum = curve.getInfinity();
            int top = fullComb - 1;
            for (int tooth = 0; tooth < teeth; tooth++) {
                int generatorIndex = 0;
                int pointIndex = 0;
                // The entry's bits, most significant first: bit top - tooth, then every teeth-th bit below it.
                for (int bit = top - tooth; bit >= 0; bit -= teeth) {
                    generatorIndex = (generatorIndex << 1) | ((generatorScalar[bit >>> 5] >>> (bit & 0x1F)) & 1);
                    pointIndex = (pointIndex << 1) | ((pointScalar[bit >>> 5] >>> (bit & 0x1F)) & 1);
                }
                // The two affine entries first (the cheaper addition), then their sum into the accumulator.
                sum = sum.twicePlus(generator.lookupVar(generatorIndex).add(point.lookupVar(pointIndex)));
            }
            return sum.add(offset);
        }
    }
}
