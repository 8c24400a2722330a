/** Platform-independent policies, their settings and their state on devices. */
package dev.shepherd.api.policy;
