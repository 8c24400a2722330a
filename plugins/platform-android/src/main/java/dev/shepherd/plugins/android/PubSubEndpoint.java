package dev.shepherd.plugins.android;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.JsonResponses;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Base64;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * {@code /mdm/android/pubsub}: Google Cloud Pub/Sub pushes the enterprise's device notifications here. The push
 * subscription's endpoint URL carries this installation's push secret ({@code ?token=}, shown to admins on
 * {@code GET /api/v1/plugins/android/enterprise}); a push without it is refused, so nobody else can report devices.
 *
 * <p>A push is {@code {"message": {"attributes": {"notificationType": …}, "data": <base64 JSON>, …}, "subscription": …}}.
 * {@code ENROLLMENT} and {@code STATUS_REPORT} carry a {@code Device}, recorded at once (enrolled on first sight);
 * {@code COMMAND} carries the finished {@code Operation} of a device command. A 2xx answer acknowledges the message;
 * anything else makes Pub/Sub deliver it again.
 */
@Extension
public final class PubSubEndpoint implements DeviceEndpoint {

    /** Where pushes arrive, below the plugin's mount point. */
    public static final String PATH = "/pubsub";
    private static final Logger log = LoggerFactory.getLogger(PubSubEndpoint.class);

    private final Enterprises enterprises;
    private final DeviceSync sync;
    private final DeviceWork work;

    @Inject
    public PubSubEndpoint(Enterprises enterprises, DeviceSync sync, DeviceWork work) {
        this.enterprises = requireNonNull(enterprises, "enterprises is null");
        this.sync = requireNonNull(sync, "sync is null");
        this.work = requireNonNull(work, "work is null");
    }

    @Override
    public String path() {
        return PATH;
    }

    @Override
    public int maxBodyBytes() {
        return 4 * 1024 * 1024; // a status report with many apps and events
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.method().equals("POST")) {
            return JsonResponses.problem(405, "Method not allowed", "Pub/Sub pushes are POSTed.").withHeader("Allow", "POST");
        }
        Optional<String> token = request.queryParameter("token");
        if (token.isEmpty() || !enterprises.isPushSecret(token.get())) {
            return JsonResponses.problem(401, "Unauthorized", "A push must carry this installation's push secret in ?token=.");
        }
        Push push;
        try {
            push = Push.read(request.body());
        } catch (IllegalArgumentException malformed) {
            return JsonResponses.problem(400, "Bad request", malformed.getMessage());
        }
        String type = push.notificationType();
        JsonNode data = push.data();
        switch (type) {
            case "ENROLLMENT", "STATUS_REPORT" -> {
                if (data == null || !data.isObject() || !Amapi.isResourceName(data.path("name").asText(""))) {
                    return JsonResponses.problem(400, "Bad request", type + " data is a Device with its name.");
                }
                sync.apply(data).ifPresent(work::reported);
            }
            case "COMMAND" -> {
                if (data == null || !data.isObject() || !work.operationFinished(data)) {
                    log.debug("COMMAND notification for an operation Shepherd is not waiting for");
                }
            }
            default -> log.debug("Ignoring a {} notification", type.isBlank() ? "typeless" : type);
        }
        return DeviceResponse.empty(204);
    }

    /**
     * A push as read from its body, before anything acts on it.
     *
     * @param notificationType the {@code notificationType} attribute; empty when there is none
     * @param data the decoded {@code data}: an empty object when there is none, otherwise whatever JSON it holds
     */
    record Push(String notificationType, JsonNode data) {

        /** Pushes are small and shallow (a Device is about six levels); these bounds hold far above real ones. */
        private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(100).maxNameLength(1024).build()).build()).build();

        Push {
            requireNonNull(notificationType, "notificationType is null");
            requireNonNull(data, "data is null");
        }

        /**
         * @throws IllegalArgumentException with a message for the 400 when the body is not a Pub/Sub push, its base64
         *         data is malformed, or either is past the bounds
         */
        static Push read(byte[] body) {
            JsonNode push;
            try {
                push = JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalArgumentException("Not a Pub/Sub push: the body is not JSON within the bounds.");
            }
            JsonNode message = push == null ? null : push.path("message");
            if (message == null || !message.isObject()) {
                throw new IllegalArgumentException("Not a Pub/Sub push: no message.");
            }
            String encoded = message.path("data").asText("");
            JsonNode data;
            try {
                data = encoded.isEmpty() ? JSON.createObjectNode() : JSON.readTree(Base64.getDecoder().decode(encoded));
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("Not a Pub/Sub push: its base64 data is malformed or not JSON within the bounds.");
            }
            return new Push(message.path("attributes").path("notificationType").asText(""),
                    data == null ? JSON.getNodeFactory().missingNode() : data);
        }
    }
}
