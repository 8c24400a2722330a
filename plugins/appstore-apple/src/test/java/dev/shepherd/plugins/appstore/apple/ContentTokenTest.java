package dev.shepherd.plugins.appstore.apple;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reading the content token file as Apple Business and School Manager issue it. */
class ContentTokenTest {

    /** Apple's documented example token (Managing Apps and Books Through Web Services). */
    private static final String APPLE_EXAMPLE = "ewogICAgInRva2VuIjogIlZGZHdRbVZWTVZSUldGSktVbGRTTlZkc1pHcGpNR3hIVTI1Q2FrMXRhRzlhUjJ3eldqRkdkVk50ZUd0VFJrWjZVMVZhVDJGSFRuUlNiVGxOVVRCS1ExcEdhRTlOUjBaWVRrUXdQUT09IiwKICAgICJleHBEYXRlIjogIjIwMzAtMTEtMDhUMjI6MzM6MjIrMDAwMCIsCiAgICAib3JnTmFtZSI6ICJPUkcxMjM0NSIKfQ==";

    @Test
    void readsApplesExampleToken() {
        ContentToken token = ContentToken.parse(APPLE_EXAMPLE + "\n");

        assertThat(token.organisation()).isEqualTo("ORG12345");
        assertThat(token.expiresAt()).isEqualTo(Instant.parse("2030-11-08T22:33:22Z"));
        assertThat(token.value()).isEqualTo(APPLE_EXAMPLE);
    }

    @Test
    void acceptsAnOffsetWithAColonToo() {
        ContentToken token = ContentToken.parse(encode("{\"token\":\"abc\",\"expDate\":\"2031-01-02T03:04:05+01:00\",\"orgName\":\"Org\"}"));

        assertThat(token.expiresAt()).isEqualTo(Instant.parse("2031-01-02T02:04:05Z"));
    }

    @Test
    void neverShowsTheTokenWhenPrinted() {
        assertThat(ContentToken.parse(APPLE_EXAMPLE).toString()).contains("ORG12345").doesNotContain(APPLE_EXAMPLE).doesNotContain("VFdw");
    }

    @Test
    void refusesWhatIsNotAContentTokenSayingWhy() {
        assertThatThrownBy(() -> ContentToken.parse("  ")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ContentToken.parse("-----BEGIN CERTIFICATE-----")).hasMessageContaining("not Base64");
        assertThatThrownBy(() -> ContentToken.parse(encode("not json"))).hasMessageContaining("Apple's JSON");
        assertThatThrownBy(() -> ContentToken.parse(encode("[1,2]"))).hasMessageContaining("Apple's JSON");
        assertThatThrownBy(() -> ContentToken.parse(encode("{\"token\":\"abc\",\"orgName\":\"Org\"}"))).hasMessageContaining("no expDate");
        assertThatThrownBy(() -> ContentToken.parse(encode("{\"token\":\"abc\",\"expDate\":\"soon\",\"orgName\":\"Org\"}")))
                .hasMessageContaining("expDate is not an ISO-8601");
        assertThatThrownBy(() -> ContentToken.parse("A".repeat(ContentToken.MAX_LENGTH + 4))).hasMessageContaining("longer than");
        assertThatThrownBy(() -> ContentToken.parse(encode("[".repeat(100)))).hasMessageContaining("Apple's JSON");
    }

    private static String encode(String json) {
        return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
