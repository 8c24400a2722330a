package dev.shepherd.plugins.threat.defender;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Where the next poll resumes, kept by the kernel as the poll's cursor (compact JSON).
 *
 * <p>A <em>sweep</em> reads the machines page by page: every machine (a full sweep), or those Defender saw after
 * {@link #seenAfter()}. Between polls of one sweep the cursor holds the page to read ({@link #page()}, a first page or
 * Defender's {@code @odata.nextLink}) and how many of its machines were already reported ({@link #done()}, when the
 * alert look-ups of one poll ran out). Once a sweep ends the cursor holds only when the next one reads from.
 *
 * @param seenAfter the lower bound on {@code lastSeen} of the sweep under way or the next one; empty for a full sweep
 * @param sweepStarted when the sweep under way started; empty between sweeps
 * @param lastFullSweep when the last full sweep started; empty before the first
 * @param page the page to read next in the sweep under way
 * @param done machines of that page already reported
 */
record DefenderCursor(Optional<Instant> seenAfter, Optional<Instant> sweepStarted, Optional<Instant> lastFullSweep,
                      Optional<URI> page, int done) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Validates every part. */
    DefenderCursor {
        requireNonNull(seenAfter, "seenAfter is null");
        requireNonNull(sweepStarted, "sweepStarted is null");
        requireNonNull(lastFullSweep, "lastFullSweep is null");
        requireNonNull(page, "page is null");
        if (done < 0) {
            throw new IllegalArgumentException("done is negative");
        }
    }

    /** The cursor of a first poll: nothing read yet. */
    static DefenderCursor start() {
        return new DefenderCursor(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 0);
    }

    /** @return whether a sweep is under way */
    boolean inSweep() {
        return page.isPresent();
    }

    /**
     * Reads a cursor this class wrote.
     *
     * @param text the cursor
     * @return the cursor, or empty when it is not one (written by another version, or damaged): start afresh then
     */
    static Optional<DefenderCursor> parse(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || !node.isObject() || node.path("v").asInt() != 1) {
                return Optional.empty();
            }
            return Optional.of(new DefenderCursor(instant(node, "seenAfter"), instant(node, "sweepStarted"), instant(node, "lastFullSweep"),
                    node.hasNonNull("page") ? Optional.of(URI.create(node.get("page").asText())) : Optional.empty(), node.path("done").asInt(0)));
        } catch (IOException | IllegalArgumentException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** @return the cursor as the kernel keeps it */
    String format() {
        ObjectNode node = JSON.createObjectNode().put("v", 1);
        seenAfter.ifPresent(at -> node.put("seenAfter", at.toString()));
        sweepStarted.ifPresent(at -> node.put("sweepStarted", at.toString()));
        lastFullSweep.ifPresent(at -> node.put("lastFullSweep", at.toString()));
        page.ifPresent(link -> node.put("page", link.toString()));
        if (done > 0) {
            node.put("done", done);
        }
        return node.toString();
    }

    private static Optional<Instant> instant(JsonNode node, String field) {
        return node.hasNonNull(field) ? Optional.of(Instant.parse(node.get(field).asText())) : Optional.empty();
    }
}
