package dev.shepherd.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shepherd.api.device.Platform;
import dev.shepherd.http.AdminApiHandler;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.HttpIo;
import dev.shepherd.plugin.PluginHost;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.directory.DirectoryPasswords;
import dev.shepherd.directory.DirectorySignIn;
import dev.shepherd.plugin.SignInProviders;
import dev.shepherd.security.AdminSessions;
import dev.shepherd.security.RoleMappings;
import dev.shepherd.security.SignInFailures;
import dev.shepherd.security.SsoFlows;
import dev.shepherd.enrollment.EnrollmentSignInPage;
import dev.shepherd.security.AdminTotp;
import dev.shepherd.security.AdminUserStore;
import dev.shepherd.security.ApiTokens;
import dev.shepherd.server.Kernel;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Headers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The admin REST API: every resource's routes in one table, the router over them, the OpenAPI document generated
 * from the same table ({@code /api/openapi.json}) and Swagger UI ({@code /api/docs}).
 */
public final class AdminApi {

    private static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion() + "/";

    private final AdminApiHandler handler;

    public AdminApi(Kernel kernel, PluginHost plugins, AdminUserStore admins, AdminSessions sessions, ApiTokens tokens,
                    AdminAuthenticator authenticator, long maxBodyBytes, HttpIo io,
                    Supplier<String> publicUrl,
                    Supplier<List<Platform>> platforms, DirectoryPasswords userPasswords,
                    AdminTotp totp, SingleSignOn singleSignOn) {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(singleSignOn, "singleSignOn is null");
        List<AdminRoute> routes = new ArrayList<>();
        routes.addAll(new AuthResource(authenticator, sessions, kernel.audit(), totp, kernel.json()).routes());
        routes.addAll(new TotpResource(kernel, admins, authenticator, totp).routes());
        // Before DeviceResource: /api/v1/devices/count, /export and /bulk are not device ids.
        routes.addAll(new FleetResource(kernel).routes());
        routes.addAll(new DeviceResource(kernel).routes());
        routes.addAll(new SearchResource(kernel).routes());
        routes.addAll(new DeviceInsightResource(kernel).routes());
        routes.addAll(new PlatformResource(platforms).routes());
        routes.addAll(new EnrollmentResource(kernel, publicUrl).routes());
        routes.addAll(new UserResource(kernel, userPasswords).routes());
        routes.addAll(new DirectoryGroupResource(kernel).routes());
        routes.addAll(new GroupResource(kernel).routes());
        routes.addAll(new PolicyResource(kernel).routes());
        routes.addAll(new AppResource(kernel).routes());
        routes.addAll(new CommandResource(kernel).routes());
        routes.addAll(new ComplianceResource(kernel).routes());
        routes.addAll(new PluginResource(kernel, plugins).routes());
        routes.addAll(new WebhookResource(kernel).routes());
        routes.addAll(new ReportResource(kernel).routes());
        routes.addAll(new AuditResource(kernel).routes());
        routes.addAll(new AdminResource(kernel, admins, sessions, tokens, authenticator).routes());
        routes.addAll(new RoleResource(kernel, admins).routes());
        routes.addAll(new SsoResource(singleSignOn.providers(), singleSignOn.flows(), singleSignOn.mappings(), kernel.groups(), admins, authenticator, sessions,
                singleSignOn.portalSessions(), singleSignOn.directory(), singleSignOn.failures(), singleSignOn.publicUrl(), kernel.audit(),
                kernel.json(), kernel.clock(), new SsoResource.Enrollment(singleSignOn.enrollment(), kernel.directory())).routes());
        this.handler = new AdminApiHandler(routes, authenticator, io, maxBodyBytes, publicUrl);
    }

    /**
     * What the single sign-on routes work with.
     *
     * @param providers the running sign-in provider plugins
     * @param flows the sign-ins under way
     * @param mappings which console role a directory group opens
     * @param portalSessions the self-service portal's sessions ({@link AdminSessions#portal})
     * @param directory finds or adds the directory users of portal sign-ins
     * @param failures where refused sign-ins are counted against their address
     * @param publicUrl the configured public base URL ({@code https.publicUrl}), which the callback address is built
     *                  on; without it, the address the browser used
     * @param enrollment the enrollment sign-in page, which single sign-ons for a device's enrollment go on with
     */
    public record SingleSignOn(SignInProviders providers, SsoFlows flows, RoleMappings mappings, AdminSessions portalSessions,
                               DirectorySignIn directory, SignInFailures failures, Optional<String> publicUrl, EnrollmentSignInPage enrollment) {
        public SingleSignOn {
            requireNonNull(enrollment, "enrollment is null");
            requireNonNull(publicUrl, "publicUrl is null");
            requireNonNull(providers, "providers is null");
            requireNonNull(flows, "flows is null");
            requireNonNull(mappings, "mappings is null");
            requireNonNull(portalSessions, "portalSessions is null");
            requireNonNull(directory, "directory is null");
            requireNonNull(failures, "failures is null");
        }
    }

    public AdminApiHandler handler() {
        return handler;
    }

    public List<AdminRoute> routes() {
        return handler.routes();
    }

    public JsonNode openApi() {
        return new OpenApiDocument(handler.json()).build(routes());
    }

    /** {@code GET /api/openapi.json}: generated on each request from the live route table. */
    public HttpHandler openApiHandler() {
        return exchange -> {
            byte[] body = handler.json().writerWithDefaultPrettyPrinter().writeValueAsBytes(openApi());
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            exchange.getResponseSender().send(new String(body, StandardCharsets.UTF_8));
        };
    }

    /** {@code /api/docs}: Swagger UI from its WebJar, started by a script file (no inline script, for the CSP). */
    public HttpHandler docsHandler() {
        ResourceHandler assets = new ResourceHandler(new ClassPathResourceManager(AdminApi.class.getClassLoader(), SWAGGER_UI));
        return exchange -> {
            String relative = exchange.getRelativePath();
            if (relative.isEmpty() || relative.equals("/")) {
                if (!exchange.getRequestPath().endsWith("/")) {
                    exchange.setStatusCode(302);
                    exchange.getResponseHeaders().put(Headers.LOCATION, "/api/docs/");
                    exchange.endExchange();
                    return;
                }
                send(exchange, "text/html; charset=utf-8", """
                        <!doctype html>
                        <html lang="en">
                        <head><meta charset="utf-8"><title>Shepherd admin API</title>
                        <link rel="stylesheet" href="swagger-ui.css"></head>
                        <body><div id="swagger-ui"></div>
                        <script src="swagger-ui-bundle.js"></script>
                        <script src="shepherd-init.js"></script></body>
                        </html>
                        """);
                return;
            }
            if (relative.equals("/shepherd-init.js")) {
                send(exchange, "application/javascript", "window.ui = SwaggerUIBundle({url: '/api/openapi.json', dom_id: '#swagger-ui'});\n");
                return;
            }
            assets.handleRequest(exchange);
        };
    }

    private static void send(HttpServerExchange exchange, String contentType, String body) {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseHeaders().put(Headers.CONTENT_SECURITY_POLICY,
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
        exchange.getResponseSender().send(body);
    }

    private static String swaggerUiVersion() {
        try (var in = AdminApi.class.getClassLoader().getResourceAsStream("META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
            if (in == null) {
                return "5.34.1";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "5.34.1");
        } catch (IOException e) {
            return "5.34.1";
        }
    }
}
