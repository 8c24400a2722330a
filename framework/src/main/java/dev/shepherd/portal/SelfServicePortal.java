package dev.shepherd.portal;

import dev.shepherd.api.device.Device;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.app.AppCatalogService;
import dev.shepherd.app.AppInstallState;
import dev.shepherd.app.AppIntent;
import dev.shepherd.app.DeviceAppState;
import dev.shepherd.app.OfferedApp;
import dev.shepherd.audit.Actor;
import dev.shepherd.audit.AuditLog;
import dev.shepherd.audit.AuditRecord;
import dev.shepherd.device.DeviceFilter;
import dev.shepherd.device.DeviceRecord;
import dev.shepherd.device.DeviceService;
import dev.shepherd.device.DeviceSort;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.http.AdminApiHandler;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.http.HttpIo;
import dev.shepherd.http.Problem;
import dev.shepherd.json.Json;
import dev.shepherd.plugin.SignInProviders;
import dev.shepherd.security.AdminSessions;
import dev.shepherd.security.Secrets;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.Cookie;
import io.undertow.server.handlers.CookieImpl;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The self-service portal, {@code /portal}: a page where a device's user signs in with their directory account, sees
 * their devices and the apps offered to each, and installs or reinstalls an AVAILABLE app with one tap. Its API,
 * {@code /portal/api/…}, is apart from the admin API: its sessions are directory users' ({@code portal_session}, the
 * {@value #SESSION_COOKIE} cookie, scoped to {@code /portal}), it grants no admin permission, and no admin credential
 * opens it. Changes need the session's CSRF token in {@code X-CSRF-Token} and pass the admin API's cross-site guard.
 */
public final class SelfServicePortal {

    public static final String MOUNT = "/portal";
    public static final String SESSION_COOKIE = "shepherd_portal";
    private static final String API = MOUNT + "/api";
    private static final String ASSETS = MOUNT + "/assets";
    private static final String RESOURCES = "dev/shepherd/portal/";
    private static final int MAX_DEVICES = 100;
    /** The console's policy, but store icons are images on the stores' own hosts (over HTTPS). */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
            + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    record Credentials(String username, String password) {
        Credentials {
            requireNonNull(username, "username is null");
            requireNonNull(password, "password is null");
        }

        @Override
        public String toString() {
            return "Credentials[username=" + username + "]";
        }
    }

    record SignedIn(String username, String displayName, String csrfToken, Instant expiresAt) {
    }

    record Me(String username, String displayName, String email) {
    }

    /**
     * A "Sign in with …" button of the portal's sign-in page.
     *
     * @param url where it goes: the single sign-on start route, for the portal
     */
    record SignInOption(String id, String displayName, String url) {
    }

    record PortalDevice(String id, String name, String platform, String model, String osVersion, String serialNumber,
                        DeviceStatus status) {
    }

    /**
     * An app as the portal shows it.
     *
     * @param version the catalog's version
     * @param state where the device stands; REMOVED (not installed) for an AVAILABLE app never installed, PENDING for a
     *              REQUIRED one the reconciler has not reached yet
     * @param installable whether the user may tap Install (or Reinstall) now
     */
    record PortalApp(String appId, String name, String publisher, Optional<String> icon, Optional<String> version, AppIntent intent,
                     AppInstallState state, Optional<String> installedVersion, Optional<String> reason, boolean installable) {
    }

    private final PortalSignIn signIn;
    private final SignInProviders signInProviders;
    private final AdminSessions sessions;
    private final DirectoryService directory;
    private final DeviceService devices;
    private final AppCatalogService apps;
    private final AuditLog audit;
    private final Json json;
    private final Clock clock;
    private final byte[] page;
    private final ResourceHandler assets;
    private final AdminApiHandler api;
    private final HttpIo io;

    /**
     * @param sessions the portal's sessions ({@link AdminSessions#portal})
     * @param publicUrl the server's public base URL, an origin changes are accepted from besides the Host's own
     * @param signInProviders the single sign-on providers whose buttons the sign-in page shows
     */
    public SelfServicePortal(PortalSignIn signIn, AdminSessions sessions, DirectoryService directory, DeviceService devices,
                             AppCatalogService apps, AuditLog audit, Json json, Clock clock, HttpIo io, long maxBodyBytes,
                             Supplier<String> publicUrl, SignInProviders signInProviders) {
        this.signIn = requireNonNull(signIn, "signIn is null");
        this.signInProviders = requireNonNull(signInProviders, "signInProviders is null");
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.devices = requireNonNull(devices, "devices is null");
        this.apps = requireNonNull(apps, "apps is null");
        this.audit = requireNonNull(audit, "audit is null");
        this.json = requireNonNull(json, "json is null");
        this.clock = requireNonNull(clock, "clock is null");
        ClassLoader loader = SelfServicePortal.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(RESOURCES + "portal.html")) {
            if (in == null) {
                throw new IllegalStateException("the portal's portal.html is missing from the classpath");
            }
            this.page = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.assets = new ResourceHandler(new ClassPathResourceManager(loader, RESOURCES)).setDirectoryListingEnabled(false);
        this.io = requireNonNull(io, "io is null");
        this.api = AdminApiHandler.withoutAdmins(routes(), io, maxBodyBytes, publicUrl);
    }

    /** Everything under {@value #MOUNT}: the page, its scripts and styles, and its API. */
    public HttpHandler handler() {
        return exchange -> {
            String path = exchange.getRequestPath();
            if (path.equals(MOUNT) || path.equals(MOUNT + "/")) {
                servePage(exchange);
            } else if (path.startsWith(API + "/")) {
                api.handleRequest(exchange);
            } else if (path.startsWith(ASSETS + "/") && !path.endsWith("/") && !path.endsWith(".html")) {
                exchange.setRelativePath(path.substring(ASSETS.length()));
                exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
                assets.handleRequest(exchange);
            } else {
                io.sendProblem(exchange, Problem.notFound("There is nothing at " + path + "."));
            }
        };
    }

    private void servePage(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().equals(Methods.GET) && !exchange.getRequestMethod().equals(Methods.HEAD)) {
            exchange.setStatusCode(StatusCodes.METHOD_NOT_ALLOWED);
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
            exchange.endExchange();
            return;
        }
        exchange.getResponseHeaders().put(new HttpString("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
        exchange.getResponseSender().send(ByteBuffer.wrap(page));
    }

    private List<AdminRoute> routes() {
        return List.of(
                AdminRoute.open("POST", API + "/login").tag("portal").summary("A directory user signs in to the portal")
                        .body(Credentials.class).returns(SignedIn.class).handle(this::login),
                AdminRoute.open("GET", API + "/sign-in-providers").tag("portal")
                        .summary("The single sign-on providers to offer on the sign-in page").handle(request -> signInProviders.list().stream()
                                .map(provider -> new SignInOption(provider.id(), provider.displayName(),
                                        "/api/v1/auth/sso/" + provider.id() + "?for=portal")).toList()),
                AdminRoute.open("POST", API + "/logout").tag("portal").summary("Sign out of the portal").status(204).handle(request -> {
                    signedIn(request, true);
                    sessions.end(request.exchange().getRequestCookie(SESSION_COOKIE).getValue());
                    request.exchange().setResponseCookie(sessionCookie("").setMaxAge(0));
                    return ApiResponse.noContent();
                }),
                AdminRoute.open("GET", API + "/me").tag("portal").summary("The signed-in user").returns(Me.class).handle(request -> {
                    DirectoryUser user = signedIn(request, false);
                    return new Me(user.username(), user.displayName(), user.email());
                }),
                AdminRoute.open("GET", API + "/devices").tag("portal").summary("The signed-in user's devices").handle(request -> {
                    DirectoryUser user = signedIn(request, false);
                    return devices.search(DeviceFilter.builder().userId(user.id()).build(), DeviceSort.NAME, Optional.empty(), MAX_DEVICES)
                            .items().stream().map(DeviceRecord::device).filter(SelfServicePortal::managed).map(SelfServicePortal::shown).toList();
                }),
                AdminRoute.open("GET", API + "/devices/{deviceId}/apps").tag("portal").summary("The apps offered to one of the user's devices")
                        .handle(request -> {
                            Device device = ownDevice(request, signedIn(request, false));
                            return apps.offeredTo(device.id()).stream().map(SelfServicePortal::shown).toList();
                        }),
                AdminRoute.open("POST", API + "/devices/{deviceId}/apps/{appId}/install").tag("portal")
                        .summary("Install or reinstall an AVAILABLE app on one of the user's devices").status(202).handle(request -> {
                            DirectoryUser user = signedIn(request, true);
                            Device device = ownDevice(request, user);
                            String appId = request.path("appId");
                            Optional<DeviceAppState> requested = apps.requestInstall(user.id(), device.id(), appId);
                            if (requested.isEmpty()) {
                                boolean required = apps.offeredTo(device.id()).stream()
                                        .anyMatch(offered -> offered.app().id().equals(appId) && offered.intent() == AppIntent.REQUIRED);
                                throw required ? ApiException.forbidden("Your organisation installs this app for you; it cannot be installed from here.")
                                        : ApiException.notFound("No app with the id '" + appId + "' is offered to this device.");
                            }
                            return new ApiResponse(202, Optional.of(apps.offeredTo(device.id()).stream()
                                    .filter(offered -> offered.app().id().equals(appId)).map(SelfServicePortal::shown).findFirst()
                                    .orElseThrow()), Map.of());
                        }));
    }

    private Object login(ApiRequest request) {
        Credentials credentials = request.body(Credentials.class);
        char[] password = credentials.password().toCharArray();
        PortalSignIn.Outcome outcome;
        try {
            outcome = signIn.signIn(credentials.username(), password, request.remote());
        } finally {
            Arrays.fill(password, '\0');
        }
        if (outcome instanceof PortalSignIn.Outcome.Locked locked) {
            throw ApiException.signInLocked(request.exchange(), locked.retryAfter());
        }
        if (!(outcome instanceof PortalSignIn.Outcome.SignedIn signedIn)) {
            throw new ApiException(Problem.of(401, "unauthorized", "Sign-in failed", "The username or password is wrong."));
        }
        // A person their identity provider deactivated is refused like a wrong password: nothing tells an attacker more.
        DirectoryUser user = directory.get(signedIn.userId()).filter(DirectoryUser::active)
                .orElseThrow(() -> new ApiException(Problem.of(401, "unauthorized", "Sign-in failed", "The username or password is wrong.")));
        AdminSessions.Started session = sessions.start(user.id(), request.remote());
        audit.append(new AuditRecord(Actor.user(user.id()), "portal.login", "user", user.id(), Optional.empty(),
                Optional.of(json.write(Map.of("remote", request.remote())))));
        request.exchange().setResponseCookie(sessionCookie(session.id())
                .setMaxAge((int) Duration.between(clock.instant(), session.expiresAt()).toSeconds()));
        return new SignedIn(user.username(), user.displayName(), session.csrfToken(), session.expiresAt());
    }

    /**
     * The signed-in user of a request, from the portal cookie only (an admin session means nothing here).
     *
     * @param change whether the request changes something, and so must carry the session's CSRF token
     */
    private DirectoryUser signedIn(ApiRequest request, boolean change) {
        Cookie cookie = request.exchange().getRequestCookie(SESSION_COOKIE);
        Optional<AdminSessions.Live> live = cookie == null ? Optional.empty() : sessions.find(cookie.getValue());
        Optional<DirectoryUser> user = live.flatMap(session -> directory.get(session.username())).filter(DirectoryUser::active);
        if (user.isEmpty()) {
            throw new ApiException(Problem.of(401, "unauthorized", "Sign in first", "Sign in to the portal with your account."));
        }
        if (change) {
            String presented = request.header(AdminApiHandler.CSRF_HEADER).orElse("");
            if (!Secrets.equal(Secrets.sha256(presented), live.get().csrfHash())) {
                throw new ApiException(Problem.of(403, "csrf", "Missing or wrong CSRF token",
                        "Changes must carry the session's token in the " + AdminApiHandler.CSRF_HEADER + " header."));
            }
        }
        return user.get();
    }

    /** The device of the path, when it is the user's and still managed; another's is as good as absent (404). */
    private Device ownDevice(ApiRequest request, DirectoryUser user) {
        String text = request.path("deviceId");
        Optional<Device> device;
        try {
            device = devices.get(DeviceId.parse(text)).map(DeviceRecord::device);
        } catch (IllegalArgumentException malformed) {
            device = Optional.empty();
        }
        return device.filter(found -> found.userId().equals(Optional.of(user.id())) && managed(found))
                .orElseThrow(() -> ApiException.notFound("You have no device with the id '" + text + "'."));
    }

    private static boolean managed(Device device) {
        return device.status() != DeviceStatus.RETIRED && device.status() != DeviceStatus.WIPED;
    }

    /** The portal's session cookie, for a session started here or by a single sign-on. */
    public static CookieImpl sessionCookie(String value) {
        // Secure always: the portal is meant to be reached over HTTPS (directly or through a proxy); browsers accept it
        // from http://localhost too.
        return (CookieImpl) new CookieImpl(SESSION_COOKIE, value).setPath(MOUNT).setHttpOnly(true).setSecure(true).setSameSiteMode("Strict");
    }

    private static PortalDevice shown(Device device) {
        return new PortalDevice(device.id().toString(), device.name(), device.platform().id(), device.model(), device.osVersion(),
                device.serialNumber(), device.status());
    }

    private static PortalApp shown(OfferedApp offered) {
        AppInstallState state = offered.state().map(DeviceAppState::state)
                .orElse(offered.intent() == AppIntent.AVAILABLE ? AppInstallState.REMOVED : AppInstallState.PENDING);
        return new PortalApp(offered.app().id(), offered.app().name(), offered.app().publisher(), offered.app().icon(),
                offered.app().version(), offered.intent(), state, offered.state().flatMap(DeviceAppState::installedVersion),
                offered.state().flatMap(DeviceAppState::reason),
                offered.intent() == AppIntent.AVAILABLE && state != AppInstallState.INSTALLING);
    }
}
