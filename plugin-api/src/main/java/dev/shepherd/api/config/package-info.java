/** A plugin's own configuration and storage. */
package dev.shepherd.api.config;
