package dev.shepherd.api.threat;

/**
 * How threatened a device is, in the common scale compliance rules use. Each connector maps its vendor's scale onto
 * it (a risk score, an exposure level, a severity) and says how in its documentation.
 *
 * <p>The constants are declared from best to worst, so {@link #compareTo} orders them by risk.
 *
 * @since 0.1.0
 */
public enum ThreatLevel {
    /** No threat found. */
    NONE,
    /** Low risk. */
    LOW,
    /** Medium risk. */
    MEDIUM,
    /** High risk: treat the device as compromised. */
    HIGH,
    /**
     * Critical risk: an active, confirmed compromise.
     *
     * @since 0.12.0
     */
    CRITICAL;

    /**
     * Whether this level is worse than another.
     *
     * @param other the other level
     * @return true when this level carries more risk
     * @since 0.12.0
     */
    public boolean isWorseThan(ThreatLevel other) {
        return compareTo(other) > 0;
    }
}
