package dev.shepherd.apple;

import dev.shepherd.testing.MemoryPluginStorage;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Server tokens of Automated Device Enrollment: the token file Apple encrypts to this server's public key is
 * decrypted, kept sealed under the admin's name for it, several side by side, with expiry warned; files that are not
 * a token for this server are refused with a reason.
 */
class AdeServerTokensTest {

    private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");

    private final MemoryPluginStorage storage = new MemoryPluginStorage();
    private final TestSealer sealer = new TestSealer();
    private final AdeServerTokens tokens = new AdeServerTokens(storage, sealer, Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aTokenEncryptedToThePublicKeyIsDecryptedAndStoredSealed() throws Exception {
        AdeTokenFiles.Credentials credentials = AdeTokenFiles.Credentials.expiring("abc123", NOW.plus(Duration.ofDays(365)));

        AdeServerTokens.Status status = tokens.upload("default", AdeTokenFiles.tokenFile(tokens.publicKeyPem(), credentials));

        assertThat(status.name()).isEqualTo("default");
        assertThat(status.consumerKey()).isEqualTo("CK_abc123");
        assertThat(status.expiry()).isEqualTo(NOW.plus(Duration.ofDays(365)));
        assertThat(status.daysLeft()).isEqualTo(365);
        assertThat(status.warning()).isEmpty();
        AdeServerTokens.Token token = tokens.token("default").orElseThrow();
        assertThat(token.consumerSecret()).isEqualTo("CS_abc123");
        assertThat(token.accessToken()).isEqualTo("AT_abc123");
        assertThat(token.accessSecret()).isEqualTo("AS_abc123");
        assertThat(token.toString()).doesNotContain("CS_abc123", "AT_abc123", "AS_abc123");
        for (String key : storage.keys("")) {
            assertThat(new String(storage.get(key).orElseThrow(), StandardCharsets.ISO_8859_1))
                    .as(key).doesNotContain("CS_abc123", "AS_abc123", "PRIVATE KEY");
        }
    }

    @Test
    void thePublicKeyIsMadeOnceAndSharedByEveryNode() throws Exception {
        AdeServerTokens otherNode = new AdeServerTokens(storage, sealer, Clock.fixed(NOW, ZoneOffset.UTC));

        String first = tokens.publicKeyPem();

        assertThat(first).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(otherNode.publicKeyPem()).isEqualTo(first);
        assertThat(tokens.publicKeyPem()).isEqualTo(first);
        // A token encrypted to the key one node handed out is read on the other.
        otherNode.upload("default", AdeTokenFiles.tokenFile(first, AdeTokenFiles.Credentials.expiring("x", NOW.plus(Duration.ofDays(90)))));
        assertThat(tokens.token("default")).isPresent();
    }

    @Test
    void severalTokensAreKeptByNameAndAReuploadRenewsOne() throws Exception {
        String key = tokens.publicKeyPem();
        tokens.upload("school", AdeTokenFiles.tokenFile(key, AdeTokenFiles.Credentials.expiring("school", NOW.plus(Duration.ofDays(10)))));
        tokens.upload("business", AdeTokenFiles.tokenFile(key, AdeTokenFiles.Credentials.expiring("business", NOW.plus(Duration.ofDays(200)))));
        tokens.upload("school", AdeTokenFiles.tokenFile(key, AdeTokenFiles.Credentials.expiring("school2", NOW.plus(Duration.ofDays(365)))));

        assertThat(tokens.statuses()).extracting(AdeServerTokens.Status::name, AdeServerTokens.Status::consumerKey)
                .containsExactly(Tuple.tuple("business", "CK_business"),
                        Tuple.tuple("school", "CK_school2"));
        assertThat(tokens.remove("business")).isTrue();
        assertThat(tokens.remove("business")).isFalse();
        assertThat(tokens.statuses()).extracting(AdeServerTokens.Status::name).containsExactly("school");
    }

    @Test
    void aTokenCloseToExpiryIsWarnedAndOnePastItWarnsThatSyncStopped() throws Exception {
        tokens.upload("default", AdeTokenFiles.tokenFile(tokens.publicKeyPem(),
                AdeTokenFiles.Credentials.expiring("soon", NOW.plus(Duration.ofDays(12)))));

        assertThat(tokens.status("default").orElseThrow().warning()).hasValueSatisfying(warning ->
                assertThat(warning).contains("expires in 12 day(s)", "download a new token"));

        AdeServerTokens later = new AdeServerTokens(storage, sealer, Clock.fixed(NOW.plus(Duration.ofDays(13)), ZoneOffset.UTC));
        assertThat(later.status("default").orElseThrow().warning()).hasValueSatisfying(warning ->
                assertThat(warning).contains("expired on", "device sync stops"));
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        byte[] file = AdeTokenFiles.tokenFile(tokens.publicKeyPem(), AdeTokenFiles.Credentials.expiring("old", NOW.minus(Duration.ofDays(1))));

        assertThatThrownBy(() -> tokens.upload("default", file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the token expired on");
        assertThat(tokens.statuses()).isEmpty();
    }

    @Test
    void aTokenForAnotherServersKeyIsRefusedNamingTheFix() throws Exception {
        AdeServerTokens otherServer = new AdeServerTokens(new MemoryPluginStorage(), sealer, Clock.fixed(NOW, ZoneOffset.UTC));
        byte[] file = AdeTokenFiles.tokenFile(otherServer.publicKeyPem(), AdeTokenFiles.Credentials.expiring("x", NOW.plus(Duration.ofDays(90))));

        assertThatThrownBy(() -> tokens.upload("default", file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encrypted for another server's public key");
    }

    @Test
    void theBareCmsIsAcceptedAsDerOrPem() throws Exception {
        byte[] der = AdeTokenFiles.envelope(tokens.publicKeyPem(),
                AdeTokenFiles.message(AdeTokenFiles.Credentials.expiring("der", NOW.plus(Duration.ofDays(90))).json()));
        String pem = "-----BEGIN PKCS7-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der) + "\n-----END PKCS7-----\n";

        assertThat(tokens.upload("der", der).consumerKey()).isEqualTo("CK_der");
        assertThat(tokens.upload("pem", pem.getBytes(StandardCharsets.US_ASCII)).consumerKey()).isEqualTo("CK_der");
    }

    @Test
    void whatIsNotATokenIsRefusedWithAReason() throws Exception {
        String key = tokens.publicKeyPem();

        assertThatThrownBy(() -> tokens.upload("default", "hello".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("not a server token");
        assertThatThrownBy(() -> tokens.upload("default", "Content-Type: text/html\r\n\r\n<html>".getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("found content type \"text/html\"");
        assertThatThrownBy(() -> tokens.upload("default", AdeTokenFiles.smime(new byte[] {0x30, 0x03, 0x02, 0x01, 0x00})))
                .hasMessageContaining("not a CMS enveloped message");
        assertThatThrownBy(() -> tokens.upload("default", AdeTokenFiles.smime(AdeTokenFiles.envelope(key,
                AdeTokenFiles.message("{\"consumer_key\":\"CK_1\"}")))))
                .hasMessageContaining("consumer_secret is missing");
        assertThatThrownBy(() -> tokens.upload("default", AdeTokenFiles.smime(AdeTokenFiles.envelope(key,
                AdeTokenFiles.message("[" .repeat(100))))))
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> tokens.upload("Not A Name", AdeTokenFiles.tokenFile(key,
                AdeTokenFiles.Credentials.expiring("x", NOW.plus(Duration.ofDays(90))))))
                .hasMessageContaining("lower-case letters");
        assertThat(tokens.statuses()).isEmpty();
    }
}
