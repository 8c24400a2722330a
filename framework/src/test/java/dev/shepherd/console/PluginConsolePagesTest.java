package dev.shepherd.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.http.ContentSecurityPolicy;
import dev.shepherd.security.AdminRole;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Console pages plugins contribute (ConsolePage in the plugin API), over plain HTTP against a real server with real
 * plugin files: who sees which page, which of a plugin's files are served and which are not, and how pages follow
 * their plugin through upgrades and removal.
 */
class PluginConsolePagesTest {

    private static final Duration WITHIN = Duration.ofSeconds(20);
    private static final String HELPDESK = "desk";
    private static final String HELPDESK_PASSWORD = "desk-password-123";

    @TempDir
    static Path home;
    @TempDir
    static Path build;
    private static TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(home);
        server.server().adminUsers().create(HELPDESK, HELPDESK_PASSWORD.toCharArray(), AdminRole.HELPDESK);
        Files.copy(stockPlugin("1.0.0", "first").buildZip(build, "stock.zip"), server.pluginsDir().resolve("stock.zip"));
        await().atMost(WITHIN).until(() -> server.getAsAdmin("/api/v1/console/pages").body().contains("stock/1.0.0"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void eachRoleIsListedOnlyThePagesItsPermissionsOpen() throws Exception {
        JsonNode admin = json.readTree(server.getAsAdmin("/api/v1/console/pages").body()).path("items");
        JsonNode helpdesk = json.readTree(pagesAs(HELPDESK, HELPDESK_PASSWORD).body()).path("items");

        assertThat(admin.findValuesAsText("id")).containsExactly("counts", "lookup");
        JsonNode counts = admin.get(0);
        assertThat(counts.path("plugin").asText()).isEqualTo("stock");
        assertThat(counts.path("pluginVersion").asText()).isEqualTo("1.0.0");
        assertThat(counts.path("title").asText()).isEqualTo("Stock counts");
        assertThat(counts.path("permission").asText()).isEqualTo("PLUGIN_MANAGE");
        assertThat(counts.path("module").asText()).isEqualTo("/ui/plugins/stock/1.0.0/counts.js");
        assertThat(helpdesk.findValuesAsText("id")).as("device_read, not plugin_manage").containsExactly("lookup");
        assertThat(server.get("/api/v1/console/pages").statusCode()).as("signed in only").isEqualTo(401);
    }

    @Test
    void theConsoleFolderOfThePluginsFilesIsServedWithTheirTypes() {
        HttpResponse<String> module = server.get("/ui/plugins/stock/1.0.0/counts.js");
        HttpResponse<String> sibling = server.get("/ui/plugins/stock/1.0.0/lib/format.js");
        HttpResponse<String> style = server.get("/ui/plugins/stock/1.0.0/stock.css");

        assertThat(module.statusCode()).isEqualTo(200);
        assertThat(module.body()).contains("first edition");
        assertThat(module.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(module.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(module.headers().firstValue("Content-Security-Policy").orElseThrow()).doesNotContain("unsafe-inline");
        assertThat(sibling.statusCode()).isEqualTo(200);
        assertThat(style.headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
    }

    @Test
    void nothingOutsideThePluginsConsoleFolderIsServed() {
        List<String> refused = List.of(
                "/ui/plugins/stock/1.0.0/../plugin.properties",
                "/ui/plugins/stock/1.0.0/..%2Fplugin.properties",
                "/ui/plugins/stock/1.0.0/%2e%2e/plugin.properties",
                "/ui/plugins/stock/1.0.0/acme/stock/Counts.class",
                "/ui/plugins/stock/1.0.0/notes.html",
                "/ui/plugins/stock/1.0.0/missing.js",
                "/ui/plugins/stock/0.9.0/counts.js",
                "/ui/plugins/other/1.0.0/counts.js",
                "/ui/plugins/stock/1.0.0/",
                "/ui/plugins/stock/1.0.0/dev/shepherd/console/app.js",
                "/ui/plugins/stock/1.0.0/java/lang/Object.class");
        for (String path : refused) {
            HttpResponse<String> response = server.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.headers().firstValue("Content-Type")).as(path).hasValue("application/problem+json");
        }
        HttpResponse<String> post = server.send(HttpRequest.newBuilder(server.uri("/ui/plugins/stock/1.0.0/counts.js"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void pagesDeclaredWrongAreNotListedAndTheRestOfThePluginRuns() throws Exception {
        Files.copy(plugin("careless", "1.0.0").source(page("careless", "Bad", "../outside.js", "plugin_manage", "BadPath"))
                .source(page("careless", "Bad", "fine.js", "root_of_all", "UnknownPermission"))
                .source(page("careless", "Fine", "fine.js", "plugin_read", "Fine"))
                .resource("console/fine.js", "export function render() {}\n")
                .buildZip(build, "careless.zip"), server.pluginsDir().resolve("careless.zip"));
        await().atMost(WITHIN).until(() -> server.getAsAdmin("/api/v1/console/pages").body().contains("careless"));

        JsonNode pages = json.readTree(server.getAsAdmin("/api/v1/console/pages").body()).path("items");
        assertThat(pages.findValuesAsText("plugin").stream().filter("careless"::equals)).hasSize(1);
        assertThat(server.getAsAdmin("/api/v1/plugins/careless").body()).contains("\"STARTED\"");
        Files.delete(server.pluginsDir().resolve("careless.zip"));
        await().atMost(WITHIN).until(() -> !server.getAsAdmin("/api/v1/console/pages").body().contains("careless"));
    }

    @Test
    void anUpgradedPluginsPageIsANewAddressAndARemovedPluginsPageIsGone() throws Exception {
        TestServer.replace(server.pluginsDir().resolve("stock.zip"), stockPlugin("2.0.0", "second").buildZip(build, "stock-2.zip"));
        // The new generation starts before the old one stops, so for a moment both are listed.
        await().atMost(WITHIN).until(() -> {
            String listed = server.getAsAdmin("/api/v1/console/pages").body();
            return listed.contains("/ui/plugins/stock/2.0.0/counts.js") && !listed.contains("/ui/plugins/stock/1.0.0/counts.js");
        });

        assertThat(server.get("/ui/plugins/stock/2.0.0/counts.js").body()).contains("second edition");
        assertThat(server.get("/ui/plugins/stock/1.0.0/counts.js").statusCode()).as("the old generation's files").isEqualTo(404);

        TestServer.replace(server.pluginsDir().resolve("stock.zip"), stockPlugin("1.0.0", "first").buildZip(build, "stock-1.zip"));
        await().atMost(WITHIN).until(() -> server.get("/ui/plugins/stock/1.0.0/counts.js").statusCode() == 200);
    }

    @Test
    void theOriginsAPageDeclaresAreAdmittedByTheConsolesPolicyWhileItsPluginRuns() throws Exception {
        String before = consolePolicy();
        Files.copy(plugin("vendor", "1.0.0").source(originsPage("Embed", "Embedded console",
                        "ExternalOrigin.script(\"https://cdn.example.com\"), ExternalOrigin.frame(\"https://Embed.example.com:8443\")"))
                .source(originsPage("Careless", "Careless embed", "ExternalOrigin.script(\"http://127.0.0.1:8080\")"))
                .resource("console/embed.js", "export function render() {}\n").buildZip(build, "vendor.zip"), server.pluginsDir().resolve("vendor.zip"));
        await().atMost(WITHIN).until(() -> server.getAsAdmin("/api/v1/console/pages").body().contains("vendor"));

        assertThat(before).isEqualTo(ContentSecurityPolicy.STRICT).doesNotContain("example.com");
        assertThat(consolePolicy()).contains("script-src 'self' https://cdn.example.com;", "frame-src 'self' https://embed.example.com:8443")
                .doesNotContain("127.0.0.1").contains("frame-ancestors 'none'");
        assertThat(server.get("/ui/app.js").headers().firstValue("Content-Security-Policy")).as("only the console document").hasValue(ContentSecurityPolicy.STRICT);
        JsonNode pages = json.readTree(server.getAsAdmin("/api/v1/console/pages").body()).path("items");
        assertThat(pages.findValuesAsText("id")).as("a page declaring plain http is not listed").contains("embedded-console").doesNotContain("careless-embed");
        JsonNode added = json.readTree(server.getAsAdmin("/api/v1/console/external-origins").body());
        assertThat(added.path("contentSecurityPolicy").asText()).isEqualTo(consolePolicy());
        assertThat(added.path("items")).extracting(item -> item.path("plugin").asText() + " " + item.path("page").asText() + " "
                + item.path("directive").asText() + " " + item.path("origin").asText())
                .containsExactly("vendor embedded-console script-src https://cdn.example.com", "vendor embedded-console frame-src https://embed.example.com:8443");
        HttpResponse<String> helpdesk = server.send(HttpRequest.newBuilder(server.uri("/api/v1/console/external-origins"))
                .header("Authorization", TestServer.basic(HELPDESK, HELPDESK_PASSWORD)).GET().build());
        assertThat(helpdesk.statusCode()).as("plugin_read").isEqualTo(403);

        Files.delete(server.pluginsDir().resolve("vendor.zip"));
        await().atMost(WITHIN).until(() -> consolePolicy().equals(ContentSecurityPolicy.STRICT));
    }

    private static String consolePolicy() {
        return server.get("/").headers().firstValue("Content-Security-Policy").orElseThrow();
    }

    private static String originsPage(String className, String title, String origins) {
        return """
                package acme.vendor;

                import dev.shepherd.api.console.ConsolePage;
                import dev.shepherd.api.console.ExternalOrigin;
                import java.util.Set;
                import org.pf4j.Extension;

                @Extension
                public class %1$s implements ConsolePage {
                    public String id() { return "%2$s"; }
                    public String title() { return "%3$s"; }
                    public String permission() { return "app_manage"; }
                    public String module() { return "embed.js"; }
                    public Set<ExternalOrigin> externalOrigins() { return Set.of(%4$s); }
                }
                """.formatted(className, title.toLowerCase().replace(' ', '-'), title, origins);
    }

    private static HttpResponse<String> pagesAs(String username, String password) {
        return server.send(HttpRequest.newBuilder(server.uri("/api/v1/console/pages"))
                .header("Authorization", TestServer.basic(username, password)).GET().build());
    }

    /** A plugin with two pages (one per permission), a module importing a sibling, a stylesheet and other files. */
    static TestPluginBuilder stockPlugin(String version, String edition) {
        return plugin("stock", version)
                .source(page("stock", "Stock counts", "counts.js", "plugin_manage", "Counts"))
                .source(page("stock", "Stock lookup", "lookup.js", "device_read", "Lookup"))
                .resource("console/counts.js", "import { format } from './lib/format.js';\n"
                        + "export function render({ main, ui }) { main.append(ui.h('p', {}, format('" + edition + " edition'))); }\n")
                .resource("console/lookup.js", "export function render({ main, ui }) { main.append(ui.h('p', {}, 'lookup')); }\n")
                .resource("console/lib/format.js", "export const format = text => `[${text}]`;\n")
                .resource("console/stock.css", "p { color: teal; }\n")
                .resource("console/notes.html", "<script>alert(1)</script>\n");
    }

    private static String page(String pluginId, String title, String module, String permission, String className) {
        String id = title.toLowerCase().replace("stock ", "").replace(' ', '-');
        return """
                package acme.%1$s;

                import dev.shepherd.api.console.ConsolePage;
                import org.pf4j.Extension;

                @Extension
                public class %2$s implements ConsolePage {
                    public String id() { return "%3$s"; }
                    public String title() { return "%4$s"; }
                    public String permission() { return "%5$s"; }
                    public String module() { return "%6$s"; }
                }
                """.formatted(pluginId, className, id, title, permission, module);
    }
}
