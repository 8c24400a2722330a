package dev.shepherd.enrollment;

import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.identity.ProvidedUser;
import dev.shepherd.audit.Actor;
import dev.shepherd.directory.DirectorySignIn;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.directory.SignInCodes;
import dev.shepherd.plugin.PluginState;
import dev.shepherd.security.Secrets;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.shepherd.testing.TestPluginBuilder.answeringEndpoint;
import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The enrollment sign-in page's "Sign in with …", through a single sign-on provider plugin loaded from its file: each
 * of the page's three clients (Windows federated enrollment, an enrollment link that asks for the sign-in, Apple's
 * account-driven enrollment) gets what a right password gets it, from the context the flow kept server-side; a state
 * or flow cookie that does not match, a deactivated person, a refusing provider and an Apple account mismatch are
 * refused, back to the enrollment page with an error code, and audited. A platform plugin's own page (the ADE web
 * view) gets a one-time code back at its device endpoint path, and at no other address.
 */
class EnrollmentSingleSignOnTest {

    private static final String APP = "ms-app://windows.immersivecontrolpanel";
    private static final Pattern WRESULT = Pattern.compile("name=\"wresult\" value=\"([^\"]+)\"");

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(home);
        Files.copy(corpSignIn().source(answeringEndpoint("corp.sso", "corp device endpoint")).buildZip(build, "corp-sso.zip"), server.pluginsDir().resolve("corp-sso.zip"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.server().plugins().plugin("corp-sso"))
                .hasValueSatisfying(info -> assertThat(info.state()).isEqualTo(PluginState.STARTED)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void thePageOffersEachProviderBesideThePasswordFormCarryingItsContext() {
        HttpResponse<String> page = server.get("/enroll/sign-in?appru=" + encode(APP) + "&login_hint=wendy%40corp.example");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("name=\"password\"", "<ul class=\"sso-providers\"><li><a class=\"button\" href=\"/api/v1/auth/sso/corp?for=enrollment&amp;appru="
                + encode(APP) + "\">Sign in with Corp</a></li></ul>");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp).contains("form-action 'self' ms-app:;"));

        HttpResponse<String> startedElsewhere = server.get("/api/v1/auth/sso/corp?for=enrollment&appru=" + encode("https://attacker.example/"));
        assertThat(startedElsewhere.statusCode()).as("only the page's own clients get a sign-in").isEqualTo(400);
        assertThat(startedElsewhere.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void windowsFederatedEnrollmentGetsAOneTimeCodePostedToItsAppAddress() {
        Flow flow = begin("appru=" + encode(APP));
        HttpResponse<String> answer = callback(flow.cookie(), flow.state(), "user:wendy");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                .contains("form-action 'self' ms-app:;", "default-src 'none'"));
        assertThat(answer.body()).contains("<form id=\"return\" method=\"post\" action=\"" + APP + "\">");
        Matcher code = WRESULT.matcher(answer.body());
        assertThat(code.find()).isTrue();
        DirectoryUser wendy = kernel().directory().find("corp", "wendy").orElseThrow();
        assertThat(new SignInCodes(kernel().transactions(), kernel().clock()).check(code.group(1), DirectorySignIn.ENROLLMENT_CODE))
                .hasValue(wendy.id());
        assertThat(server.getAsAdmin("/api/v1/audit?action=user.enrollment_sign_in&targetId=" + wendy.id()).body()).contains("corp");
    }

    @Test
    void anEnrollmentLinkThatAsksForTheSignInSendsThePersonToTheirOwnOneTimeLink() {
        IssuedEnrollmentToken link = signInLink(Optional.of(Platform.ANDROID));
        Flow flow = begin("link=" + link.secret() + "&platform=android");
        HttpResponse<String> answer = callback(flow.cookie(), flow.state(), "user:lena");

        assertThat(answer.statusCode()).isEqualTo(303);
        String location = answer.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith("/enroll/").endsWith("?platform=android");
        String own = location.substring("/enroll/".length(), location.indexOf('?'));
        assertThat(kernel().enrollmentTokens().check(own)).hasValueSatisfying(grant -> assertThat(grant.userId())
                .hasValue(kernel().directory().find("corp", "lena").orElseThrow().id()));
    }

    @Test
    void applesAccountDrivenEnrollmentGetsThePersonsTokenOnlyForTheAccountTheDeviceNamed() {
        IssuedEnrollmentToken link = signInLink(Optional.of(Platform.IOS));
        String context = "client=apple&link=" + link.secret() + "&user-identifier=" + encode("erin@corp.example");

        Flow someoneElse = begin(context);
        HttpResponse<String> mismatch = callback(someoneElse.cookie(), someoneElse.state(), "user:frank");
        assertThat(mismatch.statusCode()).isEqualTo(403);
        assertThat(mismatch.body()).contains("not erin@corp.example");
        assertThat(mismatch.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp)
                .contains("form-action 'self' apple-remotemanagement-user-login:;"));

        Flow erin = begin(context);
        HttpResponse<String> answer = callback(erin.cookie(), erin.state(), "user:erin");
        assertThat(answer.statusCode()).isEqualTo(308);
        String location = answer.headers().firstValue("Location").orElseThrow();
        assertThat(location).startsWith(EnrollmentSignInPage.APPLE_CALLBACK + "?access-token=");
        String token = URLDecoder.decode(location.substring(location.indexOf('=') + 1), StandardCharsets.UTF_8);
        assertThat(kernel().enrollmentTokens().check(token)).hasValueSatisfying(grant -> assertThat(grant.userId())
                .hasValue(kernel().directory().find("corp", "erin").orElseThrow().id()));
        // The token names whose account it may enroll, as part of the secret: changed, it is no token at all.
        assertThat(token).endsWith("." + Secrets.sha256("erin@corp.example"));
        assertThat(kernel().enrollmentTokens().check(token.substring(0, token.lastIndexOf('.') + 1) + Secrets.sha256("frank@corp.example")))
                .isEmpty();
    }

    @Test
    void aPlatformPluginsPageGetsAOneTimeCodeWithItsStateAtItsOwnDevicePathAndNowhereElse() {
        String back = "/mdm/corp-sso/web-view/signed-in";
        String state = "the-plugins-state-0123456789";
        String context = "return=" + encode(back) + "&state=" + state;

        HttpResponse<String> page = server.get("/enroll/sign-in?" + context);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("name=\"password\"", "name=\"return\" value=\"" + back + "\"", "name=\"state\" value=\"" + state + "\"",
                "/api/v1/auth/sso/corp?for=enrollment&amp;" + context.replace("&", "&amp;"));
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp).contains("form-action 'self';"));

        for (String foreign : List.of("https://attacker.example/mdm/corp-sso/x", "//attacker.example/mdm/corp-sso/x", "/api/v1/devices",
                "/mdm/no-such-plugin/x", "/mdm/corp-sso/../../api/v1/devices", "/mdm/corp-sso", "mdm/corp-sso/x")) {
            HttpResponse<String> refused = server.get("/enroll/sign-in?return=" + encode(foreign) + "&state=" + state);
            assertThat(refused.statusCode()).as(foreign).isEqualTo(400);
            assertThat(refused.body()).as(foreign).doesNotContain("name=\"password\"").contains("a return address that is not one of this server");
            HttpResponse<String> posted = server.send(HttpRequest.newBuilder(server.uri("/enroll/sign-in"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("return=" + encode(foreign) + "&state=" + state + "&username=wendy&password=x")).build());
            assertThat(posted.statusCode()).as(foreign).isEqualTo(400);
            assertThat(posted.headers().firstValue("Location")).isEmpty();
        }
        assertThat(server.get("/enroll/sign-in?return=" + encode(back) + "&state=short").statusCode()).as("a state too short to be secret")
                .isEqualTo(400);
        assertThat(server.get("/api/v1/auth/sso/corp?for=enrollment&return=" + encode("https://attacker.example/") + "&state=" + state)
                .statusCode()).as("single sign-on is started only for a return address the page accepts").isEqualTo(400);

        HttpResponse<String> wrongPassword = server.send(HttpRequest.newBuilder(server.uri("/enroll/sign-in"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(context + "&username=nobody&password=guess")).build());
        assertThat(wrongPassword.statusCode()).isEqualTo(401);
        assertThat(wrongPassword.headers().firstValue("Location")).isEmpty();

        Flow flow = begin(context);
        HttpResponse<String> answer = callback(flow.cookie(), flow.state(), "user:yara");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(303);
        URI location = URI.create(answer.headers().firstValue("Location").orElseThrow());
        assertThat(location.getHost()).as("same server").isNull();
        assertThat(location.getPath()).isEqualTo(back);
        assertThat(location.getRawQuery()).startsWith("code=").endsWith("&state=" + state);
        String code = URLDecoder.decode(location.getRawQuery().substring("code=".length(), location.getRawQuery().indexOf('&')), StandardCharsets.UTF_8);
        String yara = kernel().directory().find("corp", "yara").orElseThrow().id();
        assertThat(new SignInCodes(kernel().transactions(), kernel().clock()).check(code, DirectorySignIn.ENROLLMENT_CODE)).hasValue(yara);
    }

    @Test
    void aStateThatDoesNotMatchIsRefusedBackToTheEnrollmentPageAndTheFlowIsSpent() {
        Flow flow = begin("appru=" + encode(APP));
        HttpResponse<String> forged = callback(flow.cookie(), "not-the-state", "user:mallory");

        assertThat(forged.statusCode()).isEqualTo(303);
        assertThat(forged.headers().firstValue("Location")).hasValue("/enroll/sign-in?appru=" + encode(APP) + "&sso-error=sso-expired");
        assertThat(kernel().directory().find("corp", "mallory")).as("nobody was signed in").isEmpty();
        assertThat(callback(flow.cookie(), flow.state(), "user:mallory").headers().firstValue("Location"))
                .as("a flow is used once").hasValue("/#sso-error=sso-expired");
        assertThat(server.getAsAdmin("/api/v1/audit?action=auth.sso_refused").body()).contains("not the one this sign-in sent");

        HttpResponse<String> page = server.get(forged.headers().firstValue("Location").orElseThrow());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("role=\"alert\"", "took too long, or was already used", "Sign in with Corp");
    }

    @Test
    void aFlowCookieOfAnotherBrowserIsRefused() {
        Flow flow = begin("appru=" + encode(APP));
        HttpResponse<String> stolen = callback("shepherd_sso=someone-elses", flow.state(), "user:mallory");

        assertThat(stolen.statusCode()).isEqualTo(303);
        assertThat(stolen.headers().firstValue("Location")).hasValue("/#sso-error=sso-expired");
        assertThat(stolen.body()).doesNotContain("wresult");
        assertThat(kernel().directory().find("corp", "mallory")).isEmpty();
    }

    @Test
    void aPersonTheDirectoryDeactivatedIsRefusedAndNoLinkUseIsSpent() {
        kernel().userDirectory().putUser("corp-sso", "corp", new ProvidedUser("e-dave", "dave", "Dave", "dave@corp.example", false));
        IssuedEnrollmentToken link = signInLink(Optional.empty());
        Flow flow = begin("link=" + link.secret());
        HttpResponse<String> refused = callback(flow.cookie(), flow.state(), "user:dave");

        assertThat(refused.statusCode()).isEqualTo(303);
        assertThat(refused.headers().firstValue("Location")).hasValue("/enroll/sign-in?link=" + link.secret() + "&sso-error=sso-account");
        assertThat(kernel().enrollmentTokens().checkSignInLink(link.secret())).hasValueSatisfying(token -> assertThat(token.uses()).isZero());
        HttpResponse<String> page = server.get(refused.headers().firstValue("Location").orElseThrow());
        assertThat(page.body()).contains("Your account cannot enroll a device here", "name=\"link\" value=\"" + link.secret() + "\"");
    }

    @Test
    void aSignInTheProviderRefusesGoesBackToThePageWithItsCode() {
        Flow flow = begin("appru=" + encode(APP));
        HttpResponse<String> refused = callback(flow.cookie(), flow.state(), "denied");

        assertThat(refused.headers().firstValue("Location")).hasValue("/enroll/sign-in?appru=" + encode(APP) + "&sso-error=sso-refused");
        assertThat(server.getAsAdmin("/api/v1/audit?action=auth.sso_refused").body()).contains("the person declined");
    }

    private record Flow(String cookie, String state) {
    }

    /** Starts the sign-in as the page's link does, as the browser follows it. */
    private static Flow begin(String pageContext) {
        HttpResponse<String> started = server.get("/api/v1/auth/sso/corp?for=enrollment&" + pageContext);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(302);
        String cookie = started.headers().allValues("Set-Cookie").stream().filter(value -> value.startsWith("shepherd_sso="))
                .findFirst().orElseThrow().split(";")[0];
        String query = URI.create(started.headers().firstValue("Location").orElseThrow()).getRawQuery();
        assertThat(query).as("the identity provider gets the state only, never the enrollment's context").doesNotContain("appru", "link");
        String state = query.substring(query.indexOf("state=") + "state=".length()).split("&")[0];
        return new Flow(cookie, state);
    }

    /** The identity provider sending the browser back. */
    private static HttpResponse<String> callback(String cookie, String state, String code) {
        return server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/sso-callback?state=" + encode(state) + "&code=" + encode(code)))
                .header("Cookie", cookie).GET().build());
    }

    private static IssuedEnrollmentToken signInLink(Optional<Platform> platform) {
        return kernel().enrollmentTokens().create(Actor.SYSTEM, new NewEnrollmentToken("Staff devices", Ownership.PERSONAL, platform,
                Optional.empty(), Optional.empty(), OptionalInt.of(5), Instant.now().plus(Duration.ofDays(1)), true));
    }

    private static Kernel kernel() {
        return server.server().kernel();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /**
     * A single sign-on provider standing in for an identity provider: its "authorization code" names the person
     * ({@code user:<name>}), {@code denied} is the person declining; it checks the pending secret it gave is the one
     * it gets back for the same state.
     */
    private static TestPluginBuilder corpSignIn() {
        return plugin("corp-sso", "1.0.0").source("""
                package corp.sso;

                import dev.shepherd.api.http.RequestRefusedException;
                import dev.shepherd.api.identity.Identity;
                import dev.shepherd.api.identity.SignInProvider;
                import dev.shepherd.api.identity.SignInRequest;
                import dev.shepherd.api.identity.SignInStart;
                import org.pf4j.Extension;

                import java.net.URI;
                import java.net.URLEncoder;
                import java.nio.charset.StandardCharsets;
                import java.util.Map;
                import java.util.Set;

                @Extension
                public class CorpSignIn implements SignInProvider {
                    public String id() { return "corp"; }

                    public String displayName() { return "Sign in with Corp"; }

                    public SignInStart begin(SignInRequest request) {
                        return new SignInStart(URI.create("https://idp.corp.example/authorize?client_id=shepherd&redirect_uri="
                                + URLEncoder.encode(request.redirectUri().toString(), StandardCharsets.UTF_8) + "&state=" + request.state()),
                                "pending-for-" + request.state());
                    }

                    public Identity complete(SignInRequest request, Map<String, String> parameters, String pending) {
                        if (!pending.equals("pending-for-" + request.state())) {
                            throw new IllegalStateException("the kernel gave back another sign-in's pending secret");
                        }
                        String code = parameters.getOrDefault("code", "");
                        if (!code.startsWith("user:")) {
                            throw new RequestRefusedException(401, "the person declined to sign in");
                        }
                        String name = code.substring("user:".length());
                        return new Identity("corp", name, name, name + "@corp.example", Set.of());
                    }
                }
                """);
    }
}
