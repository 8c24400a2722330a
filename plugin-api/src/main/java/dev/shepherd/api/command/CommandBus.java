package dev.shepherd.api.command;

import dev.shepherd.api.device.DeviceId;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The kernel's durable per-device command queue, as platform plugins see it.
 *
 * <p>Delivery is at least once: a command handed out by {@link #take} stays {@code SENT} until a result
 * arrives, and is offered again if the device asks for work without answering it, up to a bound the operator sets
 * ({@code commands.maxAttempts}), after which it is {@link CommandState#FAILED} so it never holds up the commands
 * behind it. Results are idempotent by command id, so a device repeating an answer changes nothing. A
 * {@link CommandState#NOT_NOW} answer parks the command until {@link #requeueDeferred}, and starts the count again.
 * A command a plugin cannot encode at delivery should be reported {@code FAILED} with the reason.
 */
public interface CommandBus {

    /**
     * Hands out the next commands for a device, in priority then queue order, marking them {@code SENT}.
     *
     * @param deviceId the device asking for work
     * @param max the most commands to hand out
     * @return the commands, possibly none
     */
    List<Command> take(DeviceId deviceId, int max);

    /**
     * Makes the device's deferred ({@link CommandState#NOT_NOW}) commands eligible again. Platforms call it when the
     * device signals it can take work it refused before, such as an Apple device reporting Idle.
     *
     * @param deviceId the device
     * @return how many commands were requeued
     */
    int requeueDeferred(DeviceId deviceId);

    /**
     * Records a device's answer to a command. Answers for commands of other devices are refused.
     *
     * @param deviceId the device answering
     * @param result the answer
     * @throws IllegalArgumentException when the command does not belong to that device
     */
    void report(DeviceId deviceId, CommandResult result);

    /**
     * As {@link #report}, telling which command was answered: the command as the kernel has it after the answer (its
     * type and parameters as issued, its state now), whichever node handed it out and whenever. A platform decides from
     * it what else the answer concerns, such as state it keeps for some kinds of command only, without looking that up
     * for every answer. Parameters holding secrets are left sealed here; {@link #take} hands them out opened.
     *
     * @param deviceId the device answering
     * @param result the answer
     * @return the answered command; empty when the bus does not say (this default, for buses that predate it), and the
     *         caller must then assume it may be any command
     * @throws IllegalArgumentException when the command does not belong to that device
     * @since 0.7.0
     */
    default Optional<Command> recordAnswer(DeviceId deviceId, CommandResult result) {
        report(deviceId, result);
        return Optional.empty();
    }

    /**
     * Records a device's answer as {@link #recordAnswer} does and, when {@code thenTake} says the answered command lets
     * the device go on to its next work, hands that out as {@link #take} does, in the same transaction: one commit per
     * device message where answering and asking for work are one message (an Apple device's command report). The answer
     * is durable when this returns, whether or not anything was taken, and a failure records neither.
     *
     * <p>{@code thenTake} is called inside the kernel's transaction, possibly more than once (a transaction the database
     * chose as a deadlock victim is run again): it must only look at the command, never call out or wait.
     *
     * <p>This default, for buses that predate it, runs the two calls one after the other: the same outcome in two
     * transactions.
     *
     * @param deviceId the device answering
     * @param result the answer
     * @param thenTake given the answered command as {@link #recordAnswer} returns it, whether to take the next commands
     * @param max the most commands to hand out
     * @return the answered command and, when taken, the next ones
     * @throws IllegalArgumentException when the command does not belong to that device (nothing is recorded or taken)
     * @since 0.10.0
     */
    default AnswerAndNext recordAnswerAndTake(DeviceId deviceId, CommandResult result, Predicate<Optional<Command>> thenTake,
                                              int max) {
        Optional<Command> answered = recordAnswer(deviceId, result);
        return new AnswerAndNext(answered, thenTake.test(answered) ? Optional.of(take(deviceId, max)) : Optional.empty());
    }

    /**
     * Says a command handed out by {@link #take} is still on its way: the device or the platform's service is carrying
     * it out (an operation the plugin is polling), or the plugin will deliver it again itself (its service was
     * unavailable). Handing it out again until then does not count towards the bound on unanswered offers. Plugins
     * whose {@link #take} returns commands they already passed on call it for those.
     *
     * @param deviceId the device
     * @param commandId a command of that device, handed out and not answered yet; others are left alone
     * @since 0.4.0
     */
    default void inProgress(DeviceId deviceId, UUID commandId) {
    }
}
