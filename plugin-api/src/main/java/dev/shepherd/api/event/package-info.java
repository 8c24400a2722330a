/** Kernel and plugin events. */
package dev.shepherd.api.event;
