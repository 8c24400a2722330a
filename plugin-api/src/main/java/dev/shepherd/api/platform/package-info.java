/** Extension points of OS platform plugins (iOS, macOS, Android, Windows, ChromeOS, …). */
package dev.shepherd.api.platform;
