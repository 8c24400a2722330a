package dev.shepherd.plugins.ios;

import dev.shepherd.apple.PreEnrolledAppleDevices;
import dev.shepherd.security.OwnerOnlyFiles;
import dev.shepherd.storage.Dialect;
import dev.shepherd.storage.JdbcPluginKeyValueStore;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestPostgres;
import dev.shepherd.testing.TestStore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * A stored, enrolled fleet of simulated iPhones, so a fleet-scale benchmark does not enroll 100,000 devices on every
 * run. Built once through the kernel calls the Apple plugin makes at enrollment ({@link PreEnrolledAppleDevices}:
 * each device its own kernel-CA certificate, device record, CA and plugin bindings, push token), then reused. A
 * snapshot directory holds:
 * <ul>
 *   <li>{@code data/}: the installation's data directory as the kernel left it, the secrets key (which seals the CA's
 *   key) and, on Derby, the database itself (copied after a clean shutdown);</li>
 *   <li>{@code postgresql.dump}, on PostgreSQL: the database, {@code pg_dump -Fc}, restored with {@code pg_restore}
 *   into a fresh database of the test server;</li>
 *   <li>{@code devices.txt}: each device's UDID and certificate (DER, base64), one per line, and {@code fleet-key.txt}:
 *   the key algorithm and the private key every device signs with (PKCS#8, base64) - what the generator needs.</li>
 * </ul>
 * A run copies the snapshot into its own installation, so the snapshot itself is never written to by a server.
 */
final class FleetSnapshot {

    /** The enrolled fleet as the generator sees it: device {@code i} is {@code udids[i]} with {@code certificates[i]}. */
    record Fleet(String[] udids, X509Certificate[] certificates, PrivateKey key) {
        Fleet {
            requireNonNull(udids, "udids is null");
            requireNonNull(certificates, "certificates is null");
            requireNonNull(key, "key is null");
        }

        int size() {
            return udids.length;
        }
    }

    /** What {@link #restoreOrBuild} did, for the report. */
    record Restored(Fleet fleet, boolean built, double seconds) {
    }

    private static final String COMPLETE = "complete";

    private final Path directory;

    FleetSnapshot(Path directory) {
        this.directory = requireNonNull(directory, "directory is null");
    }

    Path directory() {
        return directory;
    }

    /**
     * Makes {@code store} an installation holding the enrolled fleet: from the snapshot when there is one, else
     * enrolled now and stored as the snapshot first.
     */
    Restored restoreOrBuild(Path store, int size, String keyAlgorithm, String pluginId, String pushTopic, int threads) throws Exception {
        long start = System.nanoTime();
        boolean built = false;
        if (!Files.exists(directory.resolve(COMPLETE))) {
            build(store.resolveSibling(store.getFileName() + "-enrollment"), size, keyAlgorithm, pluginId, pushTopic, threads);
            built = true;
        }
        copy(directory.resolve("data"), store.resolve("data"));
        if (TestStore.engine() == Dialect.POSTGRESQL) {
            TestPostgres postgres = TestPostgres.get();
            postgres.restore(directory.resolve("postgresql.dump"), postgres.databaseOf(store));
        }
        return new Restored(read(), built, (System.nanoTime() - start) / 1e9);
    }

    private void build(Path installation, int size, String keyAlgorithm, String pluginId, String pushTopic, int threads) throws Exception {
        Path partial = directory.resolveSibling(directory.getFileName() + ".partial");
        delete(partial);
        Files.createDirectories(partial);
        Files.createDirectories(installation);
        List<PreEnrolledAppleDevices.Member> members;
        KeyPair keys = keys(keyAlgorithm);
        try (TestKernel kernel = TestKernel.open(TestStore.config(installation), Clock.systemUTC())) {
            PreEnrolledAppleDevices enrolling = new PreEnrolledAppleDevices(kernel.kernel(),
                    new JdbcPluginKeyValueStore(kernel.database().dataSource()), pluginId, keys, Optional.of(pushTopic));
            members = enrolling.enroll(IntStream.range(0, size).mapToObj(FleetSnapshot::udid).toList(), threads);
        }
        // The kernel is closed (Derby shut down cleanly), so its files are consistent.
        copy(installation.resolve("data"), partial.resolve("data"));
        if (TestStore.engine() == Dialect.POSTGRESQL) {
            TestPostgres postgres = TestPostgres.get();
            postgres.dump(postgres.databaseOf(installation), partial.resolve("postgresql.dump"));
        }
        List<String> lines = new ArrayList<>(size);
        Base64.Encoder base64 = Base64.getEncoder();
        for (PreEnrolledAppleDevices.Member member : members) {
            lines.add(member.udid() + " " + base64.encodeToString(member.certificate().getEncoded()));
        }
        Files.write(partial.resolve("devices.txt"), lines);
        // A test key, but a private key: readable by its owner only, as the server keeps its own.
        OwnerOnlyFiles.write(partial.resolve("fleet-key.txt"), (keys.getPrivate().getAlgorithm() + "\n"
                + base64.encodeToString(keys.getPrivate().getEncoded()) + "\n").getBytes(StandardCharsets.UTF_8));
        Files.writeString(partial.resolve(COMPLETE), "");
        delete(directory);
        Files.move(partial, directory, StandardCopyOption.ATOMIC_MOVE);
        delete(installation);
    }

    private Fleet read() throws Exception {
        List<String> lines = Files.readAllLines(directory.resolve("devices.txt"));
        String[] udids = new String[lines.size()];
        X509Certificate[] certificates = new X509Certificate[lines.size()];
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        Base64.Decoder base64 = Base64.getDecoder();
        for (int i = 0; i < lines.size(); i++) {
            String[] fields = lines.get(i).split(" ");
            udids[i] = fields[0];
            certificates[i] = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(base64.decode(fields[1])));
        }
        List<String> key = Files.readAllLines(directory.resolve("fleet-key.txt"), StandardCharsets.UTF_8);
        PrivateKey privateKey = KeyFactory.getInstance(key.get(0)).generatePrivate(new PKCS8EncodedKeySpec(base64.decode(key.get(1))));
        return new Fleet(udids, certificates, privateKey);
    }

    /** The UDID of the fleet's device {@code index}, in the shape of a recent iPhone's. */
    static String udid(int index) {
        return String.format("00008130-%016X", 0xF000_0000L + index);
    }

    /** EC P-256, as ACME gives real devices, or RSA-2048, as SCEP does. */
    private static KeyPair keys(String algorithm) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
        switch (algorithm) {
            case "EC" -> generator.initialize(new ECGenParameterSpec("secp256r1"));
            case "RSA" -> generator.initialize(2048);
            default -> throw new IllegalArgumentException("the fleet's key is EC or RSA, not " + algorithm);
        }
        return generator.generateKeyPair();
    }

    /** Copies a directory tree, file attributes included (the secrets key keeps its owner-only permissions). */
    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void delete(Path tree) throws IOException {
        if (!Files.exists(tree)) {
            return;
        }
        try (Stream<Path> files = Files.walk(tree)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.delete(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
