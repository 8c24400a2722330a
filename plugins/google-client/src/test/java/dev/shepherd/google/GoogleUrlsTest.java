package dev.shepherd.google;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GoogleUrlsTest {

    @Test
    void anHttpsSettingLosesItsTrailingSlashesSoPathsCanBeAppended() {
        assertThat(GoogleUrls.setting("apiUrl", " https://androidmanagement.googleapis.com// "))
                .isEqualTo(URI.create("https://androidmanagement.googleapis.com"));
        assertThat(GoogleUrls.setting("tokenUrl", "https://oauth2.googleapis.com/token")).hasPath("/token");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080", "http://127.0.0.2", "http://localhost:9000/relay", "http://[::1]:1234"})
    void plainHttpIsAcceptedToLoopbackAddressesOnly(String url) {
        assertThat(GoogleUrls.setting("directoryUrl", url)).isEqualTo(URI.create(url));
        assertThat(GoogleUrls.mayCarryCredentials(URI.create(url))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://admin.googleapis.com", "http://10.0.0.1", "http://localhost.example.com", "ftp://127.0.0.1"})
    void anythingElseThatIsNotHttpsIsRefusedNamingTheSetting(String url) {
        assertThatThrownBy(() -> GoogleUrls.setting("policyUrl", url)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plugin setting 'policyUrl' must be an https URL (http only to a loopback address): " + url);
        assertThat(GoogleUrls.mayCarryCredentials(URI.create(url))).isFalse();
    }

    @Test
    void userInfoAndMissingHostsAreRefused() {
        assertThatThrownBy(() -> GoogleUrls.setting("apiUrl", "https://user:secret@googleapis.com"))
                .hasMessage("plugin setting 'apiUrl' must be a URL with a host and no user info: https://user:secret@googleapis.com");
        assertThatThrownBy(() -> GoogleUrls.setting("apiUrl", "googleapis.com"))
                .hasMessage("plugin setting 'apiUrl' must be a URL with a host and no user info: googleapis.com");
        assertThat(GoogleUrls.mayCarryCredentials(URI.create("https://user@googleapis.com"))).isFalse();
    }

    @Test
    void textThatIsNoUrlIsRefused() {
        assertThatThrownBy(() -> GoogleUrls.setting("apiUrl", "https://google apis.com"))
                .hasMessage("plugin setting 'apiUrl' is not a URL: https://google apis.com");
    }
}
