package dev.shepherd.plugins.windows.syncml;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The header of a SyncML message: which session and message it is, who sent it to whom. A Windows client names itself
 * in {@code Source} by its DeviceID ({@code ./DevInfo/DevId}) and the server by its management URL in {@code Target};
 * the server's answer swaps the two.
 *
 * @param sessionId the session, chosen by the client and kept for every message of it
 * @param msgId the message's number within the session, counting from 1
 * @param target the recipient's LocURI
 * @param source the sender's LocURI
 * @param maxMsgSize the largest message the sender accepts in return, in bytes, when it says
 */
public record SyncHdr(String sessionId, String msgId, String target, String source, Optional<Integer> maxMsgSize) {

    /** The only SyncML representation version Windows speaks. */
    public static final String VER_DTD = "1.2";
    /** The only protocol version Windows speaks. */
    public static final String VER_PROTO = "DM/1.2";

    public SyncHdr {
        requireNonNull(sessionId, "sessionId is null");
        requireNonNull(msgId, "msgId is null");
        requireNonNull(target, "target is null");
        requireNonNull(source, "source is null");
        requireNonNull(maxMsgSize, "maxMsgSize is null");
    }

    /** @return the header of the answer to this message: same session and message number, the ends swapped */
    public SyncHdr reply() {
        return new SyncHdr(sessionId, msgId, source, target, Optional.empty());
    }
}
