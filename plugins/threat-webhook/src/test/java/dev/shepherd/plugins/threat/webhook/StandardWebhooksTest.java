package dev.shepherd.plugins.threat.webhook;

import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Standard Webhooks signature scheme, against the test vector its reference libraries share (the Java library's
 * {@code WebhookTest.verifyWebhookSignWorks} in https://github.com/standard-webhooks/standard-webhooks, under
 * {@code libraries/java}) and against an independent HMAC computed here from the specification's words.
 */
class StandardWebhooksTest {

    /** The reference libraries' vector: secret, message id, timestamp, payload and the signature they expect. */
    private static final String VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long VECTOR_TIMESTAMP = 1614265330;
    private static final byte[] VECTOR_PAYLOAD = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private final WebhookSecret secret = WebhookSecret.parse(VECTOR_SECRET);
    private final Instant sent = Instant.ofEpochSecond(VECTOR_TIMESTAMP);

    @Test
    void signingReproducesTheSpecificationsTestVector() {
        assertThat(StandardWebhooks.sign(secret, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_PAYLOAD)).isEqualTo(VECTOR_SIGNATURE);
    }

    @Test
    void theTestVectorsSignatureVerifies() throws Exception {
        StandardWebhooks.Verified verified = verify(Optional.of(VECTOR_SIGNATURE), VECTOR_PAYLOAD, List.of(secret), sent);

        assertThat(verified.webhookId()).isEqualTo(VECTOR_ID);
        assertThat(verified.timestamp()).isEqualTo(sent);
    }

    @Test
    void signingMatchesAnIndependentHmacOfIdTimestampAndBody() throws Exception {
        byte[] key = Base64.getDecoder().decode(VECTOR_SECRET.substring("whsec_".length()));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] body = "{\"type\":\"device.assessed\",\"level\":\"HIGH\"}".getBytes(StandardCharsets.UTF_8);
        String expected = "v1," + Base64.getEncoder().encodeToString(mac.doFinal(
                ("msg_1." + VECTOR_TIMESTAMP + "." + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));

        assertThat(StandardWebhooks.sign(secret, "msg_1", VECTOR_TIMESTAMP, body)).isEqualTo(expected);
    }

    @Test
    void oneMatchingV1SignatureAmongOthersIsEnough() throws Exception {
        String header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
                + VECTOR_SIGNATURE + " v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==";

        assertThat(verify(Optional.of(header), VECTOR_PAYLOAD, List.of(secret), sent).webhookId()).isEqualTo(VECTOR_ID);
    }

    @Test
    void aDeliverySignedWithEitherSecretOfARotationVerifies() throws Exception {
        WebhookSecret other = WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[32]));

        assertThat(verify(Optional.of(VECTOR_SIGNATURE), VECTOR_PAYLOAD, List.of(other, secret), sent).webhookId()).isEqualTo(VECTOR_ID);
        assertThatThrownBy(() -> verify(Optional.of(VECTOR_SIGNATURE), VECTOR_PAYLOAD, List.of(other), sent))
                .isInstanceOfSatisfying(DeliveryRefusedException.class, e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void aChangedBodyOrAnotherVersionOrGarbageIsRefused() {
        byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);

        assertRefused(Optional.of(VECTOR_SIGNATURE), tampered, sent, 401);
        assertRefused(Optional.of("v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), VECTOR_PAYLOAD, sent, 401);
        assertRefused(Optional.of("v1,not base64!"), VECTOR_PAYLOAD, sent, 401);
        assertRefused(Optional.of("invalid_signature"), VECTOR_PAYLOAD, sent, 401);
    }

    @Test
    void anUnsignedDeliveryIsRefused() {
        assertRefused(Optional.empty(), VECTOR_PAYLOAD, sent, 401);
        assertThatThrownBy(() -> StandardWebhooks.verify(Optional.empty(), Optional.of("1614265330"), Optional.of(VECTOR_SIGNATURE),
                VECTOR_PAYLOAD, List.of(secret), sent)).hasMessageContaining("webhook-id");
    }

    @Test
    void timestampsMoreThanFiveMinutesAwayEitherWayAreRefusedAndTheEdgeIsAccepted() throws Exception {
        assertRefused(Optional.of(VECTOR_SIGNATURE), VECTOR_PAYLOAD, sent.plusSeconds(5 * 60 + 1), 400);
        assertRefused(Optional.of(VECTOR_SIGNATURE), VECTOR_PAYLOAD, sent.minusSeconds(5 * 60 + 1), 400);

        assertThat(verify(Optional.of(VECTOR_SIGNATURE), VECTOR_PAYLOAD, List.of(secret), sent.plusSeconds(5 * 60)).webhookId()).isEqualTo(VECTOR_ID);
        assertThat(verify(Optional.of(VECTOR_SIGNATURE), VECTOR_PAYLOAD, List.of(secret), sent.minusSeconds(5 * 60)).webhookId()).isEqualTo(VECTOR_ID);
    }

    @Test
    void idsThatCannotBeStorageKeysAndTimestampsThatAreNotSecondsAreRefused() {
        assertThatThrownBy(() -> StandardWebhooks.verify(Optional.of("msg.1"), Optional.of("1614265330"), Optional.of(VECTOR_SIGNATURE),
                VECTOR_PAYLOAD, List.of(secret), sent)).isInstanceOfSatisfying(DeliveryRefusedException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> StandardWebhooks.verify(Optional.of("msg/../x"), Optional.of("1614265330"), Optional.of(VECTOR_SIGNATURE),
                VECTOR_PAYLOAD, List.of(secret), sent)).isInstanceOfSatisfying(DeliveryRefusedException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> StandardWebhooks.verify(Optional.of(VECTOR_ID), Optional.of("2021-02-25T15:02:10Z"), Optional.of(VECTOR_SIGNATURE),
                VECTOR_PAYLOAD, List.of(secret), sent)).isInstanceOfSatisfying(DeliveryRefusedException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void secretsAreStandardWebhooksSecretsOfTwentyFourToSixtyFourBytes() {
        assertThat(WebhookSecret.parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).isEqualTo(secret);
        assertThatThrownBy(() -> WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[16])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WebhookSecret.parse("whsec_%%%")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("%%%");
        assertThat(secret.toString()).doesNotContain("MfKQ9r8");
    }

    private StandardWebhooks.Verified verify(Optional<String> signature, byte[] body, List<WebhookSecret> secrets, Instant now) throws Exception {
        return StandardWebhooks.verify(Optional.of(VECTOR_ID), Optional.of(Long.toString(VECTOR_TIMESTAMP)), signature, body, secrets, now);
    }

    private void assertRefused(Optional<String> signature, byte[] body, Instant now, int status) {
        assertThatThrownBy(() -> verify(signature, body, List.of(secret), now))
                .isInstanceOfSatisfying(DeliveryRefusedException.class, e -> assertThat(e.status()).isEqualTo(status));
    }
}
