/** Running on several nodes sharing one database: work done once per cluster. */
package dev.shepherd.api.cluster;
