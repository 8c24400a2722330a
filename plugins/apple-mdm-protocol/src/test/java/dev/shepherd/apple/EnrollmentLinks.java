package dev.shepherd.apple;

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
        try {
            String body = JSON.writeValueAsString(Map.of("name", platform + " " + ownership, "ownership", ownership,
                    "platform", platform, "maxUses", uses, "validForHours", 24));
            HttpResponse<String> created = server.send(HttpRequest.newBuilder(server.uri("/api/v1/enrollment-tokens"))
                    .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
            if (created.statusCode() != 201) {
                throw new IllegalStateException("creating an enrollment token answered " + created.statusCode() + ": " + created.body());
            }
            return URI.create(JSON.readTree(created.body()).path("enrollmentUrl").asText());
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
