package dev.shepherd.google;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/** Service-account keys shaped as Google Cloud hands them out, around key pairs made for the test. */
final class TestKeys {

    static final String CLIENT_EMAIL = "shepherd@shepherd-test.iam.gserviceaccount.com";
    static final String CLIENT_ID = "100000000000000000001";
    static final String KEY_ID = "0123456789abcdef";
    static final String PROJECT = "shepherd-test";
    /** Made once: generating RSA keys is slow, and every test can share one. */
    static final KeyPair PAIR = generate(2048);

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestKeys() {
    }

    static KeyPair generate(int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(bits);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the JSON key's fields, for a test to change before {@link #bytes} */
    static ObjectNode key(KeyPair pair, String tokenUri) {
        ObjectNode key = JSON.createObjectNode();
        key.put("type", "service_account");
        key.put("project_id", PROJECT);
        key.put("private_key_id", KEY_ID);
        key.put("private_key", pem(pair));
        key.put("client_email", CLIENT_EMAIL);
        key.put("client_id", CLIENT_ID);
        key.put("auth_uri", "https://accounts.google.com/o/oauth2/auth");
        key.put("token_uri", tokenUri);
        return key;
    }

    static byte[] bytes(ObjectNode key) {
        return key.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String pem(KeyPair pair) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    }
}
