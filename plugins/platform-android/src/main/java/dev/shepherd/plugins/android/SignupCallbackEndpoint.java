package dev.shepherd.plugins.android;

import dev.shepherd.api.http.DeviceEndpoint;
import dev.shepherd.api.http.DeviceRequest;
import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import org.pf4j.Extension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * {@code /mdm/android/signup-callback}: where Google's enterprise signup page sends the admin's browser back, with our
 * one-time {@code state} and Google's {@code enterpriseToken}. It is public (a browser arrives, not an API client), so
 * the state, unguessable and used once, is what authenticates the call.
 */
@Extension
public final class SignupCallbackEndpoint implements DeviceEndpoint {

    private static final Logger log = LoggerFactory.getLogger(SignupCallbackEndpoint.class);

    private final Enterprises enterprises;

    @Inject
    public SignupCallbackEndpoint(Enterprises enterprises) {
        this.enterprises = requireNonNull(enterprises, "enterprises is null");
    }

    @Override
    public String path() {
        return Enterprises.CALLBACK_PATH;
    }

    @Override
    public DeviceResponse handle(DeviceRequest request) {
        if (!request.method().equals("GET")) {
            return page(405, "Use the link Google's signup page sends you back with.").withHeader("Allow", "GET");
        }
        Optional<String> state = request.queryParameter("state");
        Optional<String> token = request.queryParameter("enterpriseToken");
        if (state.isEmpty() || token.isEmpty() || token.get().isBlank() || token.get().length() > 4096) {
            return page(400, "This link lacks the signup's state or Google's enterprise token. Start the signup again.");
        }
        try {
            String enterprise = enterprises.completeSignup(state.get(), token.get());
            log.info("Android Enterprise {} bound", enterprise);
            return page(200, "Shepherd now manages Android devices of " + enterprise + ". You can close this page.");
        } catch (IllegalArgumentException e) {
            return page(404, "This signup is unknown or was completed already. Start the signup again.");
        } catch (GoogleException e) {
            return page(502, "Google did not create the enterprise: " + e.getMessage());
        }
    }

    private static DeviceResponse page(int status, String text) {
        String escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        return DeviceResponse.of(status, "text/html; charset=utf-8", ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>Android Enterprise</title></head><body><p>" + escaped + "</p></body></html>").getBytes(StandardCharsets.UTF_8));
    }
}
