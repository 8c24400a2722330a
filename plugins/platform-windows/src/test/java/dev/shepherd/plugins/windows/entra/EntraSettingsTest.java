package dev.shepherd.plugins.windows.entra;

import dev.shepherd.api.config.PluginConfig;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Entra enrollment settings: read from the plugin's settings, malformed ones refused with the setting named. */
class EntraSettingsTest {

    private static EntraSettings read(Map<String, String> settings) {
        PluginConfig config = () -> settings;
        return EntraSettings.from(config, "Contoso");
    }

    @Test
    void offUnlessEnabledAndReadsTenantsAndAudiencesAsCommaSeparatedLists() {
        EntraSettings off = read(Map.of());
        assertThat(off.enabled()).isFalse();
        assertThat(off.authority()).isEqualTo(URI.create(EntraSettings.PUBLIC_CLOUD));
        assertThat(off.termsOfUse()).startsWith("Contoso manages this device");

        EntraSettings on = read(Map.of("entraEnrollment", "true", "entraTenants", " 72F988BF-86F1-41AF-91AB-2D7CD011DB47 ,",
                "entraAudiences", "https://mdm.contoso.example, 3c1f5d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f",
                "entraAuthority", "https://login.microsoftonline.us/"));
        assertThat(on.tenants()).as("tenant ids compared in lower case").containsExactly("72f988bf-86f1-41af-91ab-2d7cd011db47");
        assertThat(on.audiences()).isEqualTo(Set.of("https://mdm.contoso.example", "3c1f5d2e-8a4b-4c6d-9e0f-1a2b3c4d5e6f"));
        assertThat(on.authority()).isEqualTo(URI.create("https://login.microsoftonline.us"));
    }

    @Test
    void refusesTenantsThatAreNotGuidsAnEnabledSetupWithoutTenantsOrAudiencesAndPlainHttpOffLoopback() {
        assertThatThrownBy(() -> read(Map.of("entraTenants", "contoso.onmicrosoft.com")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entraTenants");
        assertThatThrownBy(() -> read(Map.of("entraEnrollment", "true", "entraAudiences", "https://mdm.contoso.example")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entraTenants");
        assertThatThrownBy(() -> read(Map.of("entraAuthority", "http://login.example")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entraAuthority");
        assertThat(read(Map.of("entraAuthority", "http://127.0.0.1:8080")).authority()).isEqualTo(URI.create("http://127.0.0.1:8080"));
    }
}
