package dev.shepherd.plugins.windows.syncml;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One item of a SyncML command: the node it addresses ({@code Target} when the server writes, {@code Source} when the
 * client reports), the value's {@code Meta} and the value itself.
 *
 * @param target the Target LocURI
 * @param source the Source LocURI
 * @param format the Meta Format, such as {@code chr}, {@code int}, {@code xml}
 * @param type the Meta Type, such as {@code text/plain} or a generic alert's type
 * @param data the value as text; XML markup a client put inside Data is kept as its serialised text
 */
public record Item(Optional<String> target, Optional<String> source, Optional<String> format, Optional<String> type,
                   Optional<String> data) {

    public Item {
        requireNonNull(target, "target is null");
        requireNonNull(source, "source is null");
        requireNonNull(format, "format is null");
        requireNonNull(type, "type is null");
        requireNonNull(data, "data is null");
    }

    /** @return an item addressing a node, without a value, as a Get or Delete carries */
    public static Item target(String locUri) {
        return new Item(Optional.of(locUri), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** @return an item writing a value of a format to a node */
    public static Item target(String locUri, Optional<String> format, Optional<String> data) {
        return new Item(Optional.of(locUri), Optional.empty(), format, format.map(ignored -> "text/plain"), data);
    }

    /** @return an item reporting a node's value, as a client's Replace or Results carries */
    public static Item source(String locUri, Optional<String> format, String data) {
        return new Item(Optional.empty(), Optional.of(locUri), format, Optional.empty(), Optional.of(data));
    }

    /** @return the node this item is about: its Target, or else its Source */
    public Optional<String> locUri() {
        return target.or(() -> source);
    }
}
