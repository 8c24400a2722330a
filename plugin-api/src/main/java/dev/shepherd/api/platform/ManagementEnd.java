package dev.shepherd.api.platform;

import dev.shepherd.api.command.CommandType;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The last command a device gets when an admin retires or wipes it: what the platform tells the device so that it
 * leaves management (or erases itself), chosen by the platform in {@link PlatformSupport#endManagement}.
 *
 * <p>The kernel queues it as the device's final command: the device is RETIRED or WIPED from that moment, is handed
 * nothing else, and the platform revokes the device's identity once the device has answered it.
 *
 * @param type the command type, one the platform translates into its native form
 * @param parameters the command's parameters as JSON-like values, as for any command of that type
 */
public record ManagementEnd(CommandType type, Map<String, Object> parameters) {

    /** Validates and copies every part. */
    public ManagementEnd {
        requireNonNull(type, "type is null");
        parameters = Map.copyOf(requireNonNull(parameters, "parameters is null"));
    }

    /**
     * What most platforms do: an erase for a wipe, and for a retirement the enterprise wipe that removes what the
     * organisation put on the device and unenrolls it.
     *
     * @param wipe whether the device is being wiped (rather than retired)
     * @return {@code WIPE} or {@code ENTERPRISE_WIPE}, without parameters
     */
    public static ManagementEnd standard(boolean wipe) {
        return new ManagementEnd(wipe ? CommandType.WIPE : CommandType.ENTERPRISE_WIPE, Map.of());
    }
}
