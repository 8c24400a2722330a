package dev.shepherd.security;

import dev.shepherd.api.command.CommandType;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The permissions issuing a command needs on top of {@link Permission#DEVICE_ACTION}, whichever route issues it
 * (one device, a fan-out, a compliance remediation), so that a role's limits hold for every way to the same effect.
 * Wipes and enterprise wipes destroy data ({@link Permission#DEVICE_WIPE}); profile installs and removals change
 * what the device enforces outside any policy ({@link Permission#DEVICE_PROFILE}); app installs, updates and removals
 * are what the app catalog's assignments do ({@link Permission#APP_MANAGE}, the same permission as assigning an app);
 * a RAW command is passed to the device unchanged and can do whatever the platform can — erase it, remove its
 * management profile, install anything — so it needs {@link Permission#COMMAND_RAW} and every permission of the
 * commands it could imitate.
 */
public final class CommandPermissions {

    private static final Set<Permission> RAW = Set.copyOf(EnumSet.of(Permission.COMMAND_RAW, Permission.DEVICE_WIPE,
            Permission.DEVICE_PROFILE, Permission.APP_MANAGE));

    private CommandPermissions() {
    }

    /** @return the permissions a command of this type needs beyond {@link Permission#DEVICE_ACTION} */
    public static Set<Permission> required(CommandType type) {
        return switch (requireNonNull(type, "type is null")) {
            case WIPE, ENTERPRISE_WIPE -> Set.of(Permission.DEVICE_WIPE);
            case INSTALL_PROFILE, REMOVE_PROFILE -> Set.of(Permission.DEVICE_PROFILE);
            case INSTALL_APP, UPDATE_APP, REMOVE_APP -> Set.of(Permission.APP_MANAGE);
            case RAW -> RAW;
            default -> Set.of();
        };
    }

    /** @return the first permission the role lacks for this command type, if any (in the enum's order) */
    public static Optional<Permission> missing(Role role, CommandType type) {
        requireNonNull(role, "role is null");
        return required(type).stream().filter(permission -> !role.allows(permission)).sorted().findFirst();
    }
}
