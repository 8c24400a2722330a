package dev.shepherd.plugins.windows.enrollment;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Entra access token is read from the security token however the client encoded it. */
class EntraSecurityTokenTest {

    private static final String JWS = "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii0_In0.eyJ0aWQiOiI-Pz8-In0.c2lnbmF0dXJlPz8-Pw";

    @Test
    void standardBase64UrlSafeBase64WithoutPaddingLineBreaksAndTheBareTokenAllGiveTheSameJws() {
        byte[] bytes = JWS.getBytes(StandardCharsets.US_ASCII);
        String standard = Base64.getEncoder().encodeToString(bytes);
        assertThat(EnrollmentAuthentication.entraJws(standard)).isEqualTo(JWS);
        assertThat(EnrollmentAuthentication.entraJws(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes))).isEqualTo(JWS);
        assertThat(EnrollmentAuthentication.entraJws(Base64.getMimeEncoder(20, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(bytes))).isEqualTo(JWS);
        assertThat(EnrollmentAuthentication.entraJws(" " + JWS + "\n")).isEqualTo(JWS);
    }

    @Test
    void somethingThatIsNeitherBase64NorAJwsIsRefused() {
        assertThatThrownBy(() -> EnrollmentAuthentication.entraJws("not*base64!")).isInstanceOf(IllegalArgumentException.class);
    }
}
