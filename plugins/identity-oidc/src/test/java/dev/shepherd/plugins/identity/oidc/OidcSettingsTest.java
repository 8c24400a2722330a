package dev.shepherd.plugins.identity.oidc;

import dev.shepherd.api.config.PluginConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OidcSettingsTest {

    @Test
    void anIssuerAndAClientIdAreEnoughTheRestHasDefaults() {
        OidcSettings settings = OidcSettings.from(config(Map.of("issuer", "https://login.example.com/tenant/v2.0", "clientId", "shepherd")));

        assertThat(settings.issuer()).contains(URI.create("https://login.example.com/tenant/v2.0"));
        assertThat(settings.providerId()).isEqualTo("oidc");
        assertThat(settings.scopes()).isEqualTo(Set.of("openid", "profile", "email"));
        assertThat(settings.groupsClaim()).isEqualTo("groups");
        assertThat(settings.usernameClaim()).isEqualTo("preferred_username");
        assertThat(settings.clientAuthentication()).isEqualTo(OidcSettings.ClientAuthentication.CLIENT_SECRET_BASIC);
        assertThat(settings.userInfo()).isFalse();
        assertThat(settings.discoveryRefresh()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void withoutAnIssuerThePluginIsNotSetUp() {
        assertThat(OidcSettings.from(config(Map.of())).issuer()).isEqualTo(Optional.empty());
    }

    @Test
    void wrongSettingsAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of("issuer", "http://login.example.com", "clientId", "x"))))
                .hasMessageContaining("issuer must be an https URL");
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of("issuer", "https://login.example.com"))))
                .hasMessageContaining("clientId");
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of("scopes", "profile email"))))
                .hasMessageContaining("openid");
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of("usernameClaim", "sub"))))
                .hasMessageContaining("usernameClaim");
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of("providerId", "local"))))
                .hasMessageContaining("providerId");
        assertThatThrownBy(() -> OidcSettings.from(config(Map.of("clientAuthentication", "private_key_jwt"))))
                .hasMessageContaining("clientAuthentication");
    }

    @Test
    void thePendingSecretCarriesTheVerifierAndTheNonceAndRefusesAnythingElse() {
        OidcSignIn.Pending pending = new OidcSignIn.Pending("verifier-abc", "nonce-xyz");

        assertThat(OidcSignIn.Pending.decode(pending.encoded())).isEqualTo(pending);
        assertThatThrownBy(() -> OidcSignIn.Pending.decode("only-one-part")).hasMessageContaining("malformed");
    }

    private static PluginConfig config(Map<String, String> values) {
        return () -> values;
    }
}
