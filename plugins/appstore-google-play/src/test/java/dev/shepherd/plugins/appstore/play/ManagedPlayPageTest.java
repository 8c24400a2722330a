package dev.shepherd.plugins.appstore.play;

import dev.shepherd.api.config.PluginConfig;
import dev.shepherd.api.console.ExternalOrigin;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The origins the managed Play page asks the console to admit, from the plugin's settings. */
class ManagedPlayPageTest {

    @Test
    void byDefaultGooglesScriptOriginAndThePlayIframesOriginOnly() {
        ManagedPlayPage page = new ManagedPlayPage(new PlayContext(Map::of));

        assertThat(page.externalOrigins()).containsExactlyInAnyOrder(ExternalOrigin.script("https://apis.google.com"),
                ExternalOrigin.frame("https://play.google.com"));
        assertThat(page.permission()).isEqualTo("app_manage");
        assertThat(page.module()).isEqualTo("managed-play.js");
    }

    @Test
    void theSettingsMovePageAndOriginsTogether() {
        PluginConfig config = () -> Map.of("iframeScriptUrl", "https://relay.example.com:8443/js/api.js",
                "iframeUrl", "https://play-relay.example.com/work/embedded/search");

        assertThat(new ManagedPlayPage(new PlayContext(config)).externalOrigins()).containsExactlyInAnyOrder(
                ExternalOrigin.script("https://relay.example.com:8443"), ExternalOrigin.frame("https://play-relay.example.com"));
    }

    @Test
    void urlsTheBrowserLoadsMustBeHttps() {
        for (Map<String, String> settings : List.of(Map.of("iframeScriptUrl", "http://127.0.0.1:9/js/api.js"),
                Map.of("iframeUrl", "https://play.example.com/search?token=fixed"), Map.of("iframeUrl", "https://user@play.example.com/"),
                Map.of("iframeUrl", "not a url"))) {
            assertThatThrownBy(() -> new PlayContext(() -> settings)).as(settings.toString())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(settings.keySet().iterator().next());
        }
    }
}
