/** Commands for devices and the bus that carries them. */
package dev.shepherd.api.command;
