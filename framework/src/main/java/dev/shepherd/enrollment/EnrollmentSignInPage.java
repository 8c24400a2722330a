package dev.shepherd.enrollment;

import dev.shepherd.api.identity.UserAuthenticator;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.DirectorySignIn;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.directory.SignInCodes;
import dev.shepherd.http.HttpIo;
import dev.shepherd.http.Problem;
import dev.shepherd.json.Json;
import dev.shepherd.plugin.SignInProviders;
import dev.shepherd.portal.PortalSignIn;
import dev.shepherd.security.AdminAuthenticator;
import dev.shepherd.security.Secrets;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The page a device's enrollment client opens to sign its user in with their directory account, at
 * {@value UserAuthenticator#ENROLLMENT_SIGN_IN_PATH}. Windows' federated enrollment (MS-MDE2 section 3.2) opens it in
 * its web authentication broker as {@code ?appru=ms-app://…&login_hint=user@example.com}; once the password is right
 * (a local directory user's, or one an identity-provider plugin accepts, throttled like every sign-in), the page
 * answers with a form posting a one-time {@link SignInCodes code} as {@code wresult} to {@code appru}, which the client
 * then sends as the security token of its enrollment request, and the platform plugin redeems it through
 * {@link UserAuthenticator#redeemSignInCode}. The code, not the password, crosses to the device's protocol.
 *
 * <p>{@code appru} must be an {@code ms-app://} address: the code is handed only to the enrollment client, never to
 * a web address someone put in a link.
 *
 * <p>The page also stands in front of an enrollment link that asks for the user's sign-in
 * ({@link EnrollmentToken#requireSignIn()}): once the password is right, one use of the link is spent on a one-time
 * token of the person's own ({@link EnrollmentTokens#issueForSignedInUser}), and the browser is sent to that token's
 * link, so the platform's enrollment that follows makes the device theirs.
 *
 * <p>Apple's account-driven enrollment opens the page in its web authentication session as
 * {@code ?client=apple&link=<secret>&user-identifier=<Managed Apple Account>}, the link being one that asks for the
 * user's sign-in: once the password is right (and the person is the account the device was given, when it names one), one
 * use of the link is spent on the person's own one-time token, and the page redirects (308) to
 * {@value #APPLE_CALLBACK}{@code ?access-token=<that token>}; the device then presents the token as its bearer token to
 * the platform plugin, which enrolls with it. The token goes to that fixed scheme only, which the session hands back to
 * the device's enrollment, never to an address taken from the request. See
 * <a href="https://developer.apple.com/documentation/devicemanagement/implementing-the-simple-authentication-account-driven-enrollment-flow">
 * Implementing the simple authentication account-driven enrollment flow</a>.
 *
 * <p>A platform plugin's own web page, such as the web view Apple's Setup Assistant opens for Automated Device
 * Enrollment ({@code configuration_web_url}), opens the page as {@code ?return=<path>&state=<opaque>}: {@code return}
 * must be a path of this server that a platform plugin's device endpoint serves ({@code /mdm/<plugin>/...}, checked
 * against the mounted endpoints; a scheme, a host, another root path or a dot segment is refused with 400), and
 * {@code state} is the plugin's opaque value (16 to 128 URL-safe characters). Once the person has signed in, the page
 * redirects (303) to {@code <return>?code=<one-time code>&state=<state>}; the plugin redeems the code with
 * {@link UserAuthenticator#redeemSignInCode} and finds what it kept under the state. The code goes to that same-server
 * path only: never to an address a link could name elsewhere.
 *
 * <p>Beside the password form, the page offers a "Sign in with …" link for every available single sign-on provider
 * ({@link SignInProviders}), for organisations whose people have no password here (OpenID Connect, provisioned by
 * SCIM). The link starts the kernel's single sign-on for the enrollment audience with the page's context; the flow
 * keeps that context sealed server-side ({@link #ssoContext}), and once the callback has checked the flow and its state
 * and the directory has admitted the person, {@link #finishSso} goes on exactly as a right password does. A refusal
 * comes back to this page with an error code ({@link #ssoRetryAddress}).
 */
public final class EnrollmentSignInPage {

    /** Below {@link EnrollmentHandler#MOUNT}. */
    static final String PATH = UserAuthenticator.ENROLLMENT_SIGN_IN_PATH.substring(EnrollmentHandler.MOUNT.length());
    static final String SCRIPT = PATH + ".js";
    /** Where Apple's account-driven enrollment expects the result of its web authentication. */
    static final String APPLE_CALLBACK = "apple-remotemanagement-user-login://authentication-results";
    /** The {@code client} of Apple's account-driven enrollment. */
    static final String APPLE_CLIENT = "apple";
    private static final Pattern MANAGED_ACCOUNT = Pattern.compile("[^@\\s]{1,200}@[A-Za-z0-9.-]{1,253}");
    private static final Pattern APP_ID = Pattern.compile("ms-app://[A-Za-z0-9._-]+(/[A-Za-z0-9._-]*)*");
    private static final Pattern LINK_SECRET = Pattern.compile("[A-Za-z0-9_-]{16,128}");
    private static final Pattern PLATFORM = Pattern.compile("[a-z0-9-]{1,32}");
    /** A device endpoint path of this server: below {@code /mdm/<plugin>}, no segment starting with a dot. */
    private static final Pattern DEVICE_ENDPOINT_PATH = Pattern.compile("/mdm/[a-z0-9][a-z0-9-]{0,63}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}){1,8}");
    private static final int MAX_FORM_BYTES = 8 * 1024;
    private static final int MAX_FIELD_CHARS = 1024;
    /** Where a "Sign in with …" link starts the kernel's single sign-on. */
    private static final String SSO_START = "/api/v1/auth/sso/";
    /** What a refused single sign-on's code means (the callback sends codes only, so a link cannot put words here). */
    private static final Map<String, String> SSO_REFUSALS = Map.of(
            "sso-expired", "The sign-in took too long, or was already used. Please start again.",
            "sso-refused", "Your organisation's sign-in did not succeed. Please try again.",
            "sso-account", "Your account cannot enroll a device here. Ask your IT department.",
            "sso-unavailable", "Signing in with your organisation is not available right now. Try again later.");
    // The page posts to itself, and to the client's ms-app:// address (Windows) or is redirected from there to Apple's
    // callback scheme (which form-action governs too); nothing else may load, frame it or be posted to.
    private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "form-action %s; frame-ancestors 'none'; base-uri 'none'";

    private final PortalSignIn signIn;
    private final SignInProviders providers;
    private final SignInCodes codes;
    private final EnrollmentTokens tokens;
    private final DirectoryService directory;
    private final AuditLog audit;
    private final Json json;
    private final HttpIo io;
    private final Predicate<String> deviceEndpoint;
    private final byte[] script;

    /**
     * @param providers the single sign-on providers offered beside the password form
     * @param deviceEndpoint whether a platform plugin's device endpoint serves a path ({@code /mdm/<plugin>/...}) now:
     *        the only return addresses that get a one-time code
     */
    public EnrollmentSignInPage(PortalSignIn signIn, SignInProviders providers, SignInCodes codes, EnrollmentTokens tokens,
                                DirectoryService directory, AuditLog audit, Json json, HttpIo io, Predicate<String> deviceEndpoint) {
        this.signIn = requireNonNull(signIn, "signIn is null");
        this.providers = requireNonNull(providers, "providers is null");
        this.json = requireNonNull(json, "json is null");
        this.codes = requireNonNull(codes, "codes is null");
        this.tokens = requireNonNull(tokens, "tokens is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.io = requireNonNull(io, "io is null");
        this.deviceEndpoint = requireNonNull(deviceEndpoint, "deviceEndpoint is null");
        try (InputStream in = EnrollmentSignInPage.class.getResourceAsStream("sign-in.js")) {
            this.script = requireNonNull(in, "sign-in.js is missing from the classpath").readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @param path the path below {@link EnrollmentHandler#MOUNT}: {@link #PATH} or {@link #SCRIPT} */
    void handle(HttpServerExchange exchange, String path) throws IOException {
        String method = exchange.getRequestMethod().toString();
        if (path.equals(SCRIPT)) {
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
                io.sendProblem(exchange, Problem.methodNotAllowed(method));
                return;
            }
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/javascript; charset=utf-8");
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
            exchange.getResponseSender().send(ByteBuffer.wrap(script));
            return;
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            Map<String, String> query = new HashMap<>();
            exchange.getQueryParameters().forEach((name, values) -> query.put(name, Optional.ofNullable(values).map(Deque::peekFirst).orElse("")));
            // A refused single sign-on comes back here with its code (never free text, which a link could forge).
            Optional<String> refusal = Optional.ofNullable(query.get("sso-error")).map(code -> SSO_REFUSALS.getOrDefault(code,
                    "Signing in with your organisation did not succeed. Try again."));
            if (APPLE_CLIENT.equals(query.get("client"))) {
                Optional<Destination> apple = appleAccount(query);
                if (apple.isEmpty()) {
                    send(exchange, 400, signInPage(Optional.empty(), "", Optional.of("This page signs you in for your device's enrollment;"
                            + " start it again from your device's settings.")));
                    return;
                }
                send(exchange, 200, signInPage(apple, ((AppleAccount) apple.get()).userIdentifier().orElse(""), refusal),
                        apple.get().formAction());
                return;
            }
            if (query.containsKey("return")) {
                // A platform plugin's page sent the person here, and gets a one-time code back at its own path.
                Optional<Destination> back = destination(query);
                if (back.isEmpty()) {
                    send(exchange, 400, signInPage(Optional.empty(), "", Optional.of("This page was opened with a return address that is"
                            + " not one of this server's device enrollments. Start the enrollment again on your device.")));
                    return;
                }
                send(exchange, 200, signInPage(back, "", refusal), back.get().formAction());
                return;
            }
            if (query.containsKey("link")) {
                // An enrollment link's sign-in, back from a refused single sign-on.
                Optional<Destination> link = destination(query);
                send(exchange, link.isPresent() ? 200 : 400, signInPage(link, "", link.isPresent() ? refusal : Optional.of("This enrollment"
                        + " link is not one this page can sign you in for. Open the link you were given again.")));
                return;
            }
            Optional<String> appId = appId(query.get("appru"));
            if (appId.isEmpty()) {
                send(exchange, 400, signInPage(Optional.empty(), "", Optional.of("This page signs you in for a device's enrollment; open it"
                        + " from the device's enrollment, which gives it where to return (appru, an ms-app:// address).")));
                return;
            }
            send(exchange, 200, signInPage(Optional.of(new ClientApp(appId.get())), clip(query.getOrDefault("login_hint", "")), refusal));
            return;
        }
        if (!method.equals("POST")) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD, POST");
            io.sendProblem(exchange, Problem.methodNotAllowed(method));
            return;
        }
        Optional<byte[]> body = HttpIo.readBounded(exchange, MAX_FORM_BYTES);
        if (body.isEmpty()) {
            io.sendProblem(exchange, Problem.of(413, "payload-too-large", "Payload too large", "The form may be at most " + MAX_FORM_BYTES + " bytes."));
            return;
        }
        Map<String, String> form;
        try {
            form = form(new String(body.get(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            io.sendProblem(exchange, Problem.badRequest("The form is not URL-encoded: " + e.getMessage()));
            return;
        }
        Optional<Destination> destination = destination(form);
        String username = clip(form.getOrDefault("username", "").trim());
        if (destination.isEmpty()) {
            send(exchange, 400, signInPage(Optional.empty(), username, Optional.of("The form does not say where to return (appru, an ms-app://"
                    + " address, or the enrollment link).")));
            return;
        }
        char[] password = form.getOrDefault("password", "").toCharArray();
        if (username.isEmpty() || password.length == 0) {
            send(exchange, 400, signInPage(destination, username, Optional.of("Type your username and your password.")),
                    destination.get().formAction());
            return;
        }
        PortalSignIn.Outcome outcome;
        try {
            outcome = signIn.signIn(username, password, AdminAuthenticator.remote(exchange));
        } finally {
            Arrays.fill(password, '\0');
        }
        // A person the directory deactivated is refused like a wrong password: nothing tells an attacker more.
        Optional<DirectoryUser> signedIn = outcome instanceof PortalSignIn.Outcome.SignedIn success
                ? directory.get(success.userId()).filter(DirectoryUser::active) : Optional.empty();
        if (signedIn.isPresent()) {
            signedIn(exchange, destination.get(), signedIn.get(), Optional.empty());
        } else if (outcome instanceof PortalSignIn.Outcome.Locked locked) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(Math.max(1, locked.retryAfter().toSeconds())));
            send(exchange, 429, signInPage(destination, username, Optional.of("Too many failed attempts: try again in "
                    + Math.max(1, locked.retryAfter().toMinutes()) + " minutes.")), destination.get().formAction());
        } else {
            send(exchange, 401, signInPage(destination, username, Optional.of("The username or password is wrong.")),
                    destination.get().formAction());
        }
    }

    /**
     * Goes on with the enrollment once its person has signed in, by password or single sign-on alike: audits the
     * sign-in and hands the client what it came for (a one-time code posted to the Windows client's ms-app:// address,
     * Apple's token, or the person's own enrollment link).
     *
     * @param person the directory's active person who signed in
     * @param provider the single sign-on provider that signed them in; empty for a password
     */
    private void signedIn(HttpServerExchange exchange, Destination destination, DirectoryUser person, Optional<String> provider) {
        String userId = person.id();
        audit.append(new AuditRecord(Actor.user(userId), "user.enrollment_sign_in", "user", userId, Optional.empty(),
                provider.map(id -> json.write(Map.of("provider", id, "remote", AdminAuthenticator.remote(exchange))))));
        if (destination instanceof ClientApp app) {
            send(exchange, 200, returnPage(app.appId(), codes.issue(userId, DirectorySignIn.ENROLLMENT_CODE)), app.formAction());
            return;
        }
        if (destination instanceof AppleAccount apple) {
            handToApple(exchange, apple, person);
            return;
        }
        if (destination instanceof DeviceReturn back) {
            // The code, for the plugin to redeem, goes to the plugin's own path on this server, with its state.
            exchange.setStatusCode(303);
            exchange.getResponseHeaders().put(Headers.LOCATION, back.path() + "?code="
                    + URLEncoder.encode(codes.issue(userId, DirectorySignIn.ENROLLMENT_CODE), StandardCharsets.UTF_8)
                    + "&state=" + back.state());
            exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
            exchange.getResponseHeaders().put(new HttpString("Referrer-Policy"), "no-referrer");
            exchange.endExchange();
            return;
        }
        Link link = (Link) destination;
        Optional<IssuedEnrollmentToken> own = tokens.issueForSignedInUser(link.secret(), userId, person.username());
        if (own.isEmpty()) {
            send(exchange, 404, document("Enrollment link", "<h1>This enrollment link no longer works</h1><p role=\"alert\">It is unknown,"
                    + " used up, expired or revoked. Ask your IT department for a new one.</p>", false));
            return;
        }
        // The person's own one-time link: the platform's enrollment for a device that is theirs.
        exchange.setStatusCode(303);
        exchange.getResponseHeaders().put(Headers.LOCATION, link.withSecret(own.get().secret()));
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseHeaders().put(new HttpString("Referrer-Policy"), "no-referrer");
        exchange.endExchange();
    }

    /**
     * The context a single sign-on for this page keeps sealed in its flow: the page's fields (which client, its
     * return address or link), validated as the password form's are.
     *
     * @param fields the "Sign in with …" link's query parameters
     * @return the context, on one line; empty when the fields name no client this page serves
     */
    public Optional<String> ssoContext(Map<String, String> fields) {
        requireNonNull(fields, "fields is null");
        return destination(fields).map(EnrollmentSignInPage::query);
    }

    /**
     * Where a refused single sign-on sends the browser: this page, for the same client, with the refusal's code.
     *
     * @param context a context {@link #ssoContext} made
     * @param refusalCode the refusal's code, such as {@code sso-expired}
     */
    public String ssoRetryAddress(String context, String refusalCode) {
        requireNonNull(context, "context is null");
        requireNonNull(refusalCode, "refusalCode is null");
        return UserAuthenticator.ENROLLMENT_SIGN_IN_PATH + "?" + context + "&sso-error=" + URLEncoder.encode(refusalCode, StandardCharsets.UTF_8);
    }

    /**
     * Finishes an enrollment sign-in through single sign-on, as a right password does: answers the exchange.
     *
     * @param context the context {@link #ssoContext} made, from the flow the callback took
     * @param person the active directory person the provider's identity was admitted as
     * @param provider the single sign-on provider's id
     * @throws IllegalArgumentException when the context is not one this page made
     */
    public void finishSso(HttpServerExchange exchange, String context, DirectoryUser person, String provider) {
        requireNonNull(exchange, "exchange is null");
        requireNonNull(person, "person is null");
        requireNonNull(provider, "provider is null");
        Destination destination = destination(form(requireNonNull(context, "context is null")))
                .orElseThrow(() -> new IllegalArgumentException("the single sign-on's context names no enrollment client"));
        if (!person.active()) {
            throw new IllegalArgumentException("the directory has deactivated " + person.username());
        }
        signedIn(exchange, destination, person, Optional.of(provider));
    }

    /** The "Sign in with …" links of the available single sign-on providers, each carrying the page's context. */
    private String singleSignOnLinks(Destination destination) {
        List<SignInProviders.Listed> available = providers.list();
        if (available.isEmpty()) {
            return "";
        }
        StringBuilder links = new StringBuilder("<p>Or sign in with your organisation:</p><ul class=\"sso-providers\">");
        for (SignInProviders.Listed provider : available) {
            String href = SSO_START + URLEncoder.encode(provider.id(), StandardCharsets.UTF_8) + "?for=enrollment&" + query(destination);
            links.append("<li><a class=\"button\" href=\"").append(escape(href)).append("\">").append(escape(provider.displayName()))
                    .append("</a></li>");
        }
        return links.append("</ul>").toString();
    }

    /**
     * Spends one use of the link on the person's own one-time token and hands it to Apple's callback scheme; refused
     * when the device was given another person's Managed Apple Account.
     */
    private void handToApple(HttpServerExchange exchange, AppleAccount apple, DirectoryUser person) {
        if (apple.userIdentifier().filter(account -> !account.equalsIgnoreCase(person.email())).isPresent()) {
            send(exchange, 403, signInPage(Optional.of(apple), person.username(), Optional.of("You signed in as " + person.username()
                    + ", whose e-mail address is not " + apple.userIdentifier().get() + ", the account this device enrolls with."
                    + " Sign in as that account's owner.")), apple.formAction());
            return;
        }
        // The token names the person's Managed Apple Account, their e-mail address: the platform plugin profiles the
        // device for the account its BaseURL names only when it is this one, whether or not the device named it here.
        Optional<String> binding = Optional.of(person.email()).filter(email -> !email.isBlank()).map(EnrollmentSignInPage::appleAccountBinding);
        Optional<IssuedEnrollmentToken> own = tokens.issueForSignedInUser(apple.secret(), person.id(), person.username(), binding);
        if (own.isEmpty()) {
            send(exchange, 404, document("Enrollment", "<h1>This enrollment no longer works</h1><p role=\"alert\">Its link is unknown,"
                    + " used up, expired or revoked. Ask your IT department.</p>", false));
            return;
        }
        exchange.setStatusCode(308);
        exchange.getResponseHeaders().put(Headers.LOCATION, APPLE_CALLBACK + "?access-token="
                + URLEncoder.encode(own.get().secret(), StandardCharsets.UTF_8));
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseHeaders().put(new HttpString("Referrer-Policy"), "no-referrer");
        exchange.endExchange();
    }

    /**
     * What the token handed to Apple ends with, after a dot: the SHA-256, in lower-case hex, of the signed-in person's
     * e-mail address in lower case. The Apple plugins ({@code AccountDrivenEnrollment}) compute the same of the
     * account the device enrolls with and refuse a token whose ending differs; the ending is part of the secret the
     * kernel checks, so it cannot be changed.
     */
    static String appleAccountBinding(String email) {
        return Secrets.sha256(email.toLowerCase(Locale.ROOT));
    }

    /**
     * The sign-in page of an enrollment link that asks for the user's directory sign-in, shown in place of the
     * platform's enrollment.
     *
     * @param secret the link's secret
     * @param platform the link's {@code ?platform=}, carried to the person's own link
     * @param mode the link's {@code ?mode=}, likewise
     */
    void showLinkSignIn(HttpServerExchange exchange, String secret, Optional<String> platform, Optional<String> mode) {
        send(exchange, 200, signInPage(Optional.of(new Link(secret, platform.filter(value -> PLATFORM.matcher(value).matches()),
                mode.filter(EnrollmentInvitation.USER_MODE::equals))), "", Optional.empty()));
    }

    /**
     * Where a sign-in returns: an enrollment client's ms-app:// address, an enrollment link that asks for it, or Apple's
     * account-driven enrollment.
     */
    private sealed interface Destination permits ClientApp, Link, AppleAccount, DeviceReturn {
        /** @return the form fields that carry it through the sign-in, in order */
        Map<String, String> fields();

        /** @return the hidden form fields that carry it through the sign-in */
        default String hiddenFields() {
            StringBuilder hidden = new StringBuilder();
            fields().forEach((name, value) -> hidden.append(hidden(name, value)));
            return hidden.toString();
        }

        /** @return the CSP form-action sources: the page itself, and where its answer goes */
        default String formAction() {
            return "'self' ms-app:";
        }
    }

    /**
     * Apple's account-driven enrollment: the person gets a one-time token of their own spent from a link that asks for
     * the sign-in, handed to {@link #APPLE_CALLBACK}.
     *
     * @param userIdentifier the Managed Apple Account the device enrolls with, which must be the signed-in person's
     */
    private record AppleAccount(String secret, Optional<String> userIdentifier) implements Destination {
        @Override
        public Map<String, String> fields() {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("client", APPLE_CLIENT);
            fields.put("link", secret);
            userIdentifier.ifPresent(value -> fields.put("user-identifier", value));
            return fields;
        }

        @Override
        public String formAction() {
            return "'self' apple-remotemanagement-user-login:";
        }
    }

    /**
     * A platform plugin's page on this server, which gets a one-time code at its path.
     *
     * @param path a path a device endpoint of this server serves
     * @param state the plugin's opaque value, handed back with the code
     */
    private record DeviceReturn(String path, String state) implements Destination {
        @Override
        public Map<String, String> fields() {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("return", path);
            fields.put("state", state);
            return fields;
        }

        @Override
        public String formAction() {
            return "'self'";
        }
    }

    /** @param appId the client's {@code ms-app://} address, which gets a one-time code */
    private record ClientApp(String appId) implements Destination {
        @Override
        public Map<String, String> fields() {
            return Map.of("appru", appId);
        }
    }

    /** An enrollment link: the person gets a one-time token of their own spent from it. */
    private record Link(String secret, Optional<String> platform, Optional<String> mode) implements Destination {
        @Override
        public Map<String, String> fields() {
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("link", secret);
            platform.ifPresent(value -> fields.put("platform", value));
            mode.ifPresent(value -> fields.put("mode", value));
            return fields;
        }

        /** @return the same link with another token's secret, keeping its platform and mode */
        String withSecret(String other) {
            StringBuilder query = new StringBuilder();
            platform.ifPresent(value -> query.append(query.isEmpty() ? "?" : "&").append("platform=").append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
            mode.ifPresent(value -> query.append(query.isEmpty() ? "?" : "&").append("mode=").append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
            return EnrollmentHandler.MOUNT + "/" + other + query;
        }
    }

    private Optional<Destination> destination(Map<String, String> form) {
        if (form.containsKey("return")) {
            String path = form.get("return");
            String state = form.getOrDefault("state", "");
            if (path.length() > 300 || !DEVICE_ENDPOINT_PATH.matcher(path).matches() || !deviceEndpoint.test(path)
                    || !LINK_SECRET.matcher(state).matches()) {
                return Optional.empty();
            }
            return Optional.of(new DeviceReturn(path, state));
        }
        if (form.containsKey("client")) {
            return APPLE_CLIENT.equals(form.get("client")) ? appleAccount(form) : Optional.empty();
        }
        if (form.containsKey("link")) {
            String secret = form.get("link");
            Optional<String> platform = Optional.ofNullable(form.get("platform")).filter(value -> !value.isEmpty());
            Optional<String> mode = Optional.ofNullable(form.get("mode")).filter(value -> !value.isEmpty());
            if (!LINK_SECRET.matcher(secret).matches() || platform.filter(value -> !PLATFORM.matcher(value).matches()).isPresent()
                    || mode.filter(value -> !value.equals(EnrollmentInvitation.USER_MODE)).isPresent()) {
                return Optional.empty();
            }
            return Optional.of(new Link(secret, platform, mode));
        }
        return appId(form.get("appru")).map(ClientApp::new);
    }

    /** Apple's account-driven enrollment, from the page's query or its form: a sign-in link, and the account if named. */
    private static Optional<Destination> appleAccount(Map<String, String> fields) {
        String secret = fields.getOrDefault("link", "");
        Optional<String> account = Optional.ofNullable(fields.get("user-identifier")).filter(value -> !value.isEmpty());
        if (!LINK_SECRET.matcher(secret).matches() || account.filter(value -> !MANAGED_ACCOUNT.matcher(value).matches()).isPresent()) {
            return Optional.empty();
        }
        return Optional.of(new AppleAccount(secret, account));
    }

    /** @return the destination's fields as a URL query, without {@code ?} */
    private static String query(Destination destination) {
        StringBuilder query = new StringBuilder();
        destination.fields().forEach((name, value) -> query.append(query.isEmpty() ? "" : "&").append(URLEncoder.encode(name, StandardCharsets.UTF_8))
                .append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return query.toString();
    }

    private static String hidden(String name, String value) {
        return "<input type=\"hidden\" name=\"" + name + "\" value=\"" + escape(value) + "\">";
    }

    private static Optional<String> appId(String value) {
        return Optional.ofNullable(value).filter(id -> id.length() <= 300 && APP_ID.matcher(id).matches());
    }

    private static String clip(String value) {
        return value.length() > 320 ? value.substring(0, 320) : value;
    }

    private static Map<String, String> form(String body) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
            if (value.length() > MAX_FIELD_CHARS) {
                throw new IllegalArgumentException(name + " is longer than " + MAX_FIELD_CHARS + " characters");
            }
            fields.putIfAbsent(name, value);
        }
        return fields;
    }

    private String signInPage(Optional<Destination> destination, String username, Optional<String> error) {
        String form = destination.map(to -> "<form method=\"post\" action=\"" + EnrollmentHandler.MOUNT + PATH + "\">"
                + to.hiddenFields()
                + "<label for=\"username\">Username</label>"
                + "<input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"" + escape(username) + "\""
                + (username.isEmpty() ? " autofocus" : "") + ">"
                + "<label for=\"password\">Password</label>"
                + "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required"
                + (username.isEmpty() ? "" : " autofocus") + ">"
                + "<button type=\"submit\">Sign in</button></form>" + singleSignOnLinks(to)).orElse("");
        return document("Sign in to enroll this device",
                "<h1>Sign in to enroll this device</h1><p>Use your work account: your device is then managed by your organisation"
                        + " and assigned to you.</p>"
                        + error.map(text -> "<p role=\"alert\" class=\"error\">" + escape(text) + "</p>").orElse("") + form, false);
    }

    private static String returnPage(String appId, String code) {
        return document("Signed in", "<h1>Signed in</h1><p>Returning to the enrollment of this device…</p>"
                + "<form id=\"return\" method=\"post\" action=\"" + escape(appId) + "\">"
                + "<input type=\"hidden\" name=\"wresult\" value=\"" + escape(code) + "\">"
                + "<button type=\"submit\">Continue</button></form>", true);
    }

    /** A whole page in the portal's look: title, styles, the body in a card; the sign-in script when it submits itself. */
    static String document(String title, String body, boolean autoSubmit) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>" + escape(title) + "</title><link rel=\"stylesheet\" href=\"/portal/assets/portal.css\">"
                + (autoSubmit ? "<script src=\"" + EnrollmentHandler.MOUNT + SCRIPT + "\" defer></script>" : "")
                + "</head><body><main class=\"card\">" + body + "</main></body></html>";
    }

    /** Text made safe inside HTML elements and quoted attributes. */
    static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> escaped.append("&amp;");
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&#39;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }

    /** Sends a page under the enrollment pages' Content-Security-Policy, never cached. */
    static void send(HttpServerExchange exchange, int status, String html) {
        send(exchange, status, html, "'self' ms-app:");
    }

    /** @param formAction where the page's forms may post (and be redirected): {@link Destination#formAction} */
    private static void send(HttpServerExchange exchange, int status, String html, String formAction) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(new HttpString("Content-Security-Policy"), CONTENT_SECURITY_POLICY.formatted(formAction));
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseHeaders().put(new HttpString("Referrer-Policy"), "no-referrer");
        exchange.getResponseSender().send(ByteBuffer.wrap(html.getBytes(StandardCharsets.UTF_8)));
    }
}
