package dev.shepherd.plugins.appstore.apple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.http.AdminEndpoint;
import dev.shepherd.api.http.AdminRequest;
import dev.shepherd.api.http.DeviceResponse;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * {@code /api/v1/plugins/appstore-apple/content-token}: admins upload (PUT, the {@code .vpptoken} file's text; add
 * {@code ?takeOver=true} to move a location another MDM manages), read (GET: organisation, location, expiry, days
 * left, a warning within 30 days of expiry and once expired) and remove (DELETE) the location's content token. The
 * token itself is never returned.
 */
@Extension
public final class ContentTokenEndpoint implements AdminEndpoint {

    private static final Logger log = LoggerFactory.getLogger(ContentTokenEndpoint.class);
    private static final String NONE = "No content token has been uploaded.";

    private final ContentTokens tokens;
    private final ObjectMapper mapper = new ObjectMapper();

    @Inject
    public ContentTokenEndpoint(ContentTokens tokens) {
        this.tokens = requireNonNull(tokens, "tokens is null");
    }

    @Override
    public String path() {
        return "/content-token";
    }

    @Override
    public String permission() {
        return "plugin_manage";
    }

    @Override
    public int maxBodyBytes() {
        return 16 * 1024;
    }

    @Override
    public String summary() {
        return "Apple's Apps and Books content token: PUT the .vpptoken file, GET its organisation and expiry, DELETE it";
    }

    @Override
    public DeviceResponse handle(AdminRequest request) throws InterruptedException {
        if (!request.path().equals(path())) {
            return DeviceResponse.problem(404, "Not found", "There is nothing at " + request.path() + "; the content token is at " + path() + ".");
        }
        return switch (request.method()) {
            case "GET" -> tokens.status().map(this::json).orElseGet(() -> DeviceResponse.problem(404, "Not found", NONE));
            case "PUT" -> upload(request);
            case "DELETE" -> {
                if (!tokens.remove()) {
                    yield DeviceResponse.problem(404, "Not found", NONE);
                }
                log.info("Content token removed by {}", request.adminUsername());
                yield DeviceResponse.empty(204);
            }
            default -> DeviceResponse.problem(405, "Method not allowed", "Use GET, PUT or DELETE.").withHeader("Allow", "GET, PUT, DELETE");
        };
    }

    private DeviceResponse upload(AdminRequest request) throws InterruptedException {
        boolean takeOver = request.queryParameter("takeOver").map("true"::equals).orElse(false);
        try {
            ContentTokens.Status status = tokens.upload(new String(request.body(), StandardCharsets.UTF_8), takeOver);
            log.info("Content token of {} (location {}) uploaded by {}, valid until {}", status.organisation(), status.location(),
                    request.adminUsername(), status.expiresAt());
            status.warning().ifPresent(warning -> log.warn("{}", warning));
            return json(status);
        } catch (IllegalArgumentException e) {
            return DeviceResponse.problem(400, "Bad request", e.getMessage());
        } catch (ContentTokens.ManagedElsewhereException e) {
            return DeviceResponse.problem(409, "Conflict", e.getMessage());
        } catch (VppException e) {
            if (e.tokenRejected()) {
                return DeviceResponse.problem(400, "Bad request", "Apple refuses the content token: " + e.getMessage());
            }
            log.warn("Checking an uploaded content token failed: {}", e.getMessage());
            return DeviceResponse.problem(502, "Bad gateway", "Apple could not check the content token, so it was not stored: " + e.getMessage());
        }
    }

    private DeviceResponse json(ContentTokens.Status status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("organisation", status.organisation());
        body.put("location", status.location());
        body.put("expiresAt", status.expiresAt().toString());
        body.put("daysLeft", status.daysLeft());
        status.warning().ifPresent(warning -> body.put("warning", warning));
        return write(200, "application/json", body);
    }

    private DeviceResponse write(int status, String contentType, Map<String, Object> body) {
        try {
            return DeviceResponse.of(status, contentType, mapper.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
