package dev.shepherd.plugin;

import java.util.concurrent.Callable;

/** The kernel's way into one plugin generation: every call goes through it. */
public interface PluginHandle {

    String id();

    String version();

    /**
     * Calls plugin code with the plugin's class loader as context loader and its id in the log context,
     * bounded by the configured call timeout. A throw or a hang marks the plugin failed.
     *
     * @param operation what is being called, for the failure reason, such as {@code DeviceEndpoint.handle}
     * @param call the call
     * @return what the call returned
     * @throws PluginCallException when the call failed, hung, or the plugin is not accepting calls
     */
    <T> T call(String operation, Callable<T> call) throws PluginCallException;
}
