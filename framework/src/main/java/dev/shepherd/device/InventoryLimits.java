package dev.shepherd.device;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How much inventory a device may report ({@code inventory.*} in the configuration): whatever a device sends, what is
 * stored stays within these bounds. A report beyond them is cut (keys dropped, values truncated) with a warning, and a
 * device reporting faster than allowed has its reports refused until the minute is over.
 *
 * @param maxKeysPerReport the most keys one report stores
 * @param maxKeysPerDevice the most keys stored for one device
 * @param maxKeyLength the longest key stored, in characters; longer keys are dropped (at most 200, the column's size)
 * @param maxValueLength the longest value stored, in characters; longer values are truncated (at most 4000)
 * @param maxReportsPerMinute the most reports a device may make in a minute
 */
public record InventoryLimits(int maxKeysPerReport, int maxKeysPerDevice, int maxKeyLength, int maxValueLength,
                              int maxReportsPerMinute) {

    /** The longest key the store holds. */
    public static final int KEY_COLUMN = 200;
    /** The longest value the store holds. */
    public static final int VALUE_COLUMN = 4000;
    /** The defaults: room for a Mac with a thousand apps, a report a second. */
    public static final InventoryLimits DEFAULTS = new InventoryLimits(2000, 5000, KEY_COLUMN, VALUE_COLUMN, 60);
    /** The key that says the device's last report over the limits was cut, and how. */
    public static final String LIMITED_MARKER = "shepherd.inventory.limited";
    /** Keys that also update the device's own fields: kept first when a report is cut. */
    private static final List<String> WELL_KNOWN = List.of("os.version", "model", "serial.number", "device.name");

    public InventoryLimits {
        positive(maxKeysPerReport, "maxKeysPerReport");
        positive(maxKeysPerDevice, "maxKeysPerDevice");
        positive(maxReportsPerMinute, "maxReportsPerMinute");
        if (maxKeyLength < 1 || maxKeyLength > KEY_COLUMN) {
            throw new IllegalArgumentException("maxKeyLength must be between 1 and " + KEY_COLUMN);
        }
        if (maxValueLength < 1 || maxValueLength > VALUE_COLUMN) {
            throw new IllegalArgumentException("maxValueLength must be between 1 and " + VALUE_COLUMN);
        }
    }

    /**
     * What of a report is stored.
     *
     * @param items the keys and values to store
     * @param droppedKeys how many keys were left out
     * @param truncatedValues how many values were cut to {@link #maxValueLength}
     */
    public record Bounded(Map<String, String> items, int droppedKeys, int truncatedValues) {

        /** @return whether the report was cut */
        public boolean limited() {
            return droppedKeys > 0 || truncatedValues > 0;
        }
    }

    /**
     * Cuts a report to the limits.
     *
     * @param stored the keys the device has stored now
     * @param completePrefix the prefix a complete report replaces (its stored keys the report lacks are removed)
     * @param report what the device reported
     */
    public Bounded bound(Set<String> stored, Optional<String> completePrefix, Map<String, String> report) {
        long remaining = completePrefix.map(prefix -> stored.stream().filter(key -> !key.startsWith(prefix)).count())
                .orElse((long) stored.size());
        Map<String, String> kept = new LinkedHashMap<>();
        int dropped = 0;
        int truncated = 0;
        List<Map.Entry<String, String>> ordered = Stream.concat(
                report.entrySet().stream().filter(entry -> WELL_KNOWN.contains(entry.getKey())),
                report.entrySet().stream().filter(entry -> !WELL_KNOWN.contains(entry.getKey()))).toList();
        long count = remaining;
        for (Map.Entry<String, String> entry : ordered) {
            String key = entry.getKey();
            if (key == null || key.isBlank() || key.length() > maxKeyLength || kept.size() >= maxKeysPerReport) {
                dropped++;
                continue;
            }
            boolean isNew = !stored.contains(key) || completePrefix.map(key::startsWith).orElse(false);
            if (isNew && count >= maxKeysPerDevice) {
                dropped++;
                continue;
            }
            String value = entry.getValue() == null ? "" : entry.getValue();
            if (value.length() > maxValueLength) {
                value = value.substring(0, maxValueLength);
                truncated++;
            }
            kept.put(key, value);
            if (isNew) {
                count++;
            }
        }
        return new Bounded(kept, dropped, truncated);
    }

    private static void positive(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1");
        }
    }
}
