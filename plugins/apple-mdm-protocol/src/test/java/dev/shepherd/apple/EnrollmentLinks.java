package dev.shepherd.apple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

/** Enrollment links created the way an admin creates them: a token through the admin API, its public link. */
public final class EnrollmentLinks {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EnrollmentLinks() {
    }

    /**
     * @param platform the platform id the token enrolls, such as {@code ios}
     * @param ownership {@code CORPORATE} or {@code PERSONAL}
     * @param uses how many devices may enroll with it
     * @return the token's {@code enrollmentUrl}
     */
    public static URI create(TestServer server, String platform, String ownership, int uses) {
        return URI.create(post(server, "/api/v1/enrollment-tokens", Map.of("name", platform + " " + ownership, "ownership", ownership,
                "platform", platform, "maxUses", uses, "validForHours", 24)).path("enrollmentUrl").asText());
    }

    /**
     * A single-use user-enrollment link: a person added to the directory with an e-mail address, a personal token
     * assigned to them, and the token's link with {@code ?mode=user}.
     *
     * @param email the person's e-mail address, which becomes their Managed Apple Account
     */
    public static URI createUserEnrollment(TestServer server, String platform, String username, String email) {
        String userId = post(server, "/api/v1/users", Map.of("username", username, "displayName", username, "email", email))
                .path("id").asText();
        String link = post(server, "/api/v1/enrollment-tokens", Map.of("name", platform + " BYOD " + username, "ownership", "PERSONAL",
                "platform", platform, "userId", userId, "maxUses", 1, "validForHours", 24)).path("enrollmentUrl").asText();
        return URI.create(link + "?mode=user");
    }

    private static JsonNode post(TestServer server, String path, Map<String, Object> body) {
        try {
            HttpResponse<String> created = server.send(HttpRequest.newBuilder(server.uri(path))
                    .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build());
            if (created.statusCode() != 201) {
                throw new IllegalStateException("POST " + path + " answered " + created.statusCode() + ": " + created.body());
            }
            return JSON.readTree(created.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A corporate iPhone enrolled the whole way: profile from a new link, SCEP identity, Authenticate, TokenUpdate.
     *
     * @throws IllegalStateException when a step is refused
     */
    public static AppleDeviceSimulator enrolledIphone(TestServer server, String udid) throws Exception {
        AppleDeviceSimulator device = new AppleDeviceSimulator(server.uri("/"), udid);
        device.installProfile(create(server, "ios", "CORPORATE", 1));
        if (!device.enrollIdentity().status().equals("0") || device.authenticate().statusCode() != 200
                || device.tokenUpdate().statusCode() != 200) {
            throw new IllegalStateException("the iPhone " + udid + " did not enroll");
        }
        return device;
    }
}
