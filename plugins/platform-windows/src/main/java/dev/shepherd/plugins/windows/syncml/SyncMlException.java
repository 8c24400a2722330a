package dev.shepherd.plugins.windows.syncml;

import java.util.Optional;

/**
 * A message that is not SyncML 1.2 as OMA-DM speaks it; the message says why and is fit to send back. When its header
 * could be read, the sender gets a SyncML answer refusing the header; otherwise there is no session to answer in.
 */
public final class SyncMlException extends RuntimeException {

    private final transient Optional<SyncHdr> header;

    public SyncMlException(String message, Optional<SyncHdr> header) {
        super(message);
        this.header = header;
    }

    /** @return the header, when it was readable enough to address an answer */
    public Optional<SyncHdr> header() {
        return header;
    }
}
