/**
 * Pages a plugin adds to the web admin console, served from the plugin's own file.
 */
package dev.shepherd.api.console;
