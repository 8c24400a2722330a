package dev.shepherd.plugin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.policy.SettingState;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.enrollment.NewEnrollmentToken;
import dev.shepherd.group.Group;
import dev.shepherd.policy.DeviceSettingState;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestPluginBuilder;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static dev.shepherd.testing.TestPluginBuilder.plugin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A platform plugin, loaded from its file, driving the kernel only through the plugin API: it enrolls a device
 * through the device registry, contributes a setting type, receives the policy as install commands from the
 * command bus, wakes the device when a command is queued, and reports results that become desired-versus-actual.
 */
class KernelServicesThroughAPluginTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);

    @TempDir
    Path home;
    @TempDir
    Path build;
    private TestServer server;
    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aPlatformPluginUsesTheKernelThroughThePluginApi() throws Exception {
        server = TestServer.start(home);
        Files.copy(platformPlugin().buildZip(build, "testos.zip"), server.pluginsDir().resolve("testos.zip"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/testos/wakes").statusCode()).isEqualTo(200));
        Kernel kernel = server.server().kernel();

        String secret = kernel.enrollmentTokens().create(TestKernel.ADMIN, new NewEnrollmentToken("testos", Ownership.CORPORATE,
                Optional.of(new Platform("testos")), Optional.empty(), Optional.empty(), OptionalInt.of(1),
                Instant.now().plus(Duration.ofHours(1)))).secret();
        String enrolled = post("/mdm/testos/enroll?udid=T-1&token=" + secret);
        DeviceId device = DeviceId.parse(enrolled);
        assertThat(kernel.devices().get(device).orElseThrow().enrolledBy()).hasValue("plugin:testos");
        assertThat(post("/mdm/testos/enroll?udid=T-2&token=" + secret)).isEqualTo("refused: the enrollment token is unknown, expired, used up or revoked");

        assertThat(kernel.policies().settingTypes().get("testos.kiosk")).isPresent();
        Group group = kernel.groups().create(TestKernel.ADMIN, "Testos", "", Optional.empty());
        kernel.groups().addMembers(TestKernel.ADMIN, group.id(), List.of(device));
        Policy policy = kernel.policies().create(TestKernel.ADMIN, "Testos", "", List.of(
                new SettingInput("passcode", json.readTree("{\"minLength\": 8}")),
                new SettingInput("testos.kiosk", json.readTree("{\"app\": \"com.acme.signage\"}")),
                new SettingInput("dlp", json.readTree("{\"allowPrinting\": false}"))));
        kernel.policies().assign(TestKernel.ADMIN, policy.id(), group.id(), 0);

        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/testos/next?udid=T-1").body())
                .contains("INSTALL_PROFILE passcode").contains("INSTALL_PROFILE testos.kiosk"));
        assertThat(state(kernel, device, "dlp")).isEqualTo(SettingState.NOT_SUPPORTED);
        assertThat(server.get("/mdm/testos/effective?udid=T-1").body()).isEqualTo("dlp,passcode,testos.kiosk");

        for (String line : server.get("/mdm/testos/next?udid=T-1").body().split("\n")) {
            post("/mdm/testos/ack?udid=T-1&command=" + line.split(" ")[0]);
        }
        assertThat(state(kernel, device, "passcode")).isEqualTo(SettingState.INSTALLED);
        assertThat(state(kernel, device, "testos.kiosk")).isEqualTo(SettingState.INSTALLED);

        kernel.commands().issue(TestKernel.ADMIN, device, CommandRequest.of(CommandType.LOCK));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(server.get("/mdm/testos/wakes").body()).contains(device.toString()));
        assertThat(server.get("/mdm/testos/next?udid=T-1").body()).contains("LOCK");
    }

    private static SettingState state(Kernel kernel, DeviceId device, String key) {
        return kernel.policies().settingStates(device).stream().filter(state -> state.settingKey().equals(key))
                .map(DeviceSettingState::state).findFirst().orElseThrow();
    }

    private String post(String path) {
        return server.send(HttpRequest.newBuilder(server.uri(path)).POST(HttpRequest.BodyPublishers.noBody()).build()).body();
    }

    private static TestPluginBuilder platformPlugin() {
        return plugin("testos", "1.0.0").source("""
                package acme.testos;

                import dev.shepherd.api.command.Command;
                import dev.shepherd.api.command.CommandBus;
                import dev.shepherd.api.command.CommandResult;
                import dev.shepherd.api.command.CommandState;
                import dev.shepherd.api.device.Device;
                import dev.shepherd.api.device.DeviceRegistry;
                import dev.shepherd.api.device.EnrollmentClaim;
                import dev.shepherd.api.device.EnrollmentMethod;
                import dev.shepherd.api.device.EnrollmentRefusedException;
                import dev.shepherd.api.device.Platform;
                import dev.shepherd.api.http.DeviceEndpoint;
                import dev.shepherd.api.http.DeviceRequest;
                import dev.shepherd.api.http.DeviceResponse;
                import dev.shepherd.api.platform.PlatformSupport;
                import dev.shepherd.api.policy.PolicyService;
                import dev.shepherd.api.policy.Setting;
                import dev.shepherd.api.policy.SettingTypeDefinition;
                import dev.shepherd.api.policy.SettingTypeProvider;
                import jakarta.inject.Inject;
                import jakarta.inject.Singleton;
                import org.pf4j.Extension;

                import java.time.Instant;
                import java.util.ArrayList;
                import java.util.Collections;
                import java.util.List;
                import java.util.Map;
                import java.util.Optional;
                import java.util.Set;
                import java.util.UUID;
                import java.util.stream.Collectors;

                @Extension
                @Singleton
                public class TestOs implements PlatformSupport, SettingTypeProvider, DeviceEndpoint {
                    private static final Platform TESTOS = new Platform("testos");
                    private final DeviceRegistry registry;
                    private final CommandBus commands;
                    private final PolicyService policies;
                    private final List<String> wakes = Collections.synchronizedList(new ArrayList<>());

                    @Inject
                    public TestOs(DeviceRegistry registry, CommandBus commands, PolicyService policies) {
                        this.registry = registry;
                        this.commands = commands;
                        this.policies = policies;
                    }

                    @Override
                    public Platform platform() {
                        return TESTOS;
                    }

                    @Override
                    public Set<String> supportedSettingTypes() {
                        return Set.of("passcode", "testos.kiosk");
                    }

                    @Override
                    public boolean wake(Device device) {
                        wakes.add(device.id().toString());
                        return true;
                    }

                    @Override
                    public List<SettingTypeDefinition> settingTypes() {
                        return List.of(new SettingTypeDefinition("testos.kiosk",
                                "{\\"type\\":\\"object\\",\\"title\\":\\"Kiosk\\",\\"additionalProperties\\":false,"
                                + "\\"required\\":[\\"app\\"],\\"properties\\":{\\"app\\":{\\"type\\":\\"string\\"}}}"));
                    }

                    @Override
                    public DeviceResponse handle(DeviceRequest request) {
                        String udid = request.queryParameter("udid").orElse("");
                        switch (request.path()) {
                            case "/enroll": {
                                try {
                                    Device device = registry.enroll(new EnrollmentClaim(request.queryParameter("token"), TESTOS,
                                            EnrollmentMethod.LINK, Map.of("udid", udid), "SN-" + udid, "Test 1", "1.0", ""));
                                    return DeviceResponse.text(200, device.id().toString());
                                } catch (EnrollmentRefusedException refused) {
                                    return DeviceResponse.text(403, "refused: " + refused.getMessage());
                                }
                            }
                            case "/next": {
                                Optional<Device> device = registry.findByHardwareId(TESTOS, "udid", udid);
                                if (device.isEmpty()) {
                                    return DeviceResponse.text(404, "unknown device");
                                }
                                registry.recordCheckIn(device.get().id(), Instant.now());
                                return DeviceResponse.text(200, commands.take(device.get().id(), 20).stream()
                                        .map(command -> command.id() + " " + command.type()
                                                + (command.parameters().containsKey("settingKey") ? " " + command.parameters().get("settingKey") : ""))
                                        .collect(Collectors.joining("\\n")));
                            }
                            case "/ack": {
                                Device device = registry.findByHardwareId(TESTOS, "udid", udid).orElseThrow();
                                commands.report(device.id(), new CommandResult(UUID.fromString(request.queryParameter("command").orElseThrow()),
                                        CommandState.ACKNOWLEDGED, Map.of(), Optional.empty()));
                                return DeviceResponse.empty(204);
                            }
                            case "/effective": {
                                Device device = registry.findByHardwareId(TESTOS, "udid", udid).orElseThrow();
                                return DeviceResponse.text(200, policies.effectivePolicy(device.id()).settings().stream()
                                        .map(Setting::key).sorted().collect(Collectors.joining(",")));
                            }
                            case "/wakes":
                                return DeviceResponse.text(200, String.join(",", wakes));
                            default:
                                return DeviceResponse.text(404, "no such endpoint");
                        }
                    }
                }
                """);
    }
}
