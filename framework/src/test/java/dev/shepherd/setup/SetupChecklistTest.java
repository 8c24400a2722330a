package dev.shepherd.setup;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.SetupRequirement;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.plugin.PlatformPlugins.PlatformSetup;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.security.TlsMaterial;
import dev.shepherd.setup.SetupStep.State;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The setup checklist from the server's state, on the store the tests run on: what the server knows of its public
 * URL and certificate, the Windows discovery name as the DNS answers it (the resolver is the one outside boundary
 * replaced here), the first enrollment link and policy, and a dismissal allowed only once everything is done.
 */
class SetupChecklistTest {

    @TempDir
    Path home;
    @TempDir
    Path tls;
    private TestKernel test;
    private SetupChecklist.Reachability reach = new SetupChecklist.Reachability("https://mdm.example.com", true, List.of());
    private List<PlatformSetup> platformSetup = List.of();
    private boolean windowsRunning = true;
    private boolean identityRunning;
    private final Map<String, Set<String>> dns = new ConcurrentHashMap<>();
    private SetupChecklist checklist;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        checklist = new SetupChecklist(test.kernel().transactions(), test.kernel().audit(), test.kernel().json(), test.kernel().clock(),
                () -> reach, () -> platformSetup, platform -> platform.equals("windows") && windowsRunning,
                () -> identityRunning, host -> {
                    if (host.endsWith(".timeout.example")) {
                        throw new HostLookup.HostLookupException("looking up " + host + " took longer than 5 seconds");
                    }
                    return dns.getOrDefault(host, Set.of());
                });
    }

    @AfterEach
    void close() {
        test.close();
    }

    private SetupStep step(String id) {
        return checklist.check().steps().stream().filter(step -> step.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void theFreshServerListsEveryStepWithWhatIsMissing() {
        Setup setup = checklist.check();

        assertThat(setup.steps()).extracting(SetupStep::id).containsExactly("public-url", "windows-dns", "identity-provider",
                "enrollment-link", "first-policy");
        assertThat(setup.complete()).isFalse();
        assertThat(setup.dismissed()).isFalse();
        assertThat(step("identity-provider").state()).isEqualTo(State.TODO);
        assertThat(step("enrollment-link")).satisfies(link -> {
            assertThat(link.state()).isEqualTo(State.TODO);
            assertThat(link.link()).isEqualTo("#/enrollment");
        });
        assertThat(step("first-policy").state()).isEqualTo(State.TODO);
        assertThatThrownBy(() -> checklist.dismiss(ADMIN)).isInstanceOf(SetupIncompleteException.class)
                .hasMessageContaining("Identity provider").hasMessageContaining("First enrollment link");
    }

    @Test
    void whatRunningPlatformPluginsRequireIsAStepSharedByThePluginsThatNameItAndDoneOnlyWhenEveryOneIs() {
        SetupRequirement iosPush = SetupRequirement.met("apple-push", "Apple push certificate", "Topic com.apple.mgmt.External.a.",
                Optional.of("push-certificate"));
        SetupRequirement macPushMissing = SetupRequirement.unmet("apple-push", "Apple push certificate",
                "No push certificate has been uploaded to this plugin.", "Upload the APNs push certificate.", Optional.of("push-certificate"));
        SetupRequirement enterprise = SetupRequirement.unmet("android-enterprise", "Android Enterprise binding", "No Android Enterprise is bound.",
                "Bind one.", Optional.empty());
        platformSetup = List.of(
                new PlatformSetup("android", Platform.ANDROID, List.of(enterprise), Optional.empty()),
                new PlatformSetup("apple-ios", Platform.IOS, List.of(iosPush), Optional.empty()),
                new PlatformSetup("apple-macos", Platform.MACOS, List.of(macPushMissing), Optional.empty()),
                new PlatformSetup("chromeos", Platform.CHROMEOS, List.of(), Optional.of("timeout")));

        assertThat(checklist.check().steps()).extracting(SetupStep::id).containsExactly("public-url", "plugin-chromeos", "android-enterprise",
                "apple-push", "windows-dns", "identity-provider", "enrollment-link", "first-policy");
        assertThat(step("apple-push")).satisfies(push -> {
            assertThat(push.state()).as("the macOS plugin has none yet").isEqualTo(State.TODO);
            assertThat(push.platforms()).containsExactly("ios", "macos");
            assertThat(push.detail()).isEqualTo("No push certificate has been uploaded to this plugin.");
            assertThat(push.action()).isEqualTo("Upload the APNs push certificate.");
            assertThat(push.link()).as("the page of the plugin that lacks it").isEqualTo("#/plugins/apple-macos/push-certificate");
        });
        assertThat(step("android-enterprise").link()).as("no page named").isEqualTo("#/plugins");
        assertThat(step("plugin-chromeos")).satisfies(failed -> {
            assertThat(failed.state()).isEqualTo(State.ATTENTION);
            assertThat(failed.detail()).contains("timeout");
            assertThat(failed.platforms()).containsExactly("chromeos");
        });

        platformSetup = List.of(new PlatformSetup("apple-ios", Platform.IOS, List.of(iosPush), Optional.empty()),
                new PlatformSetup("apple-macos", Platform.MACOS, List.of(iosPush), Optional.empty()));
        assertThat(step("apple-push")).satisfies(push -> {
            assertThat(push.state()).isEqualTo(State.DONE);
            assertThat(push.detail()).isEqualTo("Topic com.apple.mgmt.External.a.");
            assertThat(push.link()).isEqualTo("#/plugins/apple-ios/push-certificate");
        });
    }

    @Test
    void thePublicUrlStepSaysWhatTheServerServes() {
        reach = new SetupChecklist.Reachability("https://mdm.example.com:8443", false, List.of());
        assertThat(step("public-url").state()).isEqualTo(State.TODO);
        assertThat(step("public-url").detail()).contains("No public URL is set");

        reach = new SetupChecklist.Reachability("http://mdm.example.com", true, List.of());
        assertThat(step("public-url").detail()).contains("plain http");

        List<X509Certificate> selfSigned = TlsMaterial.identity(Optional.empty(), "", tls, List.of("mdm.example.com")).chain();
        reach = new SetupChecklist.Reachability("https://mdm.example.com", true, selfSigned);
        assertThat(step("public-url")).satisfies(step -> {
            assertThat(step.state()).isEqualTo(State.TODO);
            assertThat(step.detail()).contains("serves a certificate for", "self-signed, so devices refuse it");
            assertThat(step.action()).contains("public certificate authority");
        });

        reach = new SetupChecklist.Reachability("https://mdm.example.com", true, List.of());
        assertThat(step("public-url").state()).as("TLS ends at a proxy the server cannot see into").isEqualTo(State.DONE);
    }

    @Test
    void theWindowsDiscoveryNameIsLookedUpAgainOnEveryCheck() {
        assertThat(step("windows-dns").state()).isEqualTo(State.TODO);
        assertThat(step("windows-dns").detail()).isEqualTo("No domain has been given to check.");
        assertThatThrownBy(() -> checklist.setWindowsDomain(ADMIN, "not a domain")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a domain name");

        dns.put("mdm.example.com", Set.of("203.0.113.10"));
        checklist.setWindowsDomain(ADMIN, " Example.COM. ");
        assertThat(step("windows-dns")).satisfies(step -> {
            assertThat(step.state()).isEqualTo(State.TODO);
            assertThat(step.detail()).isEqualTo("enterpriseenrollment.example.com does not resolve.");
            assertThat(step.action()).contains("enterpriseenrollment.example.com CNAME mdm.example.com");
        });

        dns.put("enterpriseenrollment.example.com", Set.of("198.51.100.7"));
        assertThat(step("windows-dns").detail()).contains("resolves to 198.51.100.7, but the server (mdm.example.com) is at 203.0.113.10");

        dns.put("enterpriseenrollment.example.com", Set.of("203.0.113.10"));
        assertThat(step("windows-dns")).satisfies(step -> {
            assertThat(step.state()).isEqualTo(State.DONE);
            assertThat(step.detail()).isEqualTo("enterpriseenrollment.example.com resolves to the server (203.0.113.10).");
        });

        checklist.setWindowsDomain(ADMIN, "timeout.example");
        assertThat(step("windows-dns").state()).isEqualTo(State.ATTENTION);

        windowsRunning = false;
        assertThat(step("windows-dns").state()).isEqualTo(State.NOT_USED);
    }

    @Test
    void theChecklistProgressesAsStepsAreDoneAndIsDismissedOnlyOnceComplete() {
        windowsRunning = false;
        identityRunning = true;
        assertThat(checklist.check().complete()).isFalse();

        test.kernel().enrollmentTokens().create(ADMIN, new NewEnrollmentToken("Front desk", Ownership.CORPORATE, Optional.of(Platform.IOS),
                Optional.empty(), Optional.empty(), OptionalInt.empty(), Instant.now().plusSeconds(3600), false));
        assertThat(step("enrollment-link").state()).isEqualTo(State.DONE);
        assertThat(checklist.check().complete()).isFalse();

        test.kernel().policies().create(ADMIN, "Baseline", "", List.of(new SettingInput("passcode", test.kernel().json().mapper().valueToTree(Map.of("minLength", 6)))));
        Setup complete = checklist.check();
        assertThat(complete.steps()).allSatisfy(step -> assertThat(step.open()).as(step.id()).isFalse());
        assertThat(complete.complete()).isTrue();
        assertThat(complete.dismissed()).isFalse();

        assertThat(checklist.dismiss(ADMIN).dismissed()).isTrue();
        assertThat(checklist.check().dismissed()).as("kept on the server").isTrue();
    }
}
