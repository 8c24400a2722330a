package dev.shepherd.console;

import dev.shepherd.http.ContentSecurityPolicy;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Properties;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The web admin console: static files from this package's resources, a single page that talks to the admin API.
 * {@code GET /} is the page; its scripts and styles are under {@link #ASSETS} (a root path the device endpoint router
 * keeps from plugins). There is no server-side rendering and no session handling here: the page signs in through
 * {@code /api/v1/auth/login} like any other API client, so the API's authentication, roles and CSRF rules are the
 * console's too. The page's Content-Security-Policy is the strict one plus the origins the console pages of running
 * plugins declare ({@link PluginConsolePages#contentSecurityPolicy()}), asked for on every load.
 */
public final class WebConsole {

    /** Where the console's scripts and styles are served. */
    public static final String ASSETS = "/ui";
    private static final String RESOURCES = "dev/shepherd/console/";

    private static final HttpString CONTENT_SECURITY_POLICY = new HttpString(ContentSecurityPolicy.HEADER);

    /** Where the charting library the reports page draws with (uPlot, from its WebJar) is served, under {@link #ASSETS}. */
    public static final String CHARTS = "/vendor/uplot/";

    private final byte[] page;
    private final ResourceHandler assets;
    private final ResourceHandler charts;
    private final Supplier<String> contentSecurityPolicy;

    /**
     * @param contentSecurityPolicy the console document's policy as of now, such as
     *        {@link PluginConsolePages#contentSecurityPolicy()}
     */
    public WebConsole(Supplier<String> contentSecurityPolicy) {
        this.contentSecurityPolicy = requireNonNull(contentSecurityPolicy, "contentSecurityPolicy is null");
        ClassLoader loader = WebConsole.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(RESOURCES + "index.html")) {
            if (in == null) {
                throw new IllegalStateException("the console's index.html is missing from the classpath");
            }
            this.page = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.assets = new ResourceHandler(new ClassPathResourceManager(loader, RESOURCES))
                .setDirectoryListingEnabled(false);
        this.charts = new ResourceHandler(new ClassPathResourceManager(loader, "META-INF/resources/webjars/uplot/"
                + webJarVersion(loader, "org.webjars.npm/uplot") + "/dist/")).setDirectoryListingEnabled(false);
    }

    private static String webJarVersion(ClassLoader loader, String artifact) {
        try (InputStream in = loader.getResourceAsStream("META-INF/maven/" + artifact + "/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the WebJar " + artifact + " is missing from the classpath");
            }
            Properties properties = new Properties();
            properties.load(in);
            return requireNonNull(properties.getProperty("version"), "the WebJar " + artifact + " names no version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code GET /}: the console's page. */
    public HttpHandler page() {
        return exchange -> {
            if (!exchange.getRequestMethod().equals(Methods.GET) && !exchange.getRequestMethod().equals(Methods.HEAD)) {
                exchange.setStatusCode(StatusCodes.METHOD_NOT_ALLOWED);
                exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
                exchange.endExchange();
                return;
            }
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
            // Replaces the strict policy every response carries: the document's policy is what its scripts may load.
            exchange.getResponseHeaders().put(CONTENT_SECURITY_POLICY, contentSecurityPolicy.get());
            exchange.getResponseSender().send(ByteBuffer.wrap(page));
        };
    }

    /** {@code /ui/…}: the console's scripts, styles and images; the page itself is not served here. */
    public HttpHandler assets() {
        return this::serveAsset;
    }

    private void serveAsset(HttpServerExchange exchange) throws Exception {
        String relative = exchange.getRelativePath();
        if (relative.isEmpty() || relative.endsWith("/") || relative.equals("/index.html")) {
            exchange.setStatusCode(StatusCodes.NOT_FOUND);
            exchange.endExchange();
            return;
        }
        // Browsers revalidate (Last-Modified) on each load, so an upgraded server never runs yesterday's scripts.
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        if (relative.startsWith(CHARTS)) {
            exchange.setRelativePath(relative.substring(CHARTS.length() - 1));
            charts.handleRequest(exchange);
            return;
        }
        assets.handleRequest(exchange);
    }
}
