/** The kernel's certificate authority for device identities. */
package dev.shepherd.api.pki;
