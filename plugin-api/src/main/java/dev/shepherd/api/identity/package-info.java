/** Extension point of identity-provider plugins. */
package dev.shepherd.api.identity;
