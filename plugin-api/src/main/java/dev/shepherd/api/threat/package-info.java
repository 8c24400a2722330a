/** Extension point of threat-defense connector plugins. */
package dev.shepherd.api.threat;
