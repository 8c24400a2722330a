package dev.shepherd.plugins.windows.syncml;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One SyncML 1.2 message of an OMA-DM session.
 *
 * @param header the SyncHdr
 * @param commands the SyncBody's commands, in order
 * @param fin whether the body ends with {@code Final}: the sender has nothing more to say in this package
 */
public record SyncMl(SyncHdr header, List<SyncCommand> commands, boolean fin) {

    /** The SyncML 1.2 namespace of every element but Meta's contents. */
    public static final String NAMESPACE = "SYNCML:SYNCML1.2";
    /** The namespace of Meta's contents (Format, Type, MaxMsgSize). */
    public static final String METINF = "syncml:metinf";
    /** The media type of SyncML DM messages, both ways. */
    public static final String CONTENT_TYPE = "application/vnd.syncml.dm+xml";

    public SyncMl {
        requireNonNull(header, "header is null");
        commands = List.copyOf(commands);
    }
}
