package dev.shepherd.enrollment;

import dev.shepherd.api.device.EnrollmentGrant;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.platform.EnrollmentArtifact;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.http.HttpIo;
import dev.shepherd.http.Problem;
import dev.shepherd.plugin.PlatformPlugins;
import dev.shepherd.plugin.PluginCallException;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The public side of enrollment links: {@code GET /enroll/{secret}} hands out what the token's platform plugin
 * builds (an Apple {@code .mobileconfig}, for example), and {@code GET /enroll/{secret}/qr.png} the same link as a
 * QR code. A token that may enroll on several platforms needs {@code ?platform=}. {@code ?mode=user} asks for user
 * enrollment (BYOD), offered for personal tokens assigned to a user with an e-mail address only: the platform enrolls
 * the device under that user's managed account. Unknown, used-up, expired and revoked tokens all look the same: 404,
 * so the endpoint reveals nothing about which secrets exist. {@code /enroll/sign-in} is the
 * {@link EnrollmentSignInPage sign-in page} of enrollment clients that sign their user in on the web, and a link whose
 * token asks for the user's sign-in shows that page instead of the platform's enrollment. A browser (it asks for
 * HTML) gets the {@link EnrollmentLinkPage page for people} first: what will happen to the device and the steps, with
 * the button that fetches the artifact ({@code ?download=1}).
 */
public final class EnrollmentHandler implements HttpHandler {

    public static final String MOUNT = "/enroll";
    private static final Logger log = LoggerFactory.getLogger(EnrollmentHandler.class);
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{16,128}");

    private final EnrollmentTokens tokens;
    private final DirectoryService directory;
    private final PlatformPlugins platforms;
    private final Supplier<String> publicUrl;
    private final HttpIo io;
    private final EnrollmentSignInPage signInPage;
    private final Function<Platform, List<String>> unfinishedSetup;

    /**
     * @param publicUrl the base URL devices reach the server at, read per request because the port is known only
     *                  once the listener is bound
     * @param unfinishedSetup the open setup steps that keep a platform's devices from enrolling, by title, which the
     *                        page for people names
     */
    public EnrollmentHandler(EnrollmentTokens tokens, DirectoryService directory, PlatformPlugins platforms, Supplier<String> publicUrl,
                             HttpIo io, EnrollmentSignInPage signInPage, Function<Platform, List<String>> unfinishedSetup) {
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.platforms = requireNonNull(platforms, "platforms is null");
        this.publicUrl = requireNonNull(publicUrl, "publicUrl is null");
        this.io = requireNonNull(io, "io is null");
        this.signInPage = requireNonNull(signInPage, "signInPage is null");
        this.unfinishedSetup = requireNonNull(unfinishedSetup, "unfinishedSetup is null");
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (exchange.isInIoThread()) {
            exchange.dispatch(this);
            return;
        }
        if (exchange.getRelativePath().equals(EnrollmentSignInPage.PATH) || exchange.getRelativePath().equals(EnrollmentSignInPage.SCRIPT)) {
            signInPage.handle(exchange, exchange.getRelativePath());
            return;
        }
        String method = exchange.getRequestMethod().toString();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
            io.sendProblem(exchange, Problem.methodNotAllowed(method));
            return;
        }
        String rest = exchange.getRelativePath().startsWith("/") ? exchange.getRelativePath().substring(1) : exchange.getRelativePath();
        boolean qr = rest.endsWith("/qr.png");
        String secret = qr ? rest.substring(0, rest.length() - "/qr.png".length()) : rest;
        Optional<EnrollmentGrant> grant = SECRET.matcher(secret).matches() ? tokens.check(secret) : Optional.empty();
        if (grant.isEmpty()) {
            // A link that asks for the user's sign-in shows the sign-in page, which then hands the person a link of their own.
            Optional<EnrollmentToken> signInLink = SECRET.matcher(secret).matches() ? tokens.checkSignInLink(secret) : Optional.empty();
            if (signInLink.isEmpty()) {
                io.sendProblem(exchange, Problem.notFound("This enrollment link is unknown, used up, expired or revoked."));
                return;
            }
            Optional<String> platformParameter = Optional.ofNullable(exchange.getQueryParameters().get("platform")).map(Deque::peekFirst);
            Optional<String> modeParameter = Optional.ofNullable(exchange.getQueryParameters().get("mode")).map(Deque::peekFirst);
            if (qr) {
                List<String> query = new ArrayList<>();
                platformParameter.ifPresent(value -> query.add("platform=" + URLEncoder.encode(value, StandardCharsets.UTF_8)));
                modeParameter.ifPresent(value -> query.add("mode=" + URLEncoder.encode(value, StandardCharsets.UTF_8)));
                send(exchange, "image/png", QrCodes.png(publicUrl.get() + MOUNT + "/" + secret + (query.isEmpty() ? "" : "?" + String.join("&", query))),
                        Optional.empty());
                return;
            }
            signInPage.showLinkSignIn(exchange, secret, platformParameter, modeParameter);
            return;
        }
        Optional<String> requested = Optional.ofNullable(exchange.getQueryParameters().get("platform")).map(Deque::peekFirst);
        boolean page = !qr && wantsPage(exchange);
        Optional<Platform> platform;
        try {
            platform = requested.map(Platform::new).or(grant.get()::platform);
        } catch (IllegalArgumentException e) {
            io.sendProblem(exchange, Problem.badRequest("platform: " + e.getMessage()));
            return;
        }
        if (platform.isEmpty() && page) {
            EnrollmentSignInPage.send(exchange, 200, EnrollmentLinkPage.choosePlatform(secret, grant.get(), platforms.supported()));
            return;
        }
        if (platform.isEmpty()) {
            io.sendProblem(exchange, Problem.badRequest("This link enrolls any platform: add ?platform= with one of "
                    + platforms.supported().stream().map(Platform::id).toList() + "."));
            return;
        }
        if (grant.get().platform().isPresent() && !grant.get().platform().equals(platform)) {
            io.sendProblem(exchange, Problem.badRequest("This link enrolls " + grant.get().platform().get().id() + " devices only."));
            return;
        }
        Optional<String> mode = Optional.ofNullable(exchange.getQueryParameters().get("mode")).map(Deque::peekFirst);
        Optional<String> userEmail = grant.get().userId().flatMap(directory::get).map(DirectoryUser::email).filter(email -> !email.isBlank());
        if (mode.isPresent()) {
            if (!mode.get().equals(EnrollmentInvitation.USER_MODE)) {
                io.sendProblem(exchange, Problem.badRequest("mode: the only enrollment mode a link can ask for is "
                        + EnrollmentInvitation.USER_MODE + "."));
                return;
            }
            if (grant.get().ownership() != Ownership.PERSONAL || userEmail.isEmpty()) {
                io.sendProblem(exchange, Problem.badRequest("User enrollment needs a PERSONAL token assigned to a user with an e-mail address,"
                        + " which becomes the managed account the device enrolls with."));
                return;
            }
        }
        List<String> query = new ArrayList<>();
        requested.ifPresent(id -> query.add("platform=" + URLEncoder.encode(platform.get().id(), StandardCharsets.UTF_8)));
        mode.ifPresent(value -> query.add("mode=" + URLEncoder.encode(value, StandardCharsets.UTF_8)));
        String link = publicUrl.get() + MOUNT + "/" + secret + (query.isEmpty() ? "" : "?" + String.join("&", query));
        if (qr) {
            send(exchange, "image/png", QrCodes.png(link), Optional.empty());
            return;
        }
        if (page) {
            boolean available = platforms.supported().contains(platform.get());
            EnrollmentSignInPage.send(exchange, 200, EnrollmentLinkPage.instructions(secret, grant.get(), platform.get(), mode,
                    String.join("&", query), available, available ? unfinishedSetup.apply(platform.get()) : List.of()));
            return;
        }
        EnrollmentInvitation invitation = new EnrollmentInvitation(secret, grant.get().ownership(), grant.get().groupId(),
                grant.get().userId(), grant.get().expiresAt(), publicUrl.get(), mode, userEmail);
        Optional<EnrollmentArtifact> artifact;
        try {
            artifact = platforms.enrollmentArtifact(platform.get(), invitation);
        } catch (PluginCallException e) {
            log.warn("The {} plugin failed to build an enrollment artifact: {}", platform.get().id(), e.getMessage());
            io.sendProblem(exchange, Problem.of(503, "plugin-failed", "Plugin failed",
                    "The " + platform.get().id() + " plugin could not build the enrollment profile; the failure is logged."));
            return;
        }
        if (artifact.isEmpty()) {
            io.sendProblem(exchange, Problem.of(404, "platform-unavailable", "Platform unavailable",
                    "No running plugin enrolls " + platform.get().id() + " devices with a link."));
            return;
        }
        send(exchange, artifact.get().contentType(), artifact.get().content(), Optional.of(artifact.get().fileName()));
    }

    /**
     * Whether the request gets the page for people rather than the platform's artifact: a browser (it asks for HTML)
     * that has not asked for the artifact with {@code ?download=1}. Devices' own clients, which do not ask for HTML,
     * get the artifact as before.
     */
    private static boolean wantsPage(HttpServerExchange exchange) {
        if (exchange.getQueryParameters().containsKey(EnrollmentLinkPage.DOWNLOAD)) {
            return false;
        }
        String accept = Optional.ofNullable(exchange.getRequestHeaders().getFirst(Headers.ACCEPT)).orElse("");
        return accept.toLowerCase(Locale.ROOT).contains("text/html");
    }

    private static void send(HttpServerExchange exchange, String contentType, byte[] content, Optional<String> fileName) {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        // A page (Windows' enrollment instructions) is shown; anything else (a profile) is downloaded.
        String disposition = contentType.startsWith("text/html") ? "inline" : "attachment";
        fileName.ifPresent(name -> exchange.getResponseHeaders().put(Headers.CONTENT_DISPOSITION,
                disposition + "; filename=\"" + name.replaceAll("[^A-Za-z0-9._-]", "_") + "\""));
        exchange.getResponseSender().send(ByteBuffer.wrap(content));
    }
}
