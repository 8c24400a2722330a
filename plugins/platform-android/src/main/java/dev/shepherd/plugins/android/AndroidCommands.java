package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shepherd.api.command.Command;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Kernel commands as the Android Management API carries them out: most become a device {@code Command} issued with
 * {@code issueCommand}, wipes become {@code devices.delete}, a refresh re-reads the device, and what Android has no
 * equivalent for is refused with the reason.
 */
public final class AndroidCommands {

    /** What a command becomes. */
    public sealed interface Action {
    }

    /** @param command the AMAPI {@code Command} to issue */
    public record Issue(ObjectNode command) implements Action {
        public Issue {
            requireNonNull(command, "command is null");
        }
    }

    /** {@code devices.delete}: a factory reset of a fully managed device, the work profile's removal otherwise. */
    public record Delete(List<String> wipeDataFlags, Optional<String> reasonMessage) implements Action {
        public Delete {
            wipeDataFlags = List.copyOf(wipeDataFlags);
            requireNonNull(reasonMessage, "reasonMessage is null");
        }
    }

    /** Read the device again from Google and record what it says. */
    public record Refresh() implements Action {
    }

    /** @param reason why Android cannot do it */
    public record Refuse(String reason) implements Action {
        public Refuse {
            requireNonNull(reason, "reason is null");
        }
    }

    /**
     * Command types a RAW command may issue: the {@code Command.type} values of androidmanagement v1 (discovery
     * revision 20240808) that are device commands.
     */
    static final Set<String> RAW_TYPES = Set.of("CLEAR_APP_DATA", "RELINQUISH_OWNERSHIP", "LOCK", "REBOOT",
            "RESET_PASSWORD", "START_LOST_MODE", "STOP_LOST_MODE");
    /** Android's shortest screen-lock password (LockPatternUtils.MIN_LOCK_PASSWORD_SIZE). */
    static final int MIN_PASSWORD_LENGTH = 4;
    /** Android 14 refuses a numeric new password shorter than this with INVALID_VALUE (AMAPI {@code Command.newPassword}). */
    static final int MIN_NUMERIC_PASSWORD_LENGTH = 6;

    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param command the kernel command (not a policy command)
     * @param workProfile whether Android manages only a work profile on the device
     * @return what to do
     */
    public Action translate(Command command, boolean workProfile) {
        Map<String, Object> parameters = command.parameters();
        ObjectNode native_ = json.createObjectNode();
        switch (command.type()) {
            case LOCK -> native_.put("type", "LOCK");
            case RESTART -> native_.put("type", "REBOOT");
            case RESET_PASSCODE -> {
                native_.put("type", "RESET_PASSWORD");
                Optional<String> passcode = text(parameters, "passcode");
                if (passcode.isEmpty()) {
                    return new Refuse("RESET_PASSCODE needs the new passcode in the parameter 'passcode'");
                }
                Optional<String> tooShort = tooShort(passcode.get());
                if (tooShort.isPresent()) {
                    return new Refuse(tooShort.get());
                }
                native_.put("newPassword", passcode.get());
                native_.putArray("resetPasswordFlags").add("REQUIRE_ENTRY");
            }
            case CLEAR_PASSCODE -> {
                // RESET_PASSWORD without a new password clears it, where the password policy allows none.
                native_.put("type", "RESET_PASSWORD");
            }
            case LOST_MODE_ON -> {
                if (workProfile) {
                    return new Refuse("lost mode needs a company-owned device");
                }
                ObjectNode params = native_.put("type", "START_LOST_MODE").putObject("startLostModeParams");
                text(parameters, "message").ifPresent(text -> params.putObject("lostMessage").put("defaultMessage", text));
                text(parameters, "phoneNumber").ifPresent(text -> params.putObject("lostPhoneNumber").put("defaultMessage", text));
                text(parameters, "email").ifPresent(text -> params.put("lostEmailAddress", text));
                text(parameters, "address").ifPresent(text -> params.putObject("lostStreetAddress").put("defaultMessage", text));
                text(parameters, "organization").ifPresent(text -> params.putObject("lostOrganization").put("defaultMessage", text));
                if (params.isEmpty() || params.size() == 1 && params.has("lostOrganization")) {
                    return new Refuse("lost mode shows the finder a way to return the device: give a message, phoneNumber, email or address");
                }
            }
            case LOST_MODE_OFF -> native_.put("type", "STOP_LOST_MODE").putObject("stopLostModeParams");
            case WIPE -> {
                if (workProfile) {
                    return new Refuse("Android manages only the work profile of this device; remove it with ENTERPRISE_WIPE");
                }
                List<String> flags = new ArrayList<>();
                if (flag(parameters, "preserveResetProtection")) {
                    flags.add("PRESERVE_RESET_PROTECTION_DATA");
                }
                if (flag(parameters, "wipeExternalStorage")) {
                    flags.add("WIPE_EXTERNAL_STORAGE");
                }
                return new Delete(flags, text(parameters, "message"));
            }
            case ENTERPRISE_WIPE -> {
                if (!workProfile) {
                    return new Refuse("a fully managed device has no work profile to remove; a WIPE resets the whole device");
                }
                return new Delete(List.of(), text(parameters, "message"));
            }
            case REFRESH_INVENTORY -> {
                return new Refresh();
            }
            case RAW -> {
                if (!(parameters.get("command") instanceof Map<?, ?> raw) || !(raw.get("type") instanceof String type)) {
                    return new Refuse("a RAW Android command is {\"command\": {\"type\": ..., ...}}, an Android Management API Command");
                }
                if (!RAW_TYPES.contains(type)) {
                    return new Refuse("the Android Management API has no device command " + type + "; one of " + RAW_TYPES.stream().sorted().toList());
                }
                if (raw.get("newPassword") instanceof String password && tooShort(password).isPresent()) {
                    return new Refuse(tooShort(password).get());
                }
                ObjectNode issued = json.valueToTree(raw);
                if (issued.has("duration")) {
                    Optional<String> duration = googleDuration(issued.get("duration").isNumber() ? issued.get("duration").numberValue()
                            : issued.get("duration").asText());
                    if (duration.isEmpty()) {
                        return new Refuse(DURATION_FORMAT);
                    }
                    issued.put("duration", duration.get());
                }
                return new Issue(issued);
            }
            default -> {
                return new Refuse("the Android Management API has no equivalent of " + command.type());
            }
        }
        if (parameters.get("duration") != null) {
            Optional<String> duration = googleDuration(parameters.get("duration"));
            if (duration.isEmpty()) {
                return new Refuse(DURATION_FORMAT);
            }
            native_.put("duration", duration.get());
        }
        return new Issue(native_);
    }

    private static final String DURATION_FORMAT = "duration: how long the command stays valid, as ISO-8601 (PT10M), "
            + "seconds (600) or Google's format (600s), and positive";
    private static final Pattern GOOGLE_DURATION = Pattern.compile("(\\d{1,12})(\\.\\d{1,9})?s");

    /**
     * A duration as the Android Management API takes it ({@code google-duration}: seconds with an {@code s}, such as
     * {@code 600s}), from ISO-8601, a number of seconds, or that format already.
     *
     * @return empty when it is none of those, or not positive
     */
    static Optional<String> googleDuration(Object value) {
        Duration duration;
        if (value instanceof Number number) {
            duration = Duration.ofSeconds(number.longValue());
        } else if (value instanceof String text && GOOGLE_DURATION.matcher(text.trim()).matches()) {
            return Optional.of(text.trim());
        } else if (value instanceof String text) {
            try {
                duration = Duration.parse(text.trim());
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        } else {
            return Optional.empty();
        }
        if (duration.isNegative() || duration.isZero()) {
            return Optional.empty();
        }
        return Optional.of(duration.getSeconds() + (duration.getNano() == 0 ? "" : String.format(".%09d", duration.getNano())) + "s");
    }

    /** @return why Android would refuse this new password, if it would */
    private static Optional<String> tooShort(String password) {
        if (password.length() < MIN_PASSWORD_LENGTH) {
            return Optional.of("Android requires a password of at least " + MIN_PASSWORD_LENGTH + " characters");
        }
        if (password.chars().allMatch(Character::isDigit) && password.length() < MIN_NUMERIC_PASSWORD_LENGTH) {
            return Optional.of("Android 14 and later refuse a numeric password (PIN) shorter than " + MIN_NUMERIC_PASSWORD_LENGTH
                    + " digits; use a longer PIN or one with letters");
        }
        return Optional.empty();
    }

    private static Optional<String> text(Map<String, Object> parameters, String name) {
        return parameters.get(name) instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
    }

    private static boolean flag(Map<String, Object> parameters, String name) {
        return Boolean.TRUE.equals(parameters.get(name));
    }
}
