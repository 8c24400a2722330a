package dev.shepherd.plugins.windows.syncml;

import java.util.Map;

/**
 * The OMA-DM status codes Windows answers commands with, and what they mean, in Microsoft's words shortened
 * ("OMA DM protocol support", SyncML response status codes).
 */
public final class StatusCodes {

    public static final int OK = 200;
    public static final int ACCEPTED = 202;
    public static final int BAD_REQUEST = 400;
    public static final int FORBIDDEN = 403;
    public static final int NOT_ALLOWED = 405;
    public static final int NOT_SUPPORTED = 406;
    public static final int ALREADY_EXISTS = 418;

    private static final Map<Integer, String> MEANINGS = Map.ofEntries(
            Map.entry(200, "OK"),
            Map.entry(202, "Accepted for processing"),
            Map.entry(212, "Authentication accepted"),
            Map.entry(214, "Operation canceled"),
            Map.entry(215, "Not executed: the user canceled it"),
            Map.entry(216, "Atomic roll back OK"),
            Map.entry(400, "Bad request"),
            Map.entry(401, "Invalid credentials"),
            Map.entry(403, "Forbidden"),
            Map.entry(404, "Not found"),
            Map.entry(405, "Command not allowed"),
            Map.entry(406, "Optional feature not supported"),
            Map.entry(415, "Unsupported type or format"),
            Map.entry(418, "Already exists"),
            Map.entry(425, "Permission denied"),
            Map.entry(500, "Command failed"),
            Map.entry(507, "Atomic failed"),
            Map.entry(516, "Atomic roll back failed"));

    private StatusCodes() {
    }

    /**
     * A command succeeded when its code is 2xx, except 215 (the user canceled it) and 216 (it was rolled back because
     * another command of its Atomic failed).
     */
    public static boolean succeeded(int code) {
        return code >= 200 && code < 300 && code != 215 && code != 216;
    }

    /** @return the code with its meaning, such as {@code 405 Command not allowed} */
    public static String describe(int code) {
        return code + " " + MEANINGS.getOrDefault(code, code >= 200 && code < 300 ? "Success" : "Failed");
    }
}
