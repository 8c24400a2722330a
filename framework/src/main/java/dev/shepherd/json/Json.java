package dev.shepherd.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's one JSON configuration: ISO-8601 instants, Optional support, unknown properties and duplicate keys
 * refused, and bounds on what any JSON read may hold, so a hostile body is refused by the parser before anything recurses over it.
 */
public final class Json {

    /** Deeper than any admin body or stored value (a policy setting is a few levels), far below what strains a stack. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** Longer than any value the kernel takes in one string (a profile, a certificate, a script). */
    public static final int MAX_STRING_LENGTH = 8 * 1024 * 1024;
    /** Digits of one number; a longer one is refused before it is converted (which is quadratic in the length). */
    public static final int MAX_NUMBER_LENGTH = 100;
    /** Length of one property name. */
    public static final int MAX_NAME_LENGTH = 1024;

    private final ObjectMapper mapper;

    public Json() {
        this.mapper = JsonMapper.builder(JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxStringLength(MAX_STRING_LENGTH)
                        .maxNumberLength(MAX_NUMBER_LENGTH)
                        .maxNameLength(MAX_NAME_LENGTH)
                        .build()).build())
                .addModule(new JavaTimeModule())
                .addModule(new Jdk8Module())
                .addModule(identifiers())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                // {"role": "AUDITOR", "role": "ADMIN"}: parsers disagree on which one wins, so neither does.
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    /** Device ids and platforms are plain strings in JSON, as they are in URLs. */
    private static Module identifiers() {
        SimpleModule module = new SimpleModule("shepherd-identifiers");
        module.addSerializer(DeviceId.class, new ToStringSerializer());
        module.addSerializer(Platform.class, new ToStringSerializer());
        module.addDeserializer(DeviceId.class, new FromStringDeserializer<>(
                DeviceId.class) {
            @Override
            protected DeviceId _deserialize(String value, DeserializationContext context) {
                return DeviceId.parse(value);
            }
        });
        module.addDeserializer(Platform.class, new FromStringDeserializer<>(
                Platform.class) {
            @Override
            protected Platform _deserialize(String value, DeserializationContext context) {
                return new Platform(value);
            }
        });
        return module;
    }

    /** @return what a bound refused, in words for a 400: Jackson's text without its pointer to its own API */
    public static String describe(StreamConstraintsException e) {
        return e.getOriginalMessage().replaceAll(",? from `[^`]*`", "").trim();
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** Serialises a kernel value; a value that cannot be is a programming error. */
    public String write(Object value) {
        requireNonNull(value, "value is null");
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
