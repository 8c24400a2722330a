package dev.shepherd.device;

/** The orders a device listing can come in; each is a stable keyset order ending in the device id. */
public enum DeviceSort {
    /** By id: the cheapest order, stable under inserts. */
    ID,
    /** By name, ignoring case. */
    NAME
}
