package dev.shepherd.apple;

import dev.shepherd.testing.TestServer;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.openssl.PEMParser;

import java.io.StringReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Token files as Apple Business Manager hands them out for an MDM server, for tests: the OAuth credentials as JSON in
 * a MIME text message between {@code -----BEGIN MESSAGE-----} lines, encrypted (CMS EnvelopedData, RSA key transport)
 * to the public key certificate the admin uploaded, and wrapped as an S/MIME {@code smime.p7m} message.
 */
public final class AdeTokenFiles {

    private AdeTokenFiles() {
    }

    /** The OAuth credentials inside a token file. */
    public record Credentials(String consumerKey, String consumerSecret, String accessToken, String accessSecret, Instant expiry) {

        /** Fresh-looking credentials of Apple's shapes, expiring at {@code expiry}. */
        public static Credentials expiring(String suffix, Instant expiry) {
            return new Credentials("CK_" + suffix, "CS_" + suffix, "AT_" + suffix, "AS_" + suffix, expiry);
        }

        String json() {
            return """
                    {"consumer_key":"%s","consumer_secret":"%s","access_token":"%s","access_secret":"%s","access_token_expiry":"%s"}"""
                    .formatted(consumerKey, consumerSecret, accessToken, accessSecret, expiry.truncatedTo(ChronoUnit.SECONDS));
        }
    }

    /** @return the {@code .p7m} file Apple gives for these credentials, encrypted to the server's certificate (PEM) */
    /**
     * What the admin does once the plugin runs: downloads its ADE public key, and uploads the token file Apple made for
     * it under a name.
     *
     * @param pluginId the Apple platform plugin, such as {@code apple-ios}
     */
    public static void upload(TestServer server, String pluginId, String name, Credentials credentials) throws Exception {
        String publicKeyPath = "/api/v1/plugins/" + pluginId + "/ade/public-key";
        await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin(publicKeyPath).statusCode() == 200);
        String publicKey = server.getAsAdmin(publicKeyPath).body();
        HttpResponse<String> uploaded = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/" + pluginId + "/ade/tokens/" + name))
                .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                .header("Content-Type", "application/pkcs7-mime")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(tokenFile(publicKey, credentials))).build());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
    }

    public static byte[] tokenFile(String serverCertificatePem, Credentials credentials) throws Exception {
        return smime(envelope(serverCertificatePem, message(credentials.json())));
    }

    /** @return the decrypted content Apple's token carries: a MIME text message around the JSON */
    static byte[] message(String json) {
        return ("Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                + "-----BEGIN MESSAGE-----\r\n" + json + "\r\n-----END MESSAGE-----\r\n").getBytes(StandardCharsets.UTF_8);
    }

    /** @return the CMS EnvelopedData (DER) of some content for the certificate */
    static byte[] envelope(String serverCertificatePem, byte[] content) throws Exception {
        X509Certificate certificate;
        try (PEMParser parser = new PEMParser(new StringReader(serverCertificatePem))) {
            certificate = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) parser.readObject());
        }
        CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
        generator.addRecipientInfoGenerator(new JceKeyTransRecipientInfoGenerator(certificate));
        return generator.generate(new CMSProcessableByteArray(content),
                new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).build()).getEncoded();
    }

    /** @return the DER wrapped as the S/MIME message Apple's download is */
    static byte[] smime(byte[] der) {
        return ("Content-Type: application/pkcs7-mime; name=\"smime.p7m\"; smime-type=enveloped-data\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n"
                + "Content-Description: S/MIME Encrypted Message\r\n\r\n"
                + Base64.getMimeEncoder().encodeToString(der) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
