package dev.shepherd.plugins.appstore.apple;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.Base64;

import static java.util.Objects.requireNonNull;

/**
 * A location's content token (Apple calls it sToken or cToken), as an admin downloads it from Apple Business or
 * School Manager: Base64 of a JSON object with {@code token} (the location's identifier), {@code expDate} (ISO-8601,
 * such as {@code 2030-11-08T22:33:22+0000}) and {@code orgName}. The whole Base64 text is what the service expects
 * as {@code Authorization: Bearer}. It is a credential: {@link #toString()} leaves it out.
 *
 * @param value the token as uploaded (Base64, whitespace removed)
 * @param organisation the organisation it was issued for ({@code orgName})
 * @param expiresAt when Apple stops accepting it ({@code expDate})
 */
public record ContentToken(String value, String organisation, Instant expiresAt) {

    /** The largest token accepted; Apple's are a few hundred bytes. */
    static final int MAX_LENGTH = 8 * 1024;
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(MAX_LENGTH).build())
            .build()).build();
    /** Apple writes the offset without a colon ({@code +0000}); ISO-8601 with one is accepted too. */
    private static final DateTimeFormatter EXPIRY = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .toFormatter();

    /** Validates every part. */
    public ContentToken {
        requireNonNull(value, "value is null");
        requireNonNull(organisation, "organisation is null");
        requireNonNull(expiresAt, "expiresAt is null");
    }

    /**
     * Reads a content token file's text.
     *
     * @param text the file's content
     * @return the token
     * @throws IllegalArgumentException with a reason fit for the admin when the text is not a content token
     */
    public static ContentToken parse(String text) {
        requireNonNull(text, "text is null");
        String value = text.replaceAll("\\s+", "");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("the content token is empty: upload the .vpptoken file from Apple Business or School Manager");
        }
        if (value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("the content token is longer than " + MAX_LENGTH + " characters: is it the .vpptoken file?");
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the content token is not Base64: upload the .vpptoken file as it was downloaded");
        }
        JsonNode json;
        try {
            json = JSON.readTree(new String(decoded, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("the content token does not hold Apple's JSON (token, expDate, orgName)");
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("the content token does not hold Apple's JSON (token, expDate, orgName)");
        }
        text(json, "token");
        String organisation = text(json, "orgName");
        String expiry = text(json, "expDate");
        try {
            return new ContentToken(value, organisation, OffsetDateTime.parse(expiry, EXPIRY).toInstant());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("the content token's expDate is not an ISO-8601 date and time: " + expiry);
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new IllegalArgumentException("the content token has no " + field + ": is it an Apps and Books content token?");
        }
        return node.asText();
    }

    /** @return the organisation and expiry, never the token itself */
    @Override
    public String toString() {
        return "ContentToken[organisation=" + organisation + ", expiresAt=" + expiresAt + "]";
    }
}
