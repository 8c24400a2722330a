package dev.shepherd.command;

import dev.shepherd.api.command.AnswerAndNext;
import dev.shepherd.api.command.Command;
import dev.shepherd.api.command.CommandBus;
import dev.shepherd.api.command.CommandResult;
import dev.shepherd.api.device.DeviceId;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import static java.util.Objects.requireNonNull;

/** The command queue as platform plugins see it. */
public final class PluginCommandBus implements CommandBus {

    private final CommandService commands;
    private final UnaryOperator<Map<String, Object>> openSecrets;

    /**
     * @param openSecrets opens the sealed secrets in a command's parameters (a policy setting's password), which stay
     *        sealed in the store and are opened only for the plugin that carries the command out
     */
    public PluginCommandBus(CommandService commands, UnaryOperator<Map<String, Object>> openSecrets) {
        this.commands = requireNonNull(commands, "commands is null");
        this.openSecrets = requireNonNull(openSecrets, "openSecrets is null");
    }

    @Override
    public List<Command> take(DeviceId deviceId, int max) {
        return opened(commands.take(deviceId, max));
    }

    /** Commands as the plugin that carries them out gets them: their secrets opened. */
    private List<Command> opened(List<Command> handedOut) {
        return handedOut.stream().map(command -> new Command(command.id(), command.deviceId(), command.type(),
                openSecrets.apply(command.parameters()), command.priority(), command.state(), command.createdAt(), command.expiresAt()))
                .toList();
    }

    @Override
    public int requeueDeferred(DeviceId deviceId) {
        return commands.requeueDeferred(deviceId);
    }

    @Override
    public void report(DeviceId deviceId, CommandResult result) {
        commands.report(deviceId, result);
    }

    @Override
    public Optional<Command> recordAnswer(DeviceId deviceId, CommandResult result) {
        // The record the answer's transaction ends with: no read more than report makes.
        return Optional.of(commands.report(deviceId, result).command());
    }

    @Override
    public AnswerAndNext recordAnswerAndTake(DeviceId deviceId, CommandResult result, Predicate<Optional<Command>> thenTake, int max) {
        requireNonNull(thenTake, "thenTake is null");
        CommandService.AnswerAndNext done = commands.reportAndTake(deviceId, result,
                answered -> thenTake.test(Optional.of(answered.command())), max);
        return new AnswerAndNext(Optional.of(done.answered().command()), done.next().map(this::opened));
    }

    @Override
    public void inProgress(DeviceId deviceId, UUID commandId) {
        commands.inProgress(deviceId, commandId);
    }
}
