package dev.shepherd.plugins.threat.lookout;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Decodes a {@code text/event-stream} body as the HTML standard's server-sent events section says: lines end with
 * CR, LF or CRLF; a blank line dispatches the event gathered so far; {@code data} lines are joined with LF;
 * {@code event} names the type ({@code message} when absent); {@code id} names the event; lines starting with a colon
 * are comments; an event the body ends in the middle of is never dispatched. Bounded: a line longer than
 * {@link #MAX_LINE_BYTES} or an event whose data exceeds {@link #MAX_EVENT_BYTES} fails the stream, so a broken or
 * hostile server cannot fill the heap. Not thread-safe: one decoder per connection.
 */
final class SseDecoder {

    static final int MAX_LINE_BYTES = 1024 * 1024;
    static final int MAX_EVENT_BYTES = 4 * 1024 * 1024;

    /**
     * One dispatched event.
     *
     * @param id the {@code id} field of this event, when it had one
     * @param type the {@code event} field, or {@code message}
     * @param data the data lines joined with LF
     */
    record SseEvent(Optional<String> id, String type, String data) {
        SseEvent {
            requireNonNull(id, "id is null");
            requireNonNull(type, "type is null");
            requireNonNull(data, "data is null");
        }
    }

    /** The stream broke the bounds. */
    static final class SseException extends Exception {
        private static final long serialVersionUID = 1L;

        SseException(String message) {
            super(message);
        }
    }

    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final StringBuilder data = new StringBuilder();
    private boolean afterCarriageReturn;
    private boolean firstLine = true;
    private boolean anyField;
    private int dataLines;
    private String id;
    private String type;

    /**
     * @param bytes the next part of the body
     * @return the events it completed, in order
     * @throws SseException when a line or an event is too large
     */
    List<SseEvent> feed(ByteBuffer bytes) throws SseException {
        List<SseEvent> events = new ArrayList<>();
        while (bytes.hasRemaining()) {
            byte b = bytes.get();
            if (b == '\n' && afterCarriageReturn) {
                afterCarriageReturn = false;
                continue;
            }
            afterCarriageReturn = b == '\r';
            if (b == '\n' || b == '\r') {
                endLine(events);
            } else {
                if (line.size() >= MAX_LINE_BYTES) {
                    throw new SseException("the event stream sent a line longer than " + MAX_LINE_BYTES + " bytes");
                }
                line.write(b);
            }
        }
        return events;
    }

    private void endLine(List<SseEvent> events) throws SseException {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (firstLine && text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        firstLine = false;
        if (text.isEmpty()) {
            if (anyField) {
                events.add(new SseEvent(Optional.ofNullable(id), type == null || type.isEmpty() ? "message" : type, data.toString()));
            }
            data.setLength(0);
            dataLines = 0;
            anyField = false;
            id = null;
            type = null;
            return;
        }
        if (text.startsWith(":")) {
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                if (dataLines > 0) {
                    data.append('\n');
                }
                if (data.length() + value.length() > MAX_EVENT_BYTES) {
                    throw new SseException("the event stream sent an event larger than " + MAX_EVENT_BYTES + " bytes");
                }
                data.append(value);
                dataLines++;
                anyField = true;
            }
            case "event" -> {
                type = value;
                anyField = true;
            }
            case "id" -> {
                // The standard ignores an id containing NUL.
                if (value.indexOf('\0') < 0) {
                    id = value;
                    anyField = true;
                }
            }
            default -> {
                // retry and unknown fields: nothing this client uses.
            }
        }
    }

}
