package dev.shepherd.plugins.windows.management;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.plugins.windows.syncml.Item;
import dev.shepherd.plugins.windows.syncml.SyncCommand;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * One OMA-DM session of one PC, between its messages: the server's CmdIDs (unique in the whole session, so the PC's
 * Status and Results are matched by CmdRef alone), what is awaiting an answer, and the last answer, so a message the
 * PC repeats after a lost response gets the same answer rather than the commands a second time. The endpoint uses a
 * session for one message at a time.
 */
final class Session {

    private final String storageKey;
    private final DeviceId device;
    private int lastCmdId;
    private final Map<String, InFlight> byCmdId = new HashMap<>();
    private final Set<UUID> delivered = new HashSet<>();
    private final Set<InFlight> unanswered = new LinkedHashSet<>();
    private Optional<String> answeredMsgId = Optional.empty();
    private byte[] answer = new byte[0];
    private Instant touched;

    Session(String storageKey, DeviceId device, Instant now) {
        this.storageKey = requireNonNull(storageKey, "storageKey is null");
        this.device = requireNonNull(device, "device is null");
        this.touched = requireNonNull(now, "now is null");
    }

    /** Where the PC's state is kept: {@link ManagementEndpoint#storageKey}. */
    String storageKey() {
        return storageKey;
    }

    DeviceId device() {
        return device;
    }

    Instant touched() {
        return touched;
    }

    void touch(Instant now) {
        touched = now;
    }

    /** @return the next CmdID of the session */
    String nextCmdId() {
        return Integer.toString(++lastCmdId);
    }

    /**
     * Numbers a command (and the commands of an Atomic) with fresh CmdIDs and remembers them as awaiting an answer.
     *
     * @return the command as it is sent
     */
    SyncCommand send(SyncCommand command, InFlight inFlight) {
        SyncCommand numbered = number(command, inFlight, Optional.empty());
        unanswered.add(inFlight);
        inFlight.command().ifPresent(sent -> delivered.add(sent.id()));
        return numbered;
    }

    private SyncCommand number(SyncCommand command, InFlight inFlight, Optional<String> atomic) {
        String cmdId = nextCmdId();
        byCmdId.put(cmdId, inFlight);
        if (command instanceof Atomic parent) {
            inFlight.sent(new InFlight.Part(cmdId, "Atomic", "", atomic));
            List<SyncCommand> inner = new ArrayList<>();
            parent.commands().forEach(child -> inner.add(number(child, inFlight, Optional.of(cmdId))));
            return new Atomic(cmdId, inner);
        }
        Operation operation = (Operation) command;
        inFlight.sent(new InFlight.Part(cmdId, operation.name(),
                operation.items().stream().map(Item::locUri).flatMap(Optional::stream).findFirst().orElse(""), atomic));
        return new Operation(operation.verb(), cmdId, operation.items());
    }

    /** @return what a Status or Results with this CmdRef answers, if this session sent it */
    Optional<InFlight> answering(String cmdRef) {
        return Optional.ofNullable(byCmdId.get(cmdRef));
    }

    /** Forgets a purpose once it is concluded. */
    void concluded(InFlight inFlight) {
        unanswered.remove(inFlight);
        inFlight.parts().forEach(part -> byCmdId.remove(part.cmdId()));
    }

    /** @return whether a kernel command was handed to the PC in this session already */
    boolean delivered(UUID command) {
        return delivered.contains(command);
    }

    /** @return how many kernel commands await the PC's answer */
    int awaitingCommands() {
        return (int) unanswered.stream().filter(inFlight -> inFlight.command().isPresent()).count();
    }

    /** @return the answer already given to this message, when the PC sends it again */
    Optional<byte[]> answered(String msgId) {
        return answeredMsgId.filter(msgId::equals).map(ignored -> answer.clone());
    }

    void answer(String msgId, byte[] body) {
        answeredMsgId = Optional.of(msgId);
        answer = body.clone();
    }
}
