/** Devices as the kernel registers them. */
package dev.shepherd.api.device;
