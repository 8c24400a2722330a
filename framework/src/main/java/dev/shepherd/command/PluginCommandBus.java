package dev.shepherd.command;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.device.DeviceId;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** The command queue as platform plugins see it. */
public final class PluginCommandBus implements CommandBus {

    private final CommandService commands;

    public PluginCommandBus(CommandService commands) {
        this.commands = requireNonNull(commands, "commands is null");
    }

    @Override
    public List<Command> take(DeviceId deviceId, int max) {
        return commands.take(deviceId, max);
    }

    @Override
    public int requeueDeferred(DeviceId deviceId) {
        return commands.requeueDeferred(deviceId);
    }

    @Override
    public void report(DeviceId deviceId, CommandResult result) {
        commands.report(deviceId, result);
    }
}
