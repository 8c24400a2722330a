package dev.shepherd.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.ShepherdApi;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The plugin host through a real server: real plugin files compiled by the JDK compiler, real class loaders,
 * real HTTP on loopback, real Derby.
 */
class PluginHostTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path home;
    @TempDir
    Path build;
    private TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void startServer() {
        // A short call timeout, which the hanging-plugin test waits out.
        server = TestServer.start(home, Map.of("SHEPHERD_PLUGINS_CALL_TIMEOUT", "3s"));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void aPluginDroppedIntoTheDirectoryIsLoadedAndItsEndpointAnswers() throws IOException {
        Path file = plugin("greeter", "1.0.0").source(TestPlugins.answeringEndpoint("acme.greeter", "hi"))
                .buildZip(build, "greeter.zip");
        assertThat(server.get("/mdm/greeter/").statusCode()).isEqualTo(404);

        Files.copy(file, server.pluginsDir().resolve("greeter.zip"));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/greeter/anything").body()).isEqualTo("hi 1.0.0"));
        JsonNode info = pluginInfo("greeter");
        assertThat(info.path("state").asText()).isEqualTo("STARTED");
        assertThat(info.path("extensions").toString()).contains("DeviceEndpoint: acme.greeter.Answer");
    }

    @Test
    void aJarPluginLoadsToo() throws IOException {
        Path file = plugin("jarred", "2.0.0").source(TestPlugins.answeringEndpoint("acme.jarred", "jar"))
                .buildJar(build, "jarred.jar");
        Files.copy(file, server.pluginsDir().resolve("jarred.jar"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/jarred/").body()).isEqualTo("jar 2.0.0"));
    }

    @Test
    void removingTheFileUnloadsThePluginAndReleasesItsClassLoader() throws IOException {
        Path installed = install(plugin("leaving", "1.0.0").source(TestPlugins.answeringEndpoint("acme.leaving", "here"))
                .buildZip(build, "leaving.zip"), "leaving.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/leaving/").statusCode()).isEqualTo(200));
        WeakReference<ClassLoader> loader = new WeakReference<>(host().generation("leaving").orElseThrow().classLoader());

        Files.delete(installed);

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/leaving/").statusCode()).isEqualTo(404));
        assertThat(host().plugin("leaving")).isEmpty();
        assertCollected(loader);
    }

    @Test
    void replacingTheFileUpgradesWithoutAGapAndReleasesTheOldClassLoader() throws Exception {
        Path installed = install(plugin("rolling", "1.0.0").source(TestPlugins.answeringEndpoint("acme.rolling", "v"))
                .buildZip(build, "rolling-1.zip"), "rolling.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/rolling/").body()).isEqualTo("v 1.0.0"));
        WeakReference<ClassLoader> oldLoader = new WeakReference<>(host().generation("rolling").orElseThrow().classLoader());
        Path newer = plugin("rolling", "1.1.0").source(TestPlugins.answeringEndpoint("acme.rolling", "v"))
                .buildZip(build, "rolling-2.zip");

        // Poll continuously while the file is replaced: every answer is the old or the new version, never a 404.
        List<String> answers = new ArrayList<>();
        AtomicBoolean polling = new AtomicBoolean(true);
        Thread poller = new Thread(() -> {
            while (polling.get()) {
                HttpResponse<String> response = server.get("/mdm/rolling/");
                synchronized (answers) {
                    answers.add(response.statusCode() + " " + response.body());
                }
            }
        });
        poller.start();
        TestServer.replace(installed, newer);
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/rolling/").body()).isEqualTo("v 1.1.0"));
        polling.set(false);
        poller.join();

        synchronized (answers) {
            assertThat(answers).isNotEmpty().allMatch(answer -> answer.equals("200 v 1.0.0") || answer.equals("200 v 1.1.0"));
        }
        assertThat(pluginInfo("rolling").path("version").asText()).isEqualTo("1.1.0");
        assertCollected(oldLoader);
    }

    @Test
    void twoPluginsBundlingDifferentVersionsOfALibraryEachSeeTheirOwnAndNeitherSeesTheKernel() throws IOException {
        Path lib1 = TestPluginBuilder.libraryJar(build, "acme-lib-1.0.jar", TestPlugins.library("1.0"));
        Path lib2 = TestPluginBuilder.libraryJar(build, "acme-lib-2.0.jar", TestPlugins.library("2.0"));
        install(plugin("first", "1.0.0").source(TestPlugins.libraryEndpoint("acme.first")).library(lib1)
                .buildZip(build, "first.zip"), "first.zip");
        install(plugin("second", "1.0.0").source(TestPlugins.libraryEndpoint("acme.second")).library(lib2)
                .buildZip(build, "second.zip"), "second.zip");

        await().atMost(WITHIN).untilAsserted(() -> {
            assertThat(server.get("/mdm/first/").body()).isEqualTo("lib 1.0, kernel hidden, guice hidden");
            assertThat(server.get("/mdm/second/").body()).isEqualTo("lib 2.0, kernel hidden, guice hidden");
        });
    }

    @Test
    void aCorruptFileIsListedAsFailedAndTheServerStaysHealthy() throws IOException {
        TestPluginBuilder.corruptFile(server.pluginsDir(), "broken.jar");

        await().atMost(WITHIN).untilAsserted(() -> assertThat(pluginInfo("broken.jar").path("state").asText()).isEqualTo("FAILED"));
        assertThat(pluginInfo("broken.jar").path("failureReason").asText()).contains("not a valid jar/zip file");
        assertHealthy();
    }

    @Test
    void aPluginRequiringAnIncompatibleApiIsRefusedWithTheReason() throws IOException {
        install(plugin("future", "1.0.0").requires("^9.0.0").source(TestPlugins.answeringEndpoint("acme.future", "x"))
                .buildZip(build, "future.zip"), "future.zip");

        await().atMost(WITHIN).untilAsserted(() -> assertThat(pluginInfo("future").path("state").asText()).isEqualTo("FAILED"));
        assertThat(pluginInfo("future").path("failureReason").asText())
                .isEqualTo("requires plugin API ^9.0.0 but this server provides " + ShepherdApi.version());
        assertThat(server.get("/mdm/future/").statusCode()).isEqualTo(404);
        assertHealthy();
    }

    @Test
    void aPluginWithoutAnApiRangeIsRefused() throws IOException {
        install(plugin("vague", "1.0.0").requires("").source(TestPlugins.answeringEndpoint("acme.vague", "x"))
                .buildZip(build, "vague.zip"), "vague.zip");
        await().atMost(WITHIN).untilAsserted(() ->
                assertThat(pluginInfo("vague").path("failureReason").asText()).startsWith("declares no Plugin-Requires"));
    }

    @Test
    void aPluginBundlingTheApiIsRefused() throws IOException {
        install(plugin("greedy", "1.0.0").bundlingTheApi().source(TestPlugins.answeringEndpoint("acme.greedy", "x"))
                .buildJar(build, "greedy.jar"), "greedy.jar");
        await().atMost(WITHIN).untilAsserted(() ->
                assertThat(pluginInfo("greedy").path("failureReason").asText()).contains("bundles the Shepherd plugin API"));
    }

    @Test
    void aPluginThrowingInStartIsFailedAndItsExtensionsNeverGoLive() throws IOException {
        install(plugin("boom", "1.0.0").pluginClass("acme.boom.Boom")
                .source(TestPlugins.pluginClassThrowingInStart("acme.boom"))
                .source(TestPlugins.answeringEndpoint("acme.boom", "x"))
                .buildZip(build, "boom.zip"), "boom.zip");

        await().atMost(WITHIN).untilAsserted(() -> assertThat(pluginInfo("boom").path("state").asText()).isEqualTo("FAILED"));
        assertThat(pluginInfo("boom").path("failureReason").asText())
                .isEqualTo("Plugin.start threw IllegalStateException: boom at start");
        assertThat(server.get("/mdm/boom/").statusCode()).isEqualTo(404);
        assertHealthy();
    }

    @Test
    void aPluginThrowingInACallFailsThatCallOnlyAndOthersKeepWorking() throws IOException {
        install(plugin("buggy", "1.0.0").source(TestPlugins.misbehavingEndpoint("acme.buggy")).buildZip(build, "buggy.zip"), "buggy.zip");
        install(plugin("steady", "1.0.0").source(TestPlugins.answeringEndpoint("acme.steady", "ok")).buildZip(build, "steady.zip"), "steady.zip");
        await().atMost(WITHIN).untilAsserted(() -> {
            assertThat(server.get("/mdm/buggy/").body()).isEqualTo("fine");
            assertThat(server.get("/mdm/steady/").statusCode()).isEqualTo(200);
        });

        HttpResponse<String> failed = server.get("/mdm/buggy/throw");

        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(failed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(failed.body()).doesNotContain("IllegalArgumentException").doesNotContain("at acme.");
        assertThat(server.get("/mdm/buggy/").body()).isEqualTo("fine");
        assertThat(pluginInfo("buggy").path("state").asText()).isEqualTo("STARTED");
        assertThat(server.get("/mdm/steady/").body()).isEqualTo("ok 1.0.0");
        assertHealthy();
    }

    @Test
    void aPluginThatHangsIsReportedAndTakenOutOfServiceAfterTheCallTimeout() throws IOException {
        install(plugin("sleepy", "1.0.0").source(TestPlugins.misbehavingEndpoint("acme.sleepy")).buildZip(build, "sleepy.zip"), "sleepy.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/sleepy/").statusCode()).isEqualTo(200));

        HttpResponse<String> hung = server.get("/mdm/sleepy/hang");

        assertThat(hung.statusCode()).isEqualTo(500);
        assertThat(pluginInfo("sleepy").path("state").asText()).isEqualTo("OUT_OF_SERVICE");
        assertThat(pluginInfo("sleepy").path("failureReason").asText()).isEqualTo("DeviceEndpoint.handle did not return within 3000 ms");
        assertHealthy();
    }

    @Test
    void aFailedFileIsNotRetriedUntilItChanges() throws Exception {
        Path installed = install(plugin("later", "1.0.0").requires("^9.0.0")
                .source(TestPlugins.answeringEndpoint("acme.later", "x")).buildZip(build, "later-bad.zip"), "later.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(pluginInfo("later").path("state").asText()).isEqualTo("FAILED"));
        String firstFailure = pluginInfo("later").path("since").asText();

        Thread.sleep(1000); // five scans
        assertThat(pluginInfo("later").path("since").asText()).isEqualTo(firstFailure);

        TestServer.replace(installed, plugin("later", "1.0.1").source(TestPlugins.answeringEndpoint("acme.later", "fixed"))
                .buildZip(build, "later-good.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/later/").body()).isEqualTo("fixed 1.0.1"));
    }

    @Test
    void aFailedUpgradeLeavesTheRunningVersionServing() throws IOException {
        Path installed = install(plugin("careful", "1.0.0").source(TestPlugins.answeringEndpoint("acme.careful", "v"))
                .buildZip(build, "careful-1.zip"), "careful.zip");
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/careful/").body()).isEqualTo("v 1.0.0"));

        TestServer.replace(installed, plugin("careful", "2.0.0").pluginClass("acme.careful.Boom")
                .source(TestPlugins.pluginClassThrowingInStart("acme.careful"))
                .source(TestPlugins.answeringEndpoint("acme.careful", "v")).buildZip(build, "careful-2.zip"));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(host().plugins()).anySatisfy(info -> {
            assertThat(info.version()).isEqualTo("2.0.0");
            assertThat(info.state()).isEqualTo(PluginState.FAILED);
        }));
        assertThat(server.get("/mdm/careful/").body()).isEqualTo("v 1.0.0");

        Files.delete(installed);
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/careful/").statusCode()).isEqualTo(404));
    }

    private Path install(Path built, String fileName) throws IOException {
        return Files.copy(built, server.pluginsDir().resolve(fileName));
    }

    private PluginHost host() {
        return server.server().plugins();
    }

    private JsonNode pluginInfo(String id) {
        return PluginListing.entry(server, id);
    }

    private void assertHealthy() throws IOException {
        HttpResponse<String> health = server.get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json.readTree(health.body()).path("status").asText()).isEqualTo("UP");
    }

    private static void assertCollected(WeakReference<ClassLoader> loader) {
        await().atMost(WITHIN).pollInterval(Duration.ofMillis(200)).until(() -> {
            System.gc();
            return loader.get() == null;
        });
    }
}
