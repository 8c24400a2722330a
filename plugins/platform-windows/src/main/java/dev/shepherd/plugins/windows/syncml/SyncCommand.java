package dev.shepherd.plugins.windows.syncml;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A command in a SyncML body. Every command carries a CmdID unique within its message (the server keeps its own unique
 * within the whole session, so answers can be matched by CmdRef alone).
 */
public sealed interface SyncCommand {

    /** @return the command's CmdID */
    String cmdId();

    /** @return the element name, as a Status's {@code Cmd} names it */
    String name();

    /**
     * An Alert: 1201 opens a client-initiated session, 1200 one the server asked for with a push; 1224 reports a device
     * event (login status, session type); 1226 is a generic alert such as the user's unenrollment.
     */
    record Alert(String cmdId, String data, List<Item> items) implements SyncCommand {
        public Alert {
            requireNonNull(cmdId, "cmdId is null");
            requireNonNull(data, "data is null");
            items = List.copyOf(items);
        }

        @Override
        public String name() {
            return "Alert";
        }
    }

    /**
     * The answer to one command of an earlier message: which message and command ({@code MsgRef}, {@code CmdRef},
     * {@code Cmd}) and the status code in {@code Data}.
     */
    record Status(String cmdId, String msgRef, String cmdRef, String cmd, String data) implements SyncCommand {
        public Status {
            requireNonNull(cmdId, "cmdId is null");
            requireNonNull(msgRef, "msgRef is null");
            requireNonNull(cmdRef, "cmdRef is null");
            requireNonNull(cmd, "cmd is null");
            requireNonNull(data, "data is null");
        }

        @Override
        public String name() {
            return "Status";
        }

        /** @return the status code, or empty when Data is not a number */
        public Optional<Integer> code() {
            try {
                return Optional.of(Integer.parseInt(data.trim()));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
    }

    /** The values a Get asked for, referring to it by {@code MsgRef} and {@code CmdRef}. */
    record Results(String cmdId, String msgRef, String cmdRef, List<Item> items) implements SyncCommand {
        public Results {
            requireNonNull(cmdId, "cmdId is null");
            requireNonNull(msgRef, "msgRef is null");
            requireNonNull(cmdRef, "cmdRef is null");
            items = List.copyOf(items);
        }

        @Override
        public String name() {
            return "Results";
        }
    }

    /** Get, Replace, Add, Delete or Exec on the nodes its items address. */
    record Operation(Verb verb, String cmdId, List<Item> items) implements SyncCommand {
        public Operation {
            requireNonNull(verb, "verb is null");
            requireNonNull(cmdId, "cmdId is null");
            items = List.copyOf(items);
        }

        @Override
        public String name() {
            return verb.element();
        }
    }

    /** Commands the device applies all or none of. Windows refuses a Get or another Atomic inside one. */
    record Atomic(String cmdId, List<SyncCommand> commands) implements SyncCommand {
        public Atomic {
            requireNonNull(cmdId, "cmdId is null");
            commands = List.copyOf(commands);
        }

        @Override
        public String name() {
            return "Atomic";
        }
    }

    /**
     * An element in a body that is not a command we can read: unknown, or lacking its CmdID. It is answered with status
     * 400 for that element alone, as Windows itself does, and the rest of the message is processed.
     *
     * @param cmdId its CmdID, empty when it has none
     * @param name its element name
     * @param problem what is wrong, for the log
     */
    record Malformed(String cmdId, String name, String problem) implements SyncCommand {
        public Malformed {
            requireNonNull(cmdId, "cmdId is null");
            requireNonNull(name, "name is null");
            requireNonNull(problem, "problem is null");
        }
    }

    /** The verbs that operate on nodes, with their element names. */
    enum Verb {
        GET("Get"), REPLACE("Replace"), ADD("Add"), DELETE("Delete"), EXEC("Exec");

        private final String element;

        Verb(String element) {
            this.element = element;
        }

        public String element() {
            return element;
        }

        /** @return the verb of an element name, if it is one */
        public static Optional<Verb> of(String element) {
            for (Verb verb : values()) {
                if (verb.element.equals(element)) {
                    return Optional.of(verb);
                }
            }
            return Optional.empty();
        }
    }
}
