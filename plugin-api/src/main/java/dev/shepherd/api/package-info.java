/**
 * The Shepherd plugin API. Plugins depend on this module in {@code provided} scope and on nothing else of the
 * kernel. Extension points are PF4J {@link org.pf4j.ExtensionPoint}s; implementations are annotated
 * {@link org.pf4j.Extension} and created by the kernel, which injects the kernel services they ask for with
 * {@link jakarta.inject.Inject}: {@link dev.shepherd.api.config.PluginConfig},
 * {@link dev.shepherd.api.config.PluginStorage}, {@link dev.shepherd.api.config.PluginDatabase},
 * {@link dev.shepherd.api.event.EventPublisher}, {@link dev.shepherd.api.config.PluginIdentity}, and, as the kernel grows them,
 * {@link dev.shepherd.api.device.DeviceRegistry}, {@link dev.shepherd.api.command.CommandBus} and
 * {@link dev.shepherd.api.policy.PolicyService}.
 */
package dev.shepherd.api;
