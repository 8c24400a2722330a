package dev.shepherd.api.threat;

/** How threatened a device is, in the common scale compliance rules use. */
public enum ThreatLevel {
    /** No threat found. */
    NONE,
    /** Low risk. */
    LOW,
    /** Medium risk. */
    MEDIUM,
    /** High risk: treat the device as compromised. */
    HIGH
}
