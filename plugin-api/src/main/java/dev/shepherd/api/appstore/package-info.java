/** Extension point of app-store connector plugins. */
package dev.shepherd.api.appstore;
