package dev.shepherd.app;

import dev.shepherd.api.command.Command;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.group.Group;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the app-catalog tests share over one kernel: iPhones enrolled (for a user, or none), static groups of them,
 * the one command a device got, and a catalog app by its identifier.
 */
record AppTestKit(Kernel kernel) {

    /** An iPhone enrolled with a token that gives it the user, if any. */
    DeviceId enroll(Optional<String> userId, String udid) {
        String secret = kernel.enrollmentTokens().create(ADMIN, new NewEnrollmentToken("phones", Ownership.CORPORATE, Optional.empty(),
                Optional.empty(), userId, OptionalInt.empty(), Instant.now().plus(Duration.ofHours(1)))).secret();
        return kernel.devices().enroll(Actor.plugin("test"), TestKernel.claim(secret, Platform.IOS, udid)).device().id();
    }

    /** A static group of the devices; @return its id */
    String group(String name, DeviceId... devices) {
        Group group = kernel.groups().create(ADMIN, name, "", Optional.empty());
        kernel.groups().addMembers(ADMIN, group.id(), List.of(devices));
        return group.id();
    }

    /** The one command waiting for the device (taken). */
    Command single(DeviceId device) {
        List<Command> commands = kernel.commands().take(device, 10);
        assertThat(commands).hasSize(1);
        return commands.get(0);
    }

    /** The catalog's app with the identifier. */
    CatalogApp app(String identifier) {
        return kernel.apps().list(Optional.of(identifier), Optional.empty(), Optional.empty(), 10).stream()
                .filter(app -> app.identifier().equals(identifier)).findFirst().orElseThrow();
    }
}
