/**
 * A small HTTP abstraction for device-facing endpoints, so plugins never depend on the kernel's HTTP server.
 */
package dev.shepherd.api.http;
