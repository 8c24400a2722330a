package dev.shepherd.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.EnrollmentClaim;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.audit.Actor;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.command.CommandTargets;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.testing.TestServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * A small fleet for tests that look at every console page, so no page is drawn empty: iPads and Android phones in a
 * group, a Wi-Fi policy assigned to nothing yet, a lock sent to the group, an enrollment link and a person of the
 * directory. Seeded through the kernel, as the plugins and an admin would.
 *
 * @param devices the enrolled devices, the first one an iPad
 * @param groupId their group
 * @param policyId the Wi-Fi policy
 * @param batchId the lock sent to the group
 * @param personId the directory's person
 */
record ConsoleSampleData(List<DeviceId> devices, String groupId, String policyId, String batchId, String personId) {

    ConsoleSampleData {
        devices = List.copyOf(devices);
        requireNonNull(groupId, "groupId is null");
        requireNonNull(policyId, "policyId is null");
        requireNonNull(batchId, "batchId is null");
        requireNonNull(personId, "personId is null");
    }

    static ConsoleSampleData seed(TestServer server) {
        var kernel = server.server().kernel();
        Actor seed = Actor.admin("seed");
        String group = kernel.groups().create(seed, "Front desk tablets", "The tablets at the front desks of every shop", Optional.empty()).id();
        List<DeviceId> devices = new ArrayList<>();
        for (int index = 1; index <= 3; index++) {
            devices.add(kernel.devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.empty(), Platform.IOS, EnrollmentMethod.MANUAL,
                    Map.of("udid", "LOOK-UDID-" + index), "F9LOOK0" + index, "iPad13,18", "17.5", "Front desk iPad " + index)).device().id());
        }
        devices.add(kernel.devices().enroll(Actor.plugin("simulator"), new EnrollmentClaim(Optional.empty(), Platform.ANDROID, EnrollmentMethod.MANUAL,
                Map.of("enterpriseDeviceId", "LOOK-ANDROID-1"), "R58LOOK01", "Pixel 8", "15", "Courier phone 1")).device().id());
        kernel.groups().addMembers(seed, group, devices);
        String policy;
        try {
            policy = kernel.policies().create(seed, "Shop Wi-Fi", "The shops' staff network", List.of(new SettingInput("wifi",
                    new ObjectMapper().readTree("{\"ssid\": \"Shop staff\", \"security\": \"WPA2_PERSONAL\", \"password\": \"shop-secret-1\"}")))).id();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String batch = kernel.commands().issueToMany(seed, new CommandTargets.Listed(devices.subList(0, 3)),
                new CommandRequest(CommandType.LOCK, Map.of(), 0, Optional.empty()), "Lock the front desk iPads").id();
        kernel.enrollmentTokens().create(seed, new NewEnrollmentToken("Front desk iPads", Ownership.CORPORATE, Optional.of(Platform.IOS),
                Optional.of(group), Optional.empty(), OptionalInt.empty(), Instant.now().plus(Duration.ofDays(3)), false));
        String person = kernel.directory().create(seed, "local", "robin.field", "Robin Field", "robin@example.com").id();
        return new ConsoleSampleData(devices, group, policy, batch, person);
    }

    /** The console addresses of the pages that show one thing: a device, the group, the policy, the fan-out, the person. */
    List<String> detailPages() {
        return List.of("#/devices/" + devices.get(0), "#/groups/" + groupId, "#/policies/" + policyId, "#/commands/" + batchId,
                "#/users/" + personId, "#/policies/new");
    }
}
