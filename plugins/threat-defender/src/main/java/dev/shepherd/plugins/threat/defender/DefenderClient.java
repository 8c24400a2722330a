package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.shepherd.api.threat.ThreatDefenseException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A client of the Microsoft Defender for Endpoint API for one app registration, as {@code LocalDefender} in the tests
 * describes the contract: an app-only token from Entra's token endpoint (client credentials, scope
 * {@value #SCOPE}), cached until shortly before it expires and fetched anew when Defender answers 401; the machines
 * list with OData {@code $filter}/{@code $top}, followed through {@code @odata.nextLink} (only on the configured API
 * root, so the token never goes elsewhere); a machine's alerts. Calls stay within Defender's rate limits
 * ({@link CallBudget}); 429 and 503 become a {@link ThreatDefenseException} with Defender's {@code Retry-After}.
 * Answers are read up to {@link DefenderSettings#maxResponseBytes()} and parsed with bounded nesting. Messages are
 * written for admins and never carry the secret.
 */
public final class DefenderClient {

    /** The Defender API's resource, as Microsoft's app-only token example asks for it. */
    public static final String SCOPE = "https://api.securitycenter.microsoft.com/.default";
    private static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(60);
    private static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);
    private static final int MAX_MESSAGE = 300;
    private static final DateTimeFormatter ODATA_INSTANT = DateTimeFormatter.ISO_INSTANT;

    private final DefenderCredentials credentials;
    private final DefenderSettings settings;
    private final HttpClient http;
    private final Clock clock;
    private final CallBudget budget;
    private final ObjectMapper json = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build()).build()).build();
    private AccessToken token;

    /** Entra refused the app's credentials: the admin must correct them; trying again does not help. */
    public static final class CredentialsRefusedException extends ThreatDefenseException {
        private static final long serialVersionUID = 1L;

        CredentialsRefusedException(String message) {
            super(message);
        }
    }

    /** A token and when to stop using it. */
    private record AccessToken(String value, Instant refreshAt) {
    }

    /** A machine as Defender lists it: the fields the plugin reads. */
    public record Machine(String id, Optional<String> computerDnsName, Optional<String> osPlatform, Optional<String> riskScore,
                          Optional<String> exposureLevel, Optional<String> healthStatus, Optional<String> aadDeviceId,
                          Optional<Instant> lastSeen, List<String> machineTags) {
        /** Validates and copies every part. */
        public Machine {
            requireNonNull(id, "id is null");
            requireNonNull(computerDnsName, "computerDnsName is null");
            requireNonNull(osPlatform, "osPlatform is null");
            requireNonNull(riskScore, "riskScore is null");
            requireNonNull(exposureLevel, "exposureLevel is null");
            requireNonNull(healthStatus, "healthStatus is null");
            requireNonNull(aadDeviceId, "aadDeviceId is null");
            requireNonNull(lastSeen, "lastSeen is null");
            machineTags = List.copyOf(machineTags);
        }
    }

    /** One page of machines and the link to the next, absent on the last. */
    public record MachinePage(List<Machine> machines, Optional<URI> nextLink) {
        /** Validates and copies every part. */
        public MachinePage {
            machines = List.copyOf(machines);
            requireNonNull(nextLink, "nextLink is null");
        }
    }

    /** An alert on a machine: the fields the plugin reads. */
    public record Alert(String id, String title, String severity, Optional<String> category, String status,
                        Optional<Instant> firstEventTime, Optional<Instant> lastEventTime, Optional<Instant> alertCreationTime,
                        Optional<Instant> lastUpdateTime) {
        /** Validates every part. */
        public Alert {
            requireNonNull(id, "id is null");
            requireNonNull(title, "title is null");
            requireNonNull(severity, "severity is null");
            requireNonNull(category, "category is null");
            requireNonNull(status, "status is null");
            requireNonNull(firstEventTime, "firstEventTime is null");
            requireNonNull(lastEventTime, "lastEventTime is null");
            requireNonNull(alertCreationTime, "alertCreationTime is null");
            requireNonNull(lastUpdateTime, "lastUpdateTime is null");
        }

        /** @return whether the alert still stands: Defender's statuses are Unknown, New, InProgress and Resolved */
        public boolean active() {
            return !"Resolved".equalsIgnoreCase(status);
        }
    }

    /**
     * @param credentials the app registration and API root
     * @param settings how to reach Microsoft
     * @param http the HTTP client
     * @param clock the server's clock
     * @param budget the calls left within Defender's rate limits, shared by every client of the plugin
     */
    DefenderClient(DefenderCredentials credentials, DefenderSettings settings, HttpClient http, Clock clock, CallBudget budget) {
        this.credentials = requireNonNull(credentials, "credentials is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.http = requireNonNull(http, "http is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.budget = requireNonNull(budget, "budget is null");
    }

    /** @return an HTTP client fit for Microsoft's endpoints */
    static HttpClient newHttpClient(DefenderSettings settings) {
        return HttpClient.newBuilder().connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * The first page of machines: every machine, or those whose {@code lastSeen} is after an instant, narrowed to the
     * machine tag when one is set.
     *
     * @param seenAfter when present, only machines seen after it
     * @return the page's URL, to pass to {@link #machines(URI)}
     */
    public URI firstMachinesPage(Optional<Instant> seenAfter) {
        List<String> clauses = new ArrayList<>();
        seenAfter.ifPresent(after -> clauses.add("lastSeen gt " + ODATA_INSTANT.format(after)));
        credentials.machineTag().ifPresent(tag -> clauses.add("machineTags/any(tag: tag eq '" + tag.replace("'", "''") + "')"));
        StringBuilder query = new StringBuilder("$top=").append(settings.pageSize());
        if (!clauses.isEmpty()) {
            query.append("&$filter=").append(encode(String.join(" and ", clauses)));
        }
        return URI.create(credentials.apiBaseUrl() + "/api/machines?" + query);
    }

    /**
     * Reads one page of machines.
     *
     * @param page {@link #firstMachinesPage} or a page's {@link MachinePage#nextLink()}
     * @return the page
     * @throws ThreatDefenseException when Defender or Entra refuses or fails, or the rate limit is reached
     */
    public MachinePage machines(URI page) throws ThreatDefenseException, InterruptedException {
        requireNonNull(page, "page is null");
        checkOnApi(page);
        Optional<JsonNode> body = get(page, true);
        if (body.isEmpty()) {
            return new MachinePage(List.of(), Optional.empty()); // "If there are no recent machines, you see 404 Not Found."
        }
        List<Machine> machines = new ArrayList<>();
        for (JsonNode node : values(body.get())) {
            Optional<String> id = text(node, "id");
            if (id.isEmpty()) {
                continue;
            }
            List<String> tags = new ArrayList<>();
            node.path("machineTags").forEach(tag -> tags.add(tag.asText()));
            machines.add(new Machine(id.get(), text(node, "computerDnsName"), text(node, "osPlatform"), text(node, "riskScore"),
                    text(node, "exposureLevel"), text(node, "healthStatus"), text(node, "aadDeviceId"), instant(node, "lastSeen"), tags));
        }
        Optional<URI> next;
        Optional<String> nextLink = text(body.get(), "@odata.nextLink");
        if (nextLink.isPresent()) {
            try {
                next = Optional.of(URI.create(nextLink.get()));
            } catch (IllegalArgumentException e) {
                throw new ThreatDefenseException("Defender answered with a malformed next-page link");
            }
            checkOnApi(next.get());
        } else {
            next = followingPage(page, values(body.get()).size());
        }
        return new MachinePage(machines, next);
    }

    /**
     * Without a server-driven {@code @odata.nextLink}, a page as full as its {@code $top} asked may have a
     * successor: the same query with {@code $skip} moved on (the paging Defender's list documents).
     */
    private static Optional<URI> followingPage(URI page, int returned) {
        Map<String, String> query = new LinkedHashMap<>();
        for (String pair : Optional.ofNullable(page.getRawQuery()).orElse("").split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                query.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8), pair.substring(equals + 1));
            }
        }
        int top;
        int skip;
        try {
            top = Integer.parseInt(query.getOrDefault("$top", "0"));
            skip = Integer.parseInt(query.getOrDefault("$skip", "0"));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (top <= 0 || returned < top) {
            return Optional.empty();
        }
        query.put("$skip", String.valueOf(skip + returned));
        String rawQuery = query.entrySet().stream().map(entry -> entry.getKey() + "=" + entry.getValue()).collect(Collectors.joining("&"));
        return Optional.of(URI.create(page.getScheme() + "://" + page.getRawAuthority() + page.getRawPath() + "?" + rawQuery));
    }

    /**
     * The alerts of one machine ({@code GET /api/machines/{id}/alerts}).
     *
     * @param machineId the machine's id
     * @return its alerts, empty when Defender no longer knows the machine
     * @throws ThreatDefenseException when Defender or Entra refuses or fails, or the rate limit is reached
     */
    public List<Alert> alerts(String machineId) throws ThreatDefenseException, InterruptedException {
        requireNonNull(machineId, "machineId is null");
        URI url = URI.create(credentials.apiBaseUrl() + "/api/machines/" + encode(machineId).replace("+", "%20") + "/alerts");
        Optional<JsonNode> body = get(url, true);
        List<Alert> alerts = new ArrayList<>();
        for (JsonNode node : body.map(DefenderClient::values).orElse(List.of())) {
            Optional<String> id = text(node, "id");
            if (id.isEmpty()) {
                continue;
            }
            alerts.add(new Alert(id.get(), text(node, "title").orElse("Defender alert " + id.get()), text(node, "severity").orElse("UnSpecified"),
                    text(node, "category"), text(node, "status").orElse("Unknown"), instant(node, "firstEventTime"),
                    instant(node, "lastEventTime"), instant(node, "alertCreationTime"), instant(node, "lastUpdateTime")));
        }
        return alerts;
    }

    /** @return whether one more call to Defender fits in the rate limits now */
    public boolean canCall() {
        return budget.available();
    }

    /** Fetches a token now: checks the credentials without reading any data. */
    public void checkCredentials() throws ThreatDefenseException, InterruptedException {
        freshToken(true);
    }

    private Optional<JsonNode> get(URI url, boolean mayRefresh) throws ThreatDefenseException, InterruptedException {
        Optional<Duration> wait = budget.take();
        if (wait.isPresent()) {
            throw new ThreatDefenseException("Stopped before Defender's rate limit (" + settings.callsPerMinute() + " calls a minute, "
                    + settings.callsPerHour() + " an hour)", atLeastOneSecond(wait.get()));
        }
        String bearer = freshToken(false);
        HttpRequest request = HttpRequest.newBuilder(url).timeout(settings.timeout()).header("Authorization", "Bearer " + bearer)
                .header("Accept", "application/json").GET().build();
        HttpResponse<InputStream> response = send(request, "Defender's API");
        int status = response.statusCode();
        byte[] body = read(response);
        if (status == 200) {
            return Optional.of(parse(body, "Defender's API"));
        }
        if (status == 401 && mayRefresh) {
            synchronized (this) {
                if (token != null && token.value().equals(bearer)) {
                    token = null;
                }
            }
            return get(url, false);
        }
        String reason = odataError(body);
        switch (status) {
            case 401 -> throw new ThreatDefenseException("Defender refuses the app's token even when just issued (" + reason
                    + "): check that the app registration has the WindowsDefenderATP application permissions Machine.Read.All and "
                    + "Alert.Read.All with admin consent");
            case 403 -> throw new ThreatDefenseException("Defender refuses the app access (" + reason + "): grant the app registration the "
                    + "WindowsDefenderATP application permissions Machine.Read.All and Alert.Read.All and give admin consent");
            case 404 -> {
                return Optional.empty();
            }
            case 429 -> throw new ThreatDefenseException("Defender is throttling the app (429 " + reason + ")", retryAfter(response));
            case 503 -> throw new ThreatDefenseException("Defender is unavailable (503 " + reason + ")", retryAfter(response));
            default -> throw new ThreatDefenseException("Defender's API answered " + status + " to " + url.getPath() + " (" + reason + ")");
        }
    }

    private String freshToken(boolean force) throws ThreatDefenseException, InterruptedException {
        synchronized (this) {
            if (!force && token != null && clock.instant().isBefore(token.refreshAt())) {
                return token.value();
            }
        }
        URI tokenUrl = URI.create(settings.loginUrl() + "/" + encode(credentials.tenantId()) + "/oauth2/v2.0/token");
        String form = "grant_type=client_credentials&client_id=" + encode(credentials.clientId()) + "&client_secret="
                + encode(credentials.clientSecret()) + "&scope=" + encode(SCOPE);
        HttpRequest request = HttpRequest.newBuilder(tokenUrl).timeout(settings.timeout())
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build();
        HttpResponse<InputStream> response = send(request, "Entra's token endpoint");
        byte[] body = read(response);
        if (response.statusCode() != 200) {
            Optional<JsonNode> error = tryParse(body);
            String code = error.flatMap(node -> text(node, "error")).orElse("HTTP " + response.statusCode());
            String description = error.flatMap(node -> text(node, "error_description")).map(DefenderClient::firstLine).orElse("");
            if (response.statusCode() == 429 || response.statusCode() == 503) {
                throw new ThreatDefenseException("Entra's token endpoint is busy (" + code + ")", retryAfter(response));
            }
            if (response.statusCode() >= 500) {
                throw new ThreatDefenseException("Entra's token endpoint failed (" + response.statusCode() + " " + code + ")");
            }
            throw new CredentialsRefusedException("Entra refuses the app's credentials (" + code + (description.isEmpty() ? "" : ": " + description)
                    + "): check the tenant id, the client id and the client secret's value, and that the secret has not expired");
        }
        JsonNode node = parse(body, "Entra's token endpoint");
        Optional<String> value = text(node, "access_token");
        long expiresIn = node.path("expires_in").asLong(0);
        if (value.isEmpty() || expiresIn <= 0) {
            throw new ThreatDefenseException("Entra's token endpoint answered without an access token");
        }
        Duration lifetime = Duration.ofSeconds(expiresIn);
        Duration margin = lifetime.dividedBy(2).compareTo(REFRESH_BEFORE_EXPIRY) < 0 ? lifetime.dividedBy(2) : REFRESH_BEFORE_EXPIRY;
        synchronized (this) {
            token = new AccessToken(value.get(), clock.instant().plus(lifetime).minus(margin));
        }
        return value.get();
    }

    private HttpResponse<InputStream> send(HttpRequest request, String what) throws ThreatDefenseException, InterruptedException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new ThreatDefenseException(what + " cannot be reached at " + request.uri().getScheme() + "://" + request.uri().getAuthority()
                    + ": " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + firstLine(e.getMessage())), e);
        }
    }

    private byte[] read(HttpResponse<InputStream> response) throws ThreatDefenseException {
        try (InputStream in = response.body()) {
            byte[] body = in.readNBytes(settings.maxResponseBytes() + 1);
            if (body.length > settings.maxResponseBytes()) {
                throw new ThreatDefenseException("An answer from " + response.uri().getAuthority() + " is larger than "
                        + settings.maxResponseBytes() + " bytes (plugin setting maxResponseBytes); lower pageSize");
            }
            return body;
        } catch (IOException e) {
            throw new ThreatDefenseException("The answer from " + response.uri().getAuthority() + " broke off: " + e.getMessage(), e);
        }
    }

    private JsonNode parse(byte[] body, String what) throws ThreatDefenseException {
        return tryParse(body).orElseThrow(() -> new ThreatDefenseException(what + " answered with something other than JSON"));
    }

    private Optional<JsonNode> tryParse(byte[] body) {
        try {
            JsonNode node = json.readTree(body);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Defender's OData error: {@code {"error": {"code": …, "message": …}}}. */
    private String odataError(byte[] body) {
        Optional<JsonNode> error = tryParse(body).map(node -> node.path("error"));
        String code = error.flatMap(node -> text(node, "code")).orElse("");
        String message = error.flatMap(node -> text(node, "message")).map(DefenderClient::firstLine).orElse("");
        String both = (code + (message.isEmpty() ? "" : ": " + message)).trim();
        return both.isEmpty() ? "no details" : both;
    }

    /**
     * @param page a page link
     * @return whether it is a machines page of this client's API root, the only place the token is sent
     */
    public boolean isMachinesPage(URI page) {
        URI base = credentials.apiBaseUrl();
        return base.getScheme().equalsIgnoreCase(page.getScheme()) && base.getHost().equalsIgnoreCase(String.valueOf(page.getHost()))
                && base.getPort() == page.getPort() && "/api/machines".equals(page.getRawPath());
    }

    private void checkOnApi(URI url) throws ThreatDefenseException {
        URI base = credentials.apiBaseUrl();
        if (!isMachinesPage(url)) {
            throw new ThreatDefenseException("Defender answered with a page link outside " + base + "/api/machines; it was not followed, "
                    + "so the app's token is not sent elsewhere");
        }
    }

    private static Duration retryAfter(HttpResponse<?> response) {
        Optional<String> header = response.headers().firstValue("Retry-After").map(String::trim);
        if (header.isEmpty()) {
            return DEFAULT_RETRY_AFTER;
        }
        try {
            return atLeastOneSecond(Duration.ofSeconds(Long.parseLong(header.get())));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(header.get(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                return atLeastOneSecond(Duration.between(Instant.now(), at));
            } catch (DateTimeParseException notADate) {
                return DEFAULT_RETRY_AFTER;
            }
        }
    }

    private static Duration atLeastOneSecond(Duration wait) {
        return wait.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : wait;
    }

    private static List<JsonNode> values(JsonNode body) {
        List<JsonNode> values = new ArrayList<>();
        body.path("value").forEach(values::add);
        return values;
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || !value.isValueNode() || value.asText().isBlank() ? Optional.empty() : Optional.of(value.asText());
    }

    /** Defender writes times as ISO-8601 with or without an offset (then UTC) and with up to seven fraction digits. */
    static Optional<Instant> instant(JsonNode node, String field) {
        return text(node, field).flatMap(value -> {
            try {
                return Optional.of(OffsetDateTime.parse(value).toInstant());
            } catch (DateTimeParseException withoutOffset) {
                try {
                    return Optional.of(LocalDateTime.parse(value).toInstant(ZoneOffset.UTC));
                } catch (DateTimeParseException e) {
                    return Optional.empty();
                }
            }
        });
    }

    private static String firstLine(String text) {
        String line = text.lines().findFirst().orElse("").trim();
        return line.length() > MAX_MESSAGE ? line.substring(0, MAX_MESSAGE) + "…" : line;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
