package dev.shepherd.plugins.windows.management;

import dev.shepherd.api.command.Command;
import dev.shepherd.plugins.windows.syncml.StatusCodes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;

import static java.util.Objects.requireNonNull;

/**
 * The SyncML commands sent for one purpose (a kernel command, the first inventory, the push channel) and what the PC
 * answered to them, until every answer is in. Confined to its session, which is used by one message at a time.
 */
final class InFlight {

    /** Why the commands were sent. */
    enum Purpose {
        /** A kernel command from the command bus. */
        COMMAND,
        /** The inventory taken in the first session after enrollment. */
        INVENTORY,
        /** The WNS channel the push service wakes the PC through. */
        PUSH_CHANNEL,
        /**
         * The version of an app the PC reported installed: an MSI's from EnterpriseDesktopAppManagement, an MSIX
         * package's from EnterpriseModernAppManagement (its family's packages first, then their versions).
         */
        APP_VERSION
    }

    /**
     * One sent command.
     *
     * @param atomic the CmdID of the Atomic it is inside, if it is
     */
    record Part(String cmdId, String verb, String locUri, Optional<String> atomic) {
        Part {
            requireNonNull(cmdId, "cmdId is null");
            requireNonNull(verb, "verb is null");
            requireNonNull(locUri, "locUri is null");
            requireNonNull(atomic, "atomic is null");
        }

        String describe() {
            return verb + (locUri.isEmpty() ? "" : " " + locUri);
        }
    }

    private final Purpose purpose;
    private final Optional<Command> command;
    private final List<Part> parts = new ArrayList<>();
    private final Map<String, Integer> codes = new HashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();

    InFlight(Purpose purpose, Optional<Command> command) {
        this.purpose = requireNonNull(purpose, "purpose is null");
        this.command = requireNonNull(command, "command is null");
    }

    Purpose purpose() {
        return purpose;
    }

    Optional<Command> command() {
        return command;
    }

    void sent(Part part) {
        parts.add(part);
    }

    List<Part> parts() {
        return List.copyOf(parts);
    }

    void status(String cmdRef, int code) {
        codes.put(cmdRef, code);
    }

    void value(String locUri, String value) {
        values.put(locUri, value);
    }

    /** @return the node values the PC reported in Results, by node */
    Map<String, String> values() {
        return Map.copyOf(values);
    }

    /** @return the status codes received, each described with its command, in sending order */
    List<String> statuses() {
        return parts.stream().filter(part -> codes.containsKey(part.cmdId()))
                .map(part -> part.describe() + ": " + StatusCodes.describe(codes.get(part.cmdId()))).toList();
    }

    Optional<Integer> code(Part part) {
        return Optional.ofNullable(codes.get(part.cmdId()));
    }

    /**
     * Why the PC did not carry out everything: the first failed command inside an Atomic (its companions only report
     * 216, rolled back), else a failed command or Atomic, else a command the PC answered nothing to although its
     * Atomic did not succeed as a whole.
     *
     * @param tolerated whether a failure code of a part is acceptable for this purpose, such as 418 on an Add that
     *        only makes sure a node exists
     * @return the reason, empty when everything succeeded
     */
    Optional<String> failure(BiPredicate<Part, Integer> tolerated) {
        List<Part> inner = parts.stream().filter(part -> part.atomic().isPresent()).toList();
        List<Part> outer = parts.stream().filter(part -> part.atomic().isEmpty()).toList();
        for (List<Part> group : List.of(inner, outer)) {
            for (Part part : group) {
                Integer code = codes.get(part.cmdId());
                if (code != null && !StatusCodes.succeeded(code) && code != 216 && !tolerated.test(part, code)) {
                    return Optional.of(StatusCodes.describe(code) + " (" + part.describe() + ")");
                }
            }
        }
        for (Part part : parts) {
            boolean atomicSucceeded = part.atomic().map(codes::get).filter(StatusCodes::succeeded).isPresent();
            if (!codes.containsKey(part.cmdId()) && !atomicSucceeded) {
                return Optional.of("the PC answered nothing to " + part.describe());
            }
        }
        return Optional.empty();
    }
}
