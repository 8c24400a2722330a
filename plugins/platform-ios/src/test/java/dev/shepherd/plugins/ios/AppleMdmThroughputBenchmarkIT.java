package dev.shepherd.plugins.ios;

import com.dd.plist.NSDictionary;
import dev.shepherd.apple.AppleDeviceSimulator;
import dev.shepherd.apple.AppleTestServers;
import dev.shepherd.apple.EnrollmentLinks;
import dev.shepherd.apple.LocalApns;
import dev.shepherd.api.command.CommandType;
import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.command.CommandRequest;
import dev.shepherd.server.Kernel;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Load generator, not a test: simulated iPhones enroll through the enrollment link (profile, SCEP, Authenticate,
 * TokenUpdate), then drain their command queues over the check-in/command loop (Idle, then one signed
 * Acknowledged per command, each verified, recorded and answered with the next command) against the iOS plugin
 * loaded from its file. Issuing the commands wakes every device through APNs (a push service on loopback). Runs only when asked:
 *
 * <pre>mvn -B -q install -DskipTests &amp;&amp; mvn -B verify -pl plugins/platform-ios -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dit.test=AppleMdmThroughputBenchmarkIT -Dshepherd.benchmark=true [-Dshepherd.benchmark.devices=200] \
 *     [-Dshepherd.benchmark.commands=10] [-Dshepherd.benchmark.threads=16]</pre>
 *
 * Client and server share the machine, so the figures are a floor for the server alone.
 */
@EnabledIfSystemProperty(named = "shepherd.benchmark", matches = "true")
class AppleMdmThroughputBenchmarkIT {

    @TempDir
    Path home;

    @Test
    void checkInAndCommandLoopThroughput() throws Exception {
        int devices = Integer.getInteger("shepherd.benchmark.devices", 200);
        int commandsPerDevice = Integer.getInteger("shepherd.benchmark.commands", 10);
        int threads = Integer.getInteger("shepherd.benchmark.threads", 16);
        try (LocalApns apns = LocalApns.start(home.resolve("apns"));
             TestServer server = AppleTestServers.start(home.resolve("server"), "com.apple.mgmt.External.benchmark",
                Map.of("apnsUrl", apns.url().toString(), "apnsTrustedCertificate", apns.trustedCertificate().toString()),
                Map.of("SHEPHERD_DATABASE_POOL_SIZE", "20", "SHEPHERD_PLUGINS_CALL_TIMEOUT", "30s", "SHEPHERD_COMMANDS_PUSH_RATE", "10000"),
                Map.of("apple-ios", Path.of(System.getProperty("shepherd.pluginFile"))))) {
            Kernel kernel = server.server().kernel();
            HttpResponse<String> uploaded = server.send(HttpRequest.newBuilder(server.uri("/api/v1/plugins/apple-ios/push-certificate"))
                    .header("Authorization", TestServer.basic(TestServer.ADMIN, TestServer.ADMIN_PASSWORD))
                    .header("Content-Type", "application/x-pem-file").PUT(HttpRequest.BodyPublishers.ofString(LocalApns.pushCertificatePem("com.apple.mgmt.External.benchmark",
                            Duration.ofDays(300)))).build());
            assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
            URI link = EnrollmentLinks.create(server, "ios", "CORPORATE", devices);
            ExecutorService pool = Executors.newFixedThreadPool(threads);

            long enrollStart = System.nanoTime();
            List<Future<AppleDeviceSimulator>> enrolling = new ArrayList<>();
            for (int i = 0; i < devices; i++) {
                String udid = String.format("00008110-%016X", 0xB000_0000L + i);
                enrolling.add(pool.submit(() -> {
                    AppleDeviceSimulator device = new AppleDeviceSimulator(server.uri("/"), udid);
                    device.installProfile(link);
                    if (!device.enrollIdentity().status().equals("0") || device.authenticate().statusCode() != 200
                            || device.tokenUpdate().statusCode() != 200) {
                        throw new IllegalStateException(udid + " did not enroll");
                    }
                    return device;
                }));
            }
            List<AppleDeviceSimulator> fleet = new ArrayList<>();
            for (Future<AppleDeviceSimulator> future : enrolling) {
                fleet.add(future.get());
            }
            double enrollSeconds = (System.nanoTime() - enrollStart) / 1e9;

            long wakeStart = System.nanoTime();
            for (AppleDeviceSimulator device : fleet) {
                DeviceId id = kernel.devices().idByHardwareId(Platform.IOS, "udid", device.udid()).orElseThrow();
                for (int c = 0; c < commandsPerDevice; c++) {
                    kernel.commands().issue(TestKernel.ADMIN, id, c % 2 == 0 ? CommandRequest.of(CommandType.REFRESH_INVENTORY)
                            : new CommandRequest(CommandType.LOCK, Map.of("message", "Benchmark"), 0, Optional.empty()));
                }
            }

            // Every device has been woken once its push reached the push service; pushes for a device already waiting
            // for one are coalesced.
            await().atMost(Duration.ofMinutes(2)).until(() -> apns.pushes().stream().map(LocalApns.Push::token).distinct().count() == devices);
            double wakeSeconds = (System.nanoTime() - wakeStart) / 1e9;
            int pushes = apns.pushes().size();

            AtomicLong messages = new AtomicLong();
            AtomicLong acknowledged = new AtomicLong();
            long loopStart = System.nanoTime();
            List<Future<?>> draining = new ArrayList<>();
            for (AppleDeviceSimulator device : fleet) {
                draining.add(pool.submit(() -> {
                    Optional<NSDictionary> next = device.idle();
                    messages.incrementAndGet();
                    while (next.isPresent()) {
                        next = device.answer(next.get(), "Acknowledged");
                        messages.incrementAndGet();
                        acknowledged.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> future : draining) {
                future.get();
            }
            double loopSeconds = (System.nanoTime() - loopStart) / 1e9;
            pool.shutdown();

            assertThat(acknowledged.get()).isEqualTo((long) devices * commandsPerDevice);
            String report = String.format("""
                    Apple MDM check-in/command loop, %d simulated iPhones, %d commands each, %d client threads, %d cores
                    enrollment (profile download + SCEP with client RSA-2048 key generation + Authenticate + TokenUpdate): %.1f devices/s (%.1f s)
                    commands issued and every device woken over APNs (HTTP/2, local push service): %.2f s, %d pushes for %d commands
                    command loop: %d signed messages in %.2f s = %.0f messages/s, %.0f commands acknowledged/s
                    """, devices, commandsPerDevice, threads, Runtime.getRuntime().availableProcessors(), devices / enrollSeconds,
                    enrollSeconds, wakeSeconds, pushes, devices * commandsPerDevice, messages.get(), loopSeconds, messages.get() / loopSeconds,
                    acknowledged.get() / loopSeconds);
            System.out.println(report);
            Files.writeString(Path.of("target", "apple-mdm-throughput.txt"), report);
        }
    }
}
