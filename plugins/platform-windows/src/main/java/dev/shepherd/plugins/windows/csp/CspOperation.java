package dev.shepherd.plugins.windows.csp;

import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * One OMA-DM operation on a configuration service provider node, before it is put into a SyncML message: what to do,
 * on which node, with what value. A management session wraps a setting's operations in one {@code Atomic}, so a
 * device applies all of them or none.
 *
 * @param verb {@code Add}, {@code Replace}, {@code Delete}, {@code Exec} or {@code Get}
 * @param locUri the node, such as {@code ./Device/Vendor/MSFT/Policy/Config/DeviceLock/DevicePasswordEnabled}
 * @param format the value's OMA-DM format: {@code int}, {@code chr}, {@code bool}, {@code b64}, {@code xml} or
 *        {@code node}; empty for operations without a value
 * @param data the value, as text (base64 for {@code b64}, escaped by the writer)
 */
public record CspOperation(String verb, String locUri, Optional<String> format, Optional<String> data) {

    public CspOperation {
        requireNonNull(verb, "verb is null");
        requireNonNull(locUri, "locUri is null");
        requireNonNull(format, "format is null");
        requireNonNull(data, "data is null");
        if (!Set.of("Add", "Replace", "Delete", "Exec", "Get").contains(verb)) {
            throw new IllegalArgumentException("unknown OMA-DM verb " + verb);
        }
        if (!locUri.startsWith("./")) {
            throw new IllegalArgumentException("an OMA-DM node URI starts with ./: " + locUri);
        }
    }

    public static CspOperation replace(String locUri, String format, String data) {
        return new CspOperation("Replace", locUri, Optional.of(format), Optional.of(data));
    }

    public static CspOperation add(String locUri, String format, String data) {
        return new CspOperation("Add", locUri, Optional.of(format), Optional.of(data));
    }

    public static CspOperation delete(String locUri) {
        return new CspOperation("Delete", locUri, Optional.empty(), Optional.empty());
    }

    public static CspOperation exec(String locUri, Optional<String> format, Optional<String> data) {
        return new CspOperation("Exec", locUri, format, data);
    }

    public static CspOperation get(String locUri) {
        return new CspOperation("Get", locUri, Optional.empty(), Optional.empty());
    }
}
