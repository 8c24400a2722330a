/**
 * Threat defense: connectors that bring mobile threat-defense and endpoint-detection verdicts into the server
 * ({@link dev.shepherd.api.threat.ThreatDefenseConnector}, polled, and {@link dev.shepherd.api.threat.ThreatSignals},
 * pushed), in a common scale ({@link dev.shepherd.api.threat.ThreatLevel}) that compliance rules and conditional
 * access read.
 *
 * @since 0.1.0 (revised in 0.12.0)
 */
package dev.shepherd.api.threat;
