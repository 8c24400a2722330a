package dev.shepherd.device;

import static java.util.Objects.requireNonNull;

/**
 * The orders a device listing can come in; each is a stable keyset order ending in the device id. Every sort column is
 * NOT NULL and indexed with the id after it, so the first page of any order is an index range scan.
 */
public enum DeviceSort {
    /** By id: the cheapest order, stable under inserts. */
    ID("d.id", false),
    /** By name, ignoring case. */
    NAME("d.name_key", false),
    /** By name, ignoring case, Z first. */
    NAME_DESC("d.name_key", true),
    SERIAL("d.serial_number", false),
    SERIAL_DESC("d.serial_number", true),
    MODEL("d.model", false),
    MODEL_DESC("d.model", true),
    /** By OS version, compared numerically (through the zero-padded version key). */
    OS_VERSION("d.os_version_key", false),
    OS_VERSION_DESC("d.os_version_key", true),
    PLATFORM("d.platform", false),
    PLATFORM_DESC("d.platform", true),
    STATUS("d.status", false),
    STATUS_DESC("d.status", true),
    COMPLIANCE("d.compliance", false),
    COMPLIANCE_DESC("d.compliance", true);

    private final String column;
    private final boolean descending;

    DeviceSort(String column, boolean descending) {
        this.column = requireNonNull(column, "column is null");
        this.descending = descending;
    }

    /** The device table column this order sorts by (then by id), as {@code d.<column>}. */
    String column() {
        return column;
    }

    boolean descending() {
        return descending;
    }
}
