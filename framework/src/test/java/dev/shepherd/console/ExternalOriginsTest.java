package dev.shepherd.console;

import dev.shepherd.api.console.ExternalOrigin;
import dev.shepherd.http.ContentSecurityPolicy;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What origins a console page may add to the console's Content-Security-Policy, and the policy they make. */
class ExternalOriginsTest {

    @Test
    void httpsOriginsAreAdmittedInLowerCaseWithoutTheDefaultPort() {
        assertThat(ExternalOrigins.admitted(ExternalOrigin.script("https://apis.google.com"))).isEqualTo(ExternalOrigin.script("https://apis.google.com"));
        assertThat(ExternalOrigins.admitted(ExternalOrigin.frame("HTTPS://Play.Google.com:443")).origin()).isEqualTo("https://play.google.com");
        assertThat(ExternalOrigins.admitted(ExternalOrigin.connect("https://127.0.0.1:8443")).origin()).isEqualTo("https://127.0.0.1:8443");
        assertThat(ExternalOrigins.admitted(ExternalOrigin.image("https://[::1]:9443")).origin()).isEqualTo("https://[::1]:9443");
    }

    @Test
    void anythingButAnHttpsSchemeHostAndPortIsRefusedSayingWhy() {
        Map<String, String> refused = Map.ofEntries(
                Map.entry("http://apis.google.com", "only https origins"),
                Map.entry("http://127.0.0.1:8080", "also for loopback"),
                Map.entry("https://*.google.com", "wildcards"),
                Map.entry("*", "wildcards"),
                Map.entry("https://apis.google.com/", "no path"),
                Map.entry("https://apis.google.com/js/api.js", "no path"),
                Map.entry("https://apis.google.com?x=1", "query"),
                Map.entry("https://apis.google.com#top", "fragment"),
                Map.entry("https://admin@apis.google.com", "user info"),
                Map.entry("https:apis.google.com", "no host"),
                Map.entry("'unsafe-inline'", "only https origins"),
                Map.entry("https://apis.google.com; script-src *", "is refused"),
                Map.entry("https://apis.google.com;script-src", "is refused"),
                Map.entry("https://apis google.com", "not a URL"),
                Map.entry("https://apis_google.com", "no host"),
                Map.entry("https://-apis.google.com", "is refused"),
                Map.entry("https://apis.google.com:0", "port"),
                Map.entry("data:", "is refused"),
                Map.entry("https://" + "a".repeat(300) + ".com", "longer than"));
        refused.forEach((origin, why) -> assertThatThrownBy(() -> ExternalOrigins.admitted(ExternalOrigin.script(origin)))
                .as(origin).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(why));
    }

    @Test
    void aPagesOriginsAreAdmittedAllOrNone() {
        assertThat(ExternalOrigins.admittedAll(Set.of(ExternalOrigin.frame("https://play.google.com"), ExternalOrigin.script("https://APIS.google.com"),
                ExternalOrigin.script("https://apis.google.com:443")))).as("without repeats, by kind")
                .containsExactly(ExternalOrigin.script("https://apis.google.com"), ExternalOrigin.frame("https://play.google.com"));
        assertThatThrownBy(() -> ExternalOrigins.admittedAll(Set.of(ExternalOrigin.script("https://apis.google.com"), ExternalOrigin.frame("http://play.google.com"))))
                .hasMessageContaining("the frame origin 'http://play.google.com' is refused");
        assertThatThrownBy(() -> ExternalOrigins.admittedAll(null)).isInstanceOf(IllegalArgumentException.class);
        Set<ExternalOrigin> many = IntStream.range(0, ExternalOrigins.MAX_PER_PAGE + 1)
                .mapToObj(index -> ExternalOrigin.image("https://img" + index + ".example.com")).collect(Collectors.toSet());
        assertThatThrownBy(() -> ExternalOrigins.admittedAll(many)).hasMessageContaining("more than " + ExternalOrigins.MAX_PER_PAGE);
    }

    @Test
    void theConsolesPolicyIsTheStrictOneWithEachOriginForItsKindOnly() {
        assertThat(ExternalOrigins.policy(List.of())).isEqualTo(ContentSecurityPolicy.STRICT);
        assertThat(ContentSecurityPolicy.STRICT).isEqualTo("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");

        String policy = ExternalOrigins.policy(List.of(ExternalOrigin.script("https://apis.google.com"),
                ExternalOrigin.frame("https://play.google.com"), ExternalOrigin.script("https://apis.google.com"),
                ExternalOrigin.image("https://img.example.com")));

        assertThat(policy).isEqualTo("default-src 'self'; script-src 'self' https://apis.google.com; style-src 'self'; "
                + "img-src 'self' data: https://img.example.com; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                + "form-action 'self'; frame-ancestors 'none'; frame-src 'self' https://play.google.com");
    }

    @Test
    void thePolicyCarriesNoSourceThatCouldEndADirective() {
        assertThatThrownBy(() -> ContentSecurityPolicy.withAdditions(Map.of("script-src", List.of("https://a.example; script-src *"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ContentSecurityPolicy.withAdditions(Map.of("default-src", List.of("https://a.example"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ContentSecurityPolicy.withAdditions(Map.of("frame-ancestors", List.of("https://a.example"))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
