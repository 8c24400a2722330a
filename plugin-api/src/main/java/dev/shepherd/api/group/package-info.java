/** Groups as plugins maintain them. */
package dev.shepherd.api.group;
