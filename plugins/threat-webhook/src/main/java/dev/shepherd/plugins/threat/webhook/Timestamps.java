package dev.shepherd.plugins.threat.webhook;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the timestamps vendors put in their payloads: ISO 8601 with or without a colon in the offset
 * ({@code 2024-01-15T10:30:45.123+0000}, as Wazuh writes), with a space instead of the {@code T}
 * ({@code 2021-09-18 20:38:52Z}, as CrowdStrike's streaming events do), without an offset (taken as UTC), or a number
 * of Unix seconds or milliseconds (told apart by size, as Zimperium sends milliseconds).
 */
final class Timestamps {

    /** Numbers above this are milliseconds: as seconds they would be past the year 5000. */
    private static final long LARGEST_SECONDS = 100_000_000_000L;
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,15}");
    private static final DateTimeFormatter LENIENT_ISO = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart().appendLiteral('T').optionalEnd()
            .optionalStart().appendLiteral(' ').optionalEnd()
            .append(DateTimeFormatter.ISO_LOCAL_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .toFormatter();

    private Timestamps() {
    }

    /**
     * @param node a JSON value
     * @return the instant it names, or empty when it names none
     */
    static Optional<Instant> read(JsonNode node) {
        if (node.isIntegralNumber()) {
            return Optional.of(fromNumber(node.longValue()));
        }
        if (!node.isTextual()) {
            return Optional.empty();
        }
        String text = node.textValue().strip();
        if (DIGITS.matcher(text).matches()) {
            return Optional.of(fromNumber(Long.parseLong(text)));
        }
        try {
            TemporalAccessor parsed = LENIENT_ISO.parse(text);
            ZoneOffset offset = parsed.isSupported(ChronoField.OFFSET_SECONDS) ? ZoneOffset.from(parsed) : ZoneOffset.UTC;
            return Optional.of(LocalDateTime.from(parsed).toInstant(offset));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Instant fromNumber(long value) {
        return value > LARGEST_SECONDS ? Instant.ofEpochMilli(value) : Instant.ofEpochSecond(value);
    }
}
