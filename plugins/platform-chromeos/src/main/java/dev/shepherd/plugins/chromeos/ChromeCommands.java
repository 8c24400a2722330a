package dev.shepherd.plugins.chromeos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.Command;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What a kernel command becomes at Google: a remote command ({@code customer.devices.chromeos.issueCommand}), whose
 * result is polled later, or a device status change ({@code customer.devices.chromeos.batchChangeStatus}, which replaces
 * the deprecated {@code chromeosdevices.action}), done when Google reports the device changed.
 *
 * <p>{@code RESTART}, {@code WIPE} and {@code ENTERPRISE_WIPE} map to {@code REBOOT}, {@code REMOTE_POWERWASH} and
 * {@code WIPE_USERS}. {@code RAW} carries either {@code commandType} (one of {@link #RAW_COMMAND_TYPES}) with an
 * optional {@code payload} (a JSON object or its text, as Google documents per type, such as {@code {"volume": 50}}
 * for {@code SET_VOLUME}), or {@code action} ({@code disable}, {@code reenable}, {@code deprovision} with a
 * {@code deprovisionReason}; a deprovision only for a device the kernel has retired or wiped, see
 * {@link #DEPROVISION_THROUGH_RETIRE}).
 */
public final class ChromeCommands {

    /** Work for Google. */
    public sealed interface GoogleWork permits Remote, Action {
    }

    /**
     * A remote command for the device.
     *
     * @param commandType Google's command type
     * @param payload the payload's JSON text, if any
     */
    public record Remote(String commandType, Optional<String> payload) implements GoogleWork {
        /** Validates every part. */
        public Remote {
            requireNonNull(commandType, "commandType is null");
            requireNonNull(payload, "payload is null");
        }
    }

    /**
     * A device action.
     *
     * @param action {@code disable}, {@code reenable} or {@code deprovision}
     * @param deprovisionReason required for {@code deprovision}, one of {@link #DEPROVISION_REASONS}; refused otherwise
     */
    public record Action(String action, Optional<String> deprovisionReason) implements GoogleWork {
        /** Validates every part. */
        public Action {
            requireNonNull(action, "action is null");
            requireNonNull(deprovisionReason, "deprovisionReason is null");
            if (!ACTIONS.contains(action)) {
                throw new IllegalArgumentException("action must be one of " + ACTIONS + ", not " + action);
            }
            if (action.equals("deprovision") && !deprovisionReason.map(DEPROVISION_REASONS::contains).orElse(false)) {
                throw new IllegalArgumentException("deprovision needs a deprovisionReason, one of " + DEPROVISION_REASONS);
            }
            if (!action.equals("deprovision") && deprovisionReason.isPresent()) {
                throw new IllegalArgumentException("only deprovision takes a deprovisionReason");
            }
        }

        /** Google's {@code changeChromeOsDeviceStatusAction}, such as {@code CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_DISABLE}. */
        public String googleAction() {
            return "CHANGE_CHROME_OS_DEVICE_STATUS_ACTION_" + action.toUpperCase(Locale.ROOT);
        }

        /** Google's {@code deprovisionReason}, such as {@code DEPROVISION_REASON_RETIRING_DEVICE}, for a deprovision. */
        public Optional<String> googleDeprovisionReason() {
            return deprovisionReason.map(reason -> "DEPROVISION_REASON_" + reason.toUpperCase(Locale.ROOT));
        }
    }

    /** Google's remote command types that {@code RAW} may name. */
    public static final Set<String> RAW_COMMAND_TYPES = Set.of("REBOOT", "TAKE_A_SCREENSHOT", "SET_VOLUME", "WIPE_USERS",
            "REMOTE_POWERWASH", "DEVICE_START_CRD_SESSION", "CAPTURE_LOGS", "FETCH_CRD_AVAILABILITY_INFO", "FETCH_SUPPORT_PACKET");
    /** Google's device actions. */
    public static final Set<String> ACTIONS = Set.of("disable", "reenable", "deprovision");
    /**
     * Why a deprovision of a device Shepherd still manages is refused: deprovisioning ends management at Google, so it
     * goes through the kernel's retire, which ends it in Shepherd too (status, open commands, identity) and then
     * deprovisions the device as its final command.
     */
    public static final String DEPROVISION_THROUGH_RETIRE = "deprovisioning ends the device's management: retire it "
            + "(POST /api/v1/devices/{id}/retire) or wipe it, which deprovisions it at Google as its final command";
    /** The deprovisioning reason of a device that leaves management for good. */
    public static final String RETIRING = "retiring_device";
    /**
     * The reasons for deprovisioning, each Google's {@code DEPROVISION_REASON_…} value in lower case; the reasons Google
     * has deprecated ({@code upgrade}, {@code domain_move}, {@code service_expiration}, {@code other}) and the one only
     * its repair centre may give are not offered.
     */
    public static final Set<String> DEPROVISION_REASONS = Set.of("same_model_replacement", "different_model_replacement",
            "retiring_device", "upgrade_transfer", "not_required");

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChromeCommands() {
    }

    /**
     * Translates a command.
     *
     * @param command the kernel's command
     * @return the work, or empty when ChromeOS has no equivalent
     * @throws IllegalArgumentException when a {@code RAW} command's parameters are malformed, saying how
     */
    public static Optional<GoogleWork> translate(Command command) {
        requireNonNull(command, "command is null");
        Map<String, Object> parameters = command.parameters();
        return switch (command.type()) {
            case RESTART -> Optional.of(new Remote("REBOOT", parameters.get("userSessionDelaySeconds") instanceof Number delay
                    ? Optional.of("{\"user_session_delay_seconds\":" + Math.max(0, Math.min(300, delay.intValue())) + "}") : Optional.empty()));
            case WIPE -> Optional.of(new Remote("REMOTE_POWERWASH", Optional.empty()));
            case ENTERPRISE_WIPE -> Optional.of(new Remote("WIPE_USERS", Optional.empty()));
            case RAW -> Optional.of(raw(parameters));
            default -> Optional.empty();
        };
    }

    private static GoogleWork raw(Map<String, Object> parameters) {
        if (parameters.get("action") instanceof String action) {
            return new Action(action.toLowerCase(Locale.ROOT), Optional.ofNullable(parameters.get("deprovisionReason")).map(Object::toString));
        }
        if (!(parameters.get("commandType") instanceof String type) || !RAW_COMMAND_TYPES.contains(type)) {
            throw new IllegalArgumentException("a ChromeOS RAW command names a commandType, one of " + RAW_COMMAND_TYPES
                    + ", or an action, one of " + ACTIONS);
        }
        Object payload = parameters.get("payload");
        if (payload == null) {
            return new Remote(type, Optional.empty());
        }
        if (payload instanceof String text) {
            return new Remote(type, Optional.of(text));
        }
        try {
            return new Remote(type, Optional.of(JSON.writeValueAsString(payload)));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the payload cannot be written as JSON: " + e.getOriginalMessage());
        }
    }
}
