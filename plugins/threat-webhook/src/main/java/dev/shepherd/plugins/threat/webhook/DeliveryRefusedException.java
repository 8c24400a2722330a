package dev.shepherd.plugins.threat.webhook;

import dev.shepherd.api.http.DeviceResponse;

/**
 * A delivery refused as the sender's fault, with the 4xx status and the words the sender reads in the
 * {@code application/problem+json} answer. Never carries a secret.
 */
final class DeliveryRefusedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String title;

    DeliveryRefusedException(int status, String title, String detail) {
        super(detail, null, false, false);
        if (status < 400 || status > 499) {
            throw new IllegalArgumentException("a refusal is a 4xx status, not " + status);
        }
        this.status = status;
        this.title = title;
    }

    int status() {
        return status;
    }

    String title() {
        return title;
    }

    String detail() {
        return getMessage();
    }

    DeviceResponse problem() {
        return DeviceResponse.problem(status, title, detail());
    }
}
