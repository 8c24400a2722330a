package dev.shepherd.google;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServiceAccountTest {

    private final ObjectNode key = TestKeys.key(TestKeys.PAIR, "https://oauth2.googleapis.com/token");

    @Test
    void aKeyAsGoogleHandsItOutIsRead() {
        ServiceAccount account = ServiceAccount.parse(TestKeys.bytes(key), Set.of("project_id"));

        assertThat(account.clientEmail()).isEqualTo(TestKeys.CLIENT_EMAIL);
        assertThat(account.clientId()).isEqualTo(TestKeys.CLIENT_ID);
        assertThat(account.keyId()).isEqualTo(TestKeys.KEY_ID);
        assertThat(account.projectId()).isEqualTo(TestKeys.PROJECT);
        assertThat(account.tokenUri()).isEqualTo(URI.create("https://oauth2.googleapis.com/token"));
        assertThat(account.privateKey().getEncoded()).isEqualTo(TestKeys.PAIR.getPrivate().getEncoded());
        assertThat(account.toString()).contains(TestKeys.CLIENT_EMAIL).doesNotContain("PRIVATE").doesNotContain("RSA");
    }

    @Test
    void optionalFieldsMayBeMissingAndTheTokenEndpointIsThenGoogles() {
        key.remove(List.of("client_id", "private_key_id", "project_id", "token_uri"));

        ServiceAccount account = ServiceAccount.parse(TestKeys.bytes(key), Set.of());

        assertThat(account.clientId()).isEmpty();
        assertThat(account.keyId()).isEmpty();
        assertThat(account.projectId()).isEmpty();
        assertThat(account.tokenUri()).isEqualTo(ServiceAccount.GOOGLE_TOKEN_URI);
    }

    @Test
    void fieldsTheCallerRequiresMustBeThere() {
        key.remove("project_id");

        assertThatThrownBy(() -> ServiceAccount.parse(TestKeys.bytes(key), Set.of("project_id")))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("The service-account key has no project_id.");
    }

    @Test
    void whatIsNotAServiceAccountKeyIsRefusedSayingWhy() {
        assertThatThrownBy(() -> ServiceAccount.parse("-----BEGIN CERTIFICATE-----".getBytes(StandardCharsets.US_ASCII), Set.of()))
                .hasMessage("The service-account key is not JSON; upload the key file Google's Cloud console downloads.");
        assertThatThrownBy(() -> ServiceAccount.parse("[1, 2]".getBytes(StandardCharsets.US_ASCII), Set.of()))
                .hasMessage("The service-account key is not a JSON object.");
        assertThatThrownBy(() -> ServiceAccount.parse(TestKeys.bytes(key.deepCopy().put("type", "authorized_user")), Set.of()))
                .hasMessage("The key's type is not service_account; download a JSON key of the service account in Google Cloud.");
        assertThatThrownBy(() -> ServiceAccount.parse(TestKeys.bytes(key.deepCopy().put("client_email", " ")), Set.of()))
                .hasMessage("The service-account key has no client_email.");
    }

    @Test
    void thePrivateKeyMustBeAnRsaKeyOfAtLeast2048BitsAndIsNeverRepeated() {
        assertThatThrownBy(() -> ServiceAccount.parse(TestKeys.bytes(key.deepCopy().put("private_key", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n")), Set.of()))
                .hasMessage("The key's private_key is not a PKCS#8 RSA private key in PEM form.");
        ObjectNode shortKey = TestKeys.key(TestKeys.generate(1024), "https://oauth2.googleapis.com/token");
        assertThatThrownBy(() -> ServiceAccount.parse(TestKeys.bytes(shortKey), Set.of()))
                .hasMessage("The key's private_key is shorter than 2048 bits.");
    }

    @Test
    void theTokenEndpointGetsTheSignedAssertionSoItMustBeHttps() {
        assertThatThrownBy(() -> ServiceAccount.parse(TestKeys.bytes(key.deepCopy().put("token_uri", "http://oauth2.example.com/token")), Set.of()))
                .hasMessage("The key's token_uri must be an https URL: http://oauth2.example.com/token");
        assertThatThrownBy(() -> ServiceAccount.parse(TestKeys.bytes(key.deepCopy().put("token_uri", "not a url")), Set.of()))
                .hasMessage("The key's token_uri must be an https URL: not a url");
        assertThat(ServiceAccount.parse(TestKeys.bytes(key.deepCopy().put("token_uri", "http://127.0.0.1:8080/token")), Set.of()).tokenUri())
                .as("a stand-in on loopback").isEqualTo(URI.create("http://127.0.0.1:8080/token"));
    }
}
