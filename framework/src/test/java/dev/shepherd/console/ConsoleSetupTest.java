package dev.shepherd.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.device.PreRegistration;
import dev.shepherd.audit.Actor;
import dev.shepherd.device.PluginDeviceRegistry;
import dev.shepherd.testing.ConsoleBrowser;
import dev.shepherd.testing.ConsoleStage;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Guided setup and honest status in a real Chromium against a real server: the setup checklist follows what is done,
 * the enrollment form warns about a platform that cannot enroll yet, the link a person opens is a page for people
 * (the device's own client still gets its artifact), and a fan-out counts pushed, never-enrolled and unreachable
 * devices apart. The iOS platform is a plugin file built here that, as the real Apple plugin does, names the push
 * certificate as its setup requirement (unmet until one is uploaded, then its topic and expiry) and wakes devices only
 * once it has one.
 */
class ConsoleSetupTest {

    @RegisterExtension
    static final ConsoleStage stage = ConsoleStage.withServer(TestServer::start);
    @TempDir
    static Path build;
    private static TestServer server;
    private static ConsoleBrowser console;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = stage.server();
        Files.copy(applePlatform().buildZip(build, "apple-ios.zip"), server.pluginsDir().resolve("apple-ios.zip"));
        await().atMost(Duration.ofSeconds(30)).until(() -> server.getAsAdmin("/api/v1/platforms").body().contains("\"ios\""));
    }

    @BeforeEach
    void openBrowser() {
        console = stage.console();
    }

    @Test
    void anAdminIsGuidedThroughSetupWarnedAboutPlatformsThatCannotEnrollAndToldWhatAFanOutReached() throws Exception {
        WebDriver browser = console.driver();
        browser.get(server.uri("/").toString());
        console.signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);

        // The checklist from the server's state: nothing done yet; what the running iOS plugin requires is a step, and
        // the Windows step is not used without a Windows plugin.
        console.open("#/", "Dashboard");
        console.await().until(ExpectedConditions.visibilityOfElementLocated(By.id("setup")));
        assertThat(stepStates()).containsEntry("public-url", "TODO").containsEntry("apple-push", "TODO").containsEntry("windows-dns", "NOT_USED")
                .containsEntry("identity-provider", "TODO").containsEntry("enrollment-link", "TODO").containsEntry("first-policy", "TODO")
                .doesNotContainKeys("android-enterprise", "google-admin");
        assertThat(browser.findElement(By.id("setup-progress")).getText()).isEqualTo("0 of 5 steps done (1 not used here: no plugin for them runs).");
        assertThat(browser.findElement(By.cssSelector("#setup-apple-push a")).getDomAttribute("href")).isEqualTo("#/plugins/apple-ios/push-certificate");
        assertThat(browser.findElement(By.id("setup-public-url")).getText()).contains("No public URL is set", "https.publicUrl");
        assertThat(browser.findElements(By.xpath("//button[.='Dismiss the checklist']"))).as("not while steps are open").isEmpty();
        assertThat(console.accessibilityViolations("moderate")).isEmpty();
        console.screenshot("setup-01-checklist");

        // A link for iPhones is warned about while they cannot enroll: no push certificate, no public URL.
        console.open("#/enrollment", "Enrollment");
        new Select(browser.findElement(By.name("platform"))).selectByValue("ios");
        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("platform-readiness"), "cannot enroll yet"));
        String warning = browser.findElement(By.id("platform-readiness")).getText();
        assertThat(warning).contains("iPhone and iPad devices cannot enroll yet", "Apple push certificate: No push certificate has been uploaded to this plugin.",
                "Public URL and trusted TLS certificate: No public URL is set");
        assertThat(browser.findElement(By.xpath("//div[@id='platform-readiness']//a[.='Open the Apple push certificate page']")).getDomAttribute("href"))
                .isEqualTo("#/plugins/apple-ios/push-certificate");
        assertThat(console.accessibilityViolations("moderate")).isEmpty();
        console.screenshot("setup-02-link-warned");
        new Select(browser.findElement(By.name("platform"))).selectByValue("windows");
        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("platform-readiness"), "No running plugin enrolls them"));

        // The push certificate is uploaded (through the plugin's admin endpoint, as its page does): that warning goes.
        HttpResponse<String> uploaded = server.sendAsAdmin("PUT", "/api/v1/plugins/apple-ios/push-certificate", "{\"topic\":\"com.apple.mgmt.External.lab\"}");
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        new Select(browser.findElement(By.name("platform"))).selectByValue("ios");
        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("platform-readiness"), "cannot enroll yet"));
        assertThat(browser.findElement(By.id("platform-readiness")).getText()).contains("Public URL").doesNotContain("Apple push certificate");

        browser.findElement(By.name("name")).sendKeys("Lobby iPads");
        browser.findElement(By.xpath("//button[.='Create link']")).click();
        String enrollmentUrl = console.await().until(ExpectedConditions.visibilityOfElementLocated(By.id("enrollment-link"))).getDomProperty("value");
        String secret = URI.create(enrollmentUrl).getPath().substring("/enroll/".length());

        // The checklist, checked again, has moved on.
        console.open("#/", "Dashboard");
        browser.findElement(By.xpath("//button[.='Check again']")).click();
        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("setup-progress"), "2 of 5 steps done"));
        assertThat(stepStates()).containsEntry("apple-push", "DONE").containsEntry("enrollment-link", "DONE").containsEntry("first-policy", "TODO");
        assertThat(browser.findElement(By.id("setup-apple-push")).getText()).contains("Topic com.apple.mgmt.External.lab");

        // The link a person opens is a page for people; the device's own client still gets the profile.
        browser.get(server.uri("/enroll/" + secret).toString());
        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("h1"), "Enroll your iPhone or iPad"));
        String page = browser.findElement(By.tagName("main")).getText();
        assertThat(page).contains("What will happen", "managed as a device your organisation owns (corporate)", "will not be supervised",
                "What your organisation can see and do", "It cannot see your messages", "Open Settings, tap Profile Downloaded", "valid until");
        assertThat(browser.findElement(By.cssSelector("[role=alert]")).getText())
                .as("the server's own setup is not finished: it says so rather than promise an enrollment")
                .contains("has not finished setting up the server for these devices (Public URL and trusted TLS certificate)");
        WebElement download = browser.findElement(By.id("continue"));
        assertThat(download.getText()).isEqualTo("Download the profile");
        assertThat(download.getDomAttribute("href")).isEqualTo("/enroll/" + secret + "?download=1");
        assertThat(console.accessibilityViolations("moderate")).isEmpty();
        console.screenshot("setup-03-link-page");
        HttpResponse<String> artifact = server.get("/enroll/" + secret);
        assertThat(artifact.headers().firstValue("Content-Type")).hasValue("application/x-apple-aspen-config");
        HttpResponse<String> downloaded = server.send(HttpRequest.newBuilder(server.uri("/enroll/" + secret + "?download=1"))
                .header("Accept", "text/html,*/*").build());
        assertThat(downloaded.headers().firstValue("Content-Type")).hasValue("application/x-apple-aspen-config");
        assertThat(downloaded.body()).isEqualTo("lab profile");

        // A fan-out to one enrolled iPad and two that never enrolled: one pushed, two waiting for their enrollment.
        DeviceId enrolled = server.server().kernel().devices().enroll(Actor.plugin("apple-ios"), new EnrollmentClaim(Optional.of(secret),
                Platform.IOS, EnrollmentMethod.LINK, Map.of("udid", "LOBBY-1"), "LOBBY-1", "iPad13,18", "17.5", "Lobby iPad")).device().id();
        List<DeviceId> members = new ArrayList<>(new PluginDeviceRegistry("apple-ios", server.server().kernel().devices(),
                server.server().kernel().enrollmentTokens(), server.server().kernel().recoveryKeys()).preRegister(List.of(
                new PreRegistration(Platform.IOS, "ADE-1", "iPad", "", Map.of("serial", "ADE-1"), Set.of()),
                new PreRegistration(Platform.IOS, "ADE-2", "iPad", "", Map.of("serial", "ADE-2"), Set.of()))));
        members.add(enrolled);
        String group = server.server().kernel().groups().create(Actor.admin("seed"), "Lobby", "", Optional.empty()).id();
        server.server().kernel().groups().addMembers(Actor.admin("seed"), group, members);
        browser.get(server.uri("/").toString());
        console.open("#/commands", "Commands");
        new Select(browser.findElement(By.name("type"))).selectByValue("LOCK");
        new Select(browser.findElement(By.name("group"))).selectByValue(group);
        browser.findElement(By.xpath("//button[.='Send command']")).click();
        console.await().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dialog[open]")))
                .findElement(By.xpath(".//button[.='Send command']")).click();
        // The figures are asserted as the wait read them: the progress is redrawn while it is followed, so a second
        // reading could meet elements already replaced.
        Map<String, String> reached = console.await(Duration.ofSeconds(20)).ignoring(StaleElementReferenceException.class).until(driver -> {
            Map<String, String> figures = figures(driver);
            boolean done = "1".equals(figures.get("Pushed")) && "2".equals(figures.get("Waiting for enrollment (never enrolled)"));
            return done ? figures : null;
        });
        assertThat(reached).containsEntry("Devices", "3").containsEntry("Unreachable (no push channel; gets it at its next check-in)", "0");
        JsonNode batch = json.readTree(server.getAsAdmin("/api/v1/command-batches").body()).get(0);
        assertThat(batch.path("pushed").asInt()).isEqualTo(1);
        assertThat(batch.path("awaitingEnrollment").asInt()).isEqualTo(2);
        assertThat(batch.path("unreachable").asInt()).isZero();
        console.screenshot("setup-04-fan-out-counts");

        // A device that never enrolled says so on its page, and a command sent to it is queued for its enrollment.
        console.open("#/devices/" + members.get(0).value());
        assertThat(console.await().until(ExpectedConditions.visibilityOfElementLocated(By.id("awaiting-enrollment"))).getText())
                .isEqualTo("This device has not enrolled yet: a command sent now waits for its enrollment and reaches it then.");
        browser.findElement(By.xpath("//div[@aria-label='Remote actions']/button[.='Refresh inventory']")).click();
        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(".feedback"),
                "Refresh inventory queued. The device has not enrolled yet: it gets the command once it enrolls."));

        // The first policy completes another step; the checklist cannot be dismissed while steps are open.
        HttpResponse<String> policy = server.sendAsAdmin("POST", "/api/v1/policies",
                "{\"name\":\"Baseline\",\"settings\":[{\"type\":\"passcode\",\"value\":{\"minLength\":6}}]}");
        assertThat(policy.statusCode()).as(policy.body()).isEqualTo(201);
        console.open("#/", "Dashboard");
        console.await().until(ExpectedConditions.textToBePresentInElementLocated(By.id("setup-progress"), "3 of 5 steps done"));
        assertThat(server.sendAsAdmin("POST", "/api/v1/setup/dismiss", "").statusCode()).isEqualTo(409);
        assertThat(console.browserErrors()).isEmpty();
    }

    /** Each checklist step's state, as the page marks it. */
    private Map<String, String> stepStates() {
        // Read again if the list is redrawn under the reading (a check that answers meanwhile).
        return console.await().ignoring(StaleElementReferenceException.class).until(driver -> {
            Map<String, String> states = new LinkedHashMap<>();
            for (WebElement step : driver.findElements(By.cssSelector("#setup li[data-state]"))) {
                states.put(step.getDomAttribute("id").substring("setup-".length()), step.getDomAttribute("data-state"));
            }
            return states.isEmpty() ? null : states;
        });
    }

    private static Map<String, String> figures(WebDriver driver) {
        Map<String, String> figures = new LinkedHashMap<>();
        List<WebElement> terms = driver.findElements(By.cssSelector("#batch-figures dt"));
        List<WebElement> values = driver.findElements(By.cssSelector("#batch-figures dd"));
        for (int index = 0; index < terms.size() && index < values.size(); index++) {
            figures.put(terms.get(index).getText(), values.get(index).getText());
        }
        return figures;
    }

    /**
     * {@code apple-ios}, as far as setup and fan-outs see it: the iOS platform (its enrollment artifact a stand-in
     * profile; a wake-up is taken only once a push certificate is there; its setup requirement the push certificate,
     * as the real plugin's) and a push-certificate admin endpoint that stores one.
     */
    private static TestPluginBuilder applePlatform() {
        return TestPluginBuilder.plugin("apple-ios", "1.0.0").source("""
                package lab.apple;

                import dev.shepherd.api.config.PluginStorage;
                import dev.shepherd.api.device.Device;
                import dev.shepherd.api.device.Platform;
                import dev.shepherd.api.platform.EnrollmentArtifact;
                import dev.shepherd.api.platform.EnrollmentInvitation;
                import dev.shepherd.api.platform.PlatformSupport;
                import dev.shepherd.api.platform.SetupRequirement;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                import java.nio.charset.StandardCharsets;
                import java.util.List;
                import java.util.Optional;

                @Extension
                public class LabIos implements PlatformSupport {
                    private final PluginStorage storage;

                    @Inject
                    public LabIos(PluginStorage storage) {
                        this.storage = storage;
                    }

                    public Platform platform() { return Platform.IOS; }

                    public boolean wake(Device device) { return storage.get("push-certificate").isPresent(); }

                    public List<SetupRequirement> setupRequirements() {
                        Optional<String> page = Optional.of("push-certificate");
                        return List.of(storage.get("push-certificate")
                                .map(topic -> SetupRequirement.met("apple-push", "Apple push certificate",
                                        "Topic " + new String(topic, StandardCharsets.UTF_8) + ", valid until 2027-06-01T00:00:00Z.", page))
                                .orElseGet(() -> SetupRequirement.unmet("apple-push", "Apple push certificate",
                                        "No push certificate has been uploaded to this plugin.", "Upload the APNs push certificate.", page)));
                    }

                    public Optional<EnrollmentArtifact> enrollmentArtifact(EnrollmentInvitation invitation) {
                        return Optional.of(new EnrollmentArtifact("enroll.mobileconfig", "application/x-apple-aspen-config",
                                "lab profile".getBytes(StandardCharsets.UTF_8), Optional.empty()));
                    }
                }
                """).source("""
                package lab.apple;

                import dev.shepherd.api.config.PluginStorage;
                import dev.shepherd.api.http.AdminEndpoint;
                import dev.shepherd.api.http.AdminRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import jakarta.inject.Inject;
                import org.pf4j.Extension;

                import java.nio.charset.StandardCharsets;

                @Extension
                public class PushCertificate implements AdminEndpoint {
                    private final PluginStorage storage;

                    @Inject
                    public PushCertificate(PluginStorage storage) {
                        this.storage = storage;
                    }

                    public String path() { return "/push-certificate"; }
                    public String permission() { return "plugin_manage"; }

                    public DeviceResponse handle(AdminRequest request) {
                        if (request.method().equals("PUT")) {
                            String topic = new String(request.body(), StandardCharsets.UTF_8).replaceAll(".*\\"topic\\":\\"([^\\"]+)\\".*", "$1");
                            storage.put("push-certificate", topic.getBytes(StandardCharsets.UTF_8));
                        }
                        return storage.get("push-certificate")
                                .map(topic -> DeviceResponse.of(200, "application/json", ("{\\"topic\\":\\"" + new String(topic, StandardCharsets.UTF_8)
                                        + "\\",\\"notAfter\\":\\"2027-06-01T00:00:00Z\\",\\"daysLeft\\":178}").getBytes(StandardCharsets.UTF_8)))
                                .orElseGet(() -> DeviceResponse.problem(404, "Not found", "No push certificate has been uploaded."));
                    }
                }
                """);
    }
}
