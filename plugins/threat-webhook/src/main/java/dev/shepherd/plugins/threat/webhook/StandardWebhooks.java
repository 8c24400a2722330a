package dev.shepherd.plugins.threat.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The signature scheme of the Standard Webhooks specification, version 1.0.0 (https://www.standardwebhooks.com; the
 * text is {@code spec/standard-webhooks.md} in https://github.com/standard-webhooks/standard-webhooks), so any sender
 * built on a Standard Webhooks library, or on its few lines of HMAC, can deliver here:
 * <ul>
 *   <li>three headers: {@code webhook-id} (the message's id, the same on every retry: the idempotency key),
 *       {@code webhook-timestamp} (integer Unix seconds of this attempt) and {@code webhook-signature};</li>
 *   <li>the signed content is {@code <webhook-id>.<webhook-timestamp>.<raw body>}, signed with HMAC-SHA256 under the
 *       key a {@code whsec_<base64>} secret decodes to;</li>
 *   <li>{@code webhook-signature} is a space-delimited list of {@code <version>,<base64 signature>}; symmetric signatures
 *       carry the version {@code v1}, and a sender rotating its secret sends one per secret, so a delivery is
 *       authentic when any {@code v1} signature matches any of the source's current secrets. Other versions (the
 *       asymmetric {@code v1a}) are ignored;</li>
 *   <li>signatures are compared in constant time, and a timestamp more than {@link #TOLERANCE five minutes} away from
 *       the server's clock, in either direction, is refused, as the specification recommends against replays.</li>
 * </ul>
 * The id must also be safe as part of a storage key, which the specification's own advice (no {@code .} in ids)
 * nearly says already: {@link #ID_PATTERN}.
 */
final class StandardWebhooks {

    static final String ID_HEADER = "webhook-id";
    static final String TIMESTAMP_HEADER = "webhook-timestamp";
    static final String SIGNATURE_HEADER = "webhook-signature";
    static final Duration TOLERANCE = Duration.ofMinutes(5);
    static final Pattern ID_PATTERN = Pattern.compile("[A-Za-z0-9_:+=-]{1,128}");
    private static final Pattern TIMESTAMP_PATTERN = Pattern.compile("[0-9]{1,12}");
    private static final int MAX_SIGNATURE_HEADER = 4096;
    private static final int MAX_SIGNATURES = 16;
    private static final String VERSION = "v1";
    private static final String HMAC = "HmacSHA256";

    /** What a verified delivery's headers said. */
    record Verified(String webhookId, Instant timestamp) {
        Verified {
            requireNonNull(webhookId, "webhookId is null");
            requireNonNull(timestamp, "timestamp is null");
        }
    }

    private StandardWebhooks() {
    }

    /**
     * Verifies one delivery.
     *
     * @param id the {@code webhook-id} header, when present
     * @param timestamp the {@code webhook-timestamp} header, when present
     * @param signatures the {@code webhook-signature} header, when present
     * @param body the raw body, exactly as received
     * @param secrets the source's current secrets (two during a rotation's grace period)
     * @param now the server's clock
     * @return the id and timestamp, now trusted
     * @throws DeliveryRefusedException 400 for missing or malformed headers and for a timestamp outside the window,
     *         401 when no signature matches
     */
    static Verified verify(Optional<String> id, Optional<String> timestamp, Optional<String> signatures, byte[] body,
                           List<WebhookSecret> secrets, Instant now) throws DeliveryRefusedException {
        if (id.isEmpty() || timestamp.isEmpty() || signatures.isEmpty()) {
            throw new DeliveryRefusedException(401, "Unsigned delivery", "A delivery carries the Standard Webhooks headers "
                    + ID_HEADER + ", " + TIMESTAMP_HEADER + " and " + SIGNATURE_HEADER + "; this one lacks "
                    + (id.isEmpty() ? ID_HEADER : timestamp.isEmpty() ? TIMESTAMP_HEADER : SIGNATURE_HEADER) + ".");
        }
        if (!ID_PATTERN.matcher(id.get()).matches()) {
            throw new DeliveryRefusedException(400, "Bad webhook-id", ID_HEADER + " is 1 to 128 characters of letters, digits, '_', ':', '+', '=' and '-'.");
        }
        if (!TIMESTAMP_PATTERN.matcher(timestamp.get()).matches()) {
            throw new DeliveryRefusedException(400, "Bad webhook-timestamp", TIMESTAMP_HEADER + " is an integer count of Unix seconds.");
        }
        Instant sent = Instant.ofEpochSecond(Long.parseLong(timestamp.get()));
        if (Duration.between(sent, now).abs().compareTo(TOLERANCE) > 0) {
            throw new DeliveryRefusedException(400, "Stale or future timestamp", TIMESTAMP_HEADER + " " + timestamp.get() + " is more than "
                    + TOLERANCE.toMinutes() + " minutes away from the server's time (" + now.getEpochSecond()
                    + "); a replayed or delayed delivery is refused. Check the sender's clock.");
        }
        if (signatures.get().length() > MAX_SIGNATURE_HEADER) {
            throw new DeliveryRefusedException(400, "Bad webhook-signature", SIGNATURE_HEADER + " is longer than " + MAX_SIGNATURE_HEADER + " characters.");
        }
        List<byte[]> presented = presentedV1(signatures.get());
        boolean matched = false;
        for (WebhookSecret secret : secrets) {
            byte[] expected = hmac(secret, id.get(), timestamp.get(), body);
            for (byte[] candidate : presented) {
                // Every pair is compared, each in constant time, so timing says nothing about which secret came close.
                matched |= MessageDigest.isEqual(expected, candidate);
            }
        }
        if (!matched) {
            throw new DeliveryRefusedException(401, "Bad signature", "No v1 signature in " + SIGNATURE_HEADER
                    + " matches the source's secret over '<webhook-id>.<webhook-timestamp>.<raw body>'.");
        }
        return new Verified(id.get(), sent);
    }

    /**
     * Signs content as a sender does.
     *
     * @return the header value {@code v1,<base64>}
     */
    static String sign(WebhookSecret secret, String id, long timestamp, byte[] body) {
        return VERSION + "," + Base64.getEncoder().encodeToString(hmac(secret, id, Long.toString(timestamp), body));
    }

    private static List<byte[]> presentedV1(String header) throws DeliveryRefusedException {
        String[] entries = header.strip().split(" +");
        if (entries.length > MAX_SIGNATURES) {
            throw new DeliveryRefusedException(400, "Bad webhook-signature", SIGNATURE_HEADER + " carries more than " + MAX_SIGNATURES + " signatures.");
        }
        ArrayList<byte[]> v1 = new ArrayList<>();
        for (String entry : entries) {
            int comma = entry.indexOf(',');
            if (comma > 0 && entry.substring(0, comma).equals(VERSION)) {
                try {
                    v1.add(Base64.getDecoder().decode(entry.substring(comma + 1)));
                } catch (IllegalArgumentException e) {
                    // A v1 entry that is not base64 matches nothing; the others may still match.
                }
            }
        }
        return v1;
    }

    private static byte[] hmac(WebhookSecret secret, String id, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(secret.key(), HMAC));
            mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every Java runtime", e);
        }
    }
}
