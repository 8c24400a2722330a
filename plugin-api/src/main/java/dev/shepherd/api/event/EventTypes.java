package dev.shepherd.api.event;

/** The event types the kernel raises. Plugins may raise their own, prefixed with their plugin id. */
public final class EventTypes {

    /** A plugin started; data: {@code pluginId}, {@code version}. */
    public static final String PLUGIN_STARTED = "plugin.started";
    /** A plugin stopped and was unloaded; data: {@code pluginId}, {@code version}. */
    public static final String PLUGIN_STOPPED = "plugin.stopped";
    /** A plugin failed; data: {@code pluginId}, {@code reason}. */
    public static final String PLUGIN_FAILED = "plugin.failed";
    /** A device completed enrollment; data: {@code deviceId}, {@code platform}. */
    public static final String DEVICE_ENROLLED = "device.enrolled";
    /**
     * An enrollment asserted hardware identifiers an enrolled device holds, without proving to be that device; it was
     * given a record of its own. Data: {@code deviceId} (the newcomer), {@code heldBy} (the device holding them),
     * {@code kind}, {@code platform}.
     */
    public static final String DEVICE_IDENTITY_CONFLICT = "device.identity_conflict";
    /** A device talked to the server; data: {@code deviceId}. */
    public static final String DEVICE_CHECKED_IN = "device.checked_in";
    /** A command changed state; data: {@code commandId}, {@code deviceId}, {@code state}. */
    public static final String COMMAND_STATE_CHANGED = "command.state_changed";
    /** A device's compliance changed; data: {@code deviceId}, {@code compliance}. */
    public static final String COMPLIANCE_CHANGED = "compliance.changed";
    /**
     * A device's threat state changed: a threat-defense connector's verdict on it changed (data: {@code deviceId},
     * {@code connectorId}, {@code from} — the previous level, or {@code NONE} for a first verdict —, {@code level},
     * {@code threats}: how many threats are behind it), or a connector's verdicts went stale or fresh again (data:
     * {@code connectorId}, {@code stale}, {@code devices}: how many devices it has verdicts on, and no {@code deviceId}).
     *
     * @since 0.12.0
     */
    public static final String THREAT_CHANGED = "threat.changed";

    private EventTypes() {
    }
}
