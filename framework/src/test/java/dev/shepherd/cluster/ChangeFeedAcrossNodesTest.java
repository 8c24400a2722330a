package dev.shepherd.cluster;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.device.Platform;
import dev.shepherd.api.pki.IssuedCertificate;
import dev.shepherd.group.Group;
import dev.shepherd.policy.EffectiveSetting;
import dev.shepherd.policy.Policy;
import dev.shepherd.policy.SettingInput;
import dev.shepherd.server.Kernel;
import dev.shepherd.storage.Dialect;
import dev.shepherd.testing.TestKernel;
import dev.shepherd.testing.TestStore;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two kernels over one store, as two nodes over one database: a change on node A reaches node B's caches through the
 * change feed, once B has read it ({@code poll}, every 250 ms on a running server).
 */
class ChangeFeedAcrossNodesTest {

    @TempDir
    Path home;
    private TestKernel nodeA;
    private TestKernel nodeB;

    @BeforeEach
    void open() {
        nodeA = TestKernel.open(home);
        nodeB = TestKernel.open(home);
        // A node's first read finds where the feed stands, as at a server's start.
        nodeA.kernel().changes().poll();
        nodeB.kernel().changes().poll();
    }

    @AfterEach
    void close() {
        nodeB.close();
        nodeA.close();
    }

    @Test
    void aCertificateRevokedOnOneNodeIsRefusedOnTheOther() throws Exception {
        X509Certificate certificate = issueCertificate(nodeA.kernel());
        IssuedCertificate issued = nodeB.kernel().certificateAuthority().verify(List.of(certificate)).orElseThrow();

        assertThat(nodeA.kernel().certificateAuthority().revoke(issued.serialNumber())).isTrue();
        // Until node B reads the feed it goes by what it cached: that window is the feed's polling interval.
        assertThat(nodeB.kernel().certificateAuthority().verify(List.of(certificate))).isPresent();
        nodeB.kernel().changes().poll();

        assertThat(nodeB.kernel().certificateAuthority().verify(List.of(certificate))).isEmpty();
    }

    @Test
    void aDeviceWhoseCertificatesAreRevokedOnOneNodeIsRefusedOnTheOther() throws Exception {
        DeviceId device = nodeA.enrollId(Platform.IOS, "LEAVING");
        X509Certificate certificate = issueCertificate(nodeA.kernel());
        String serial = nodeB.kernel().certificateAuthority().verify(List.of(certificate)).orElseThrow().serialNumber();
        nodeB.kernel().certificateAuthority().bindToDevice(serial, device);

        assertThat(nodeA.kernel().certificateAuthority().revokeAllOf(device)).containsExactly(serial);
        nodeB.kernel().changes().poll();

        assertThat(nodeB.kernel().certificateAuthority().verify(List.of(certificate))).isEmpty();
    }

    @Test
    void aPolicyAssignedOnOneNodeReachesTheEffectivePolicyOnTheOther() throws Exception {
        DeviceId device = nodeA.enrollId(Platform.IOS, "POLICY");
        assertThat(nodeB.kernel().policies().effectiveSettings(device)).isEmpty();

        Group staff = nodeA.kernel().groups().create(ADMIN, "Staff", "", Optional.empty());
        nodeA.kernel().groups().addMembers(ADMIN, staff.id(), List.of(device));
        Policy passcode = nodeA.kernel().policies().create(ADMIN, "Passcode", "", List.of(
                new SettingInput("passcode", new ObjectMapper().readTree("{\"minLength\": 8}"))));
        nodeA.kernel().policies().assign(ADMIN, passcode.id(), staff.id(), 0);
        nodeB.kernel().changes().poll();

        assertThat(nodeB.kernel().policies().effectiveSettings(device)).extracting(setting -> setting.setting().key())
                .containsExactly("passcode");
    }

    @Test
    void aPolicyReconciledOnTheLeaderIsSeenFreshOnTheOtherNode() throws Exception {
        DeviceId device = nodeA.enrollId(Platform.IOS, "RECONCILED");
        Group staff = nodeA.kernel().groups().create(ADMIN, "Staff", "", Optional.empty());
        nodeA.kernel().groups().addMembers(ADMIN, staff.id(), List.of(device));
        Policy passcode = nodeA.kernel().policies().create(ADMIN, "Passcode", "", List.of(
                new SettingInput("passcode", new ObjectMapper().readTree("{\"minLength\": 8}"))));
        nodeA.kernel().policies().assign(ADMIN, passcode.id(), staff.id(), 0);
        nodeB.kernel().changes().poll();
        List<EffectiveSetting> before = nodeB.kernel().policies().effectiveSettings(device);
        assertThat(before).singleElement().satisfies(setting -> assertThat(setting.setting().value()).containsEntry("minLength", 8));

        nodeA.kernel().policies().update(ADMIN, passcode.id(), "Passcode", "", List.of(
                new SettingInput("passcode", new ObjectMapper().readTree("{\"minLength\": 12}"))), OptionalLong.empty());
        nodeA.kernel().policies().reconcilePending(); // the leader's job, on node A
        nodeB.kernel().changes().poll();

        assertThat(nodeB.kernel().policies().effectiveSettings(device)).singleElement()
                .satisfies(setting -> assertThat(setting.setting().value()).containsEntry("minLength", 12));
    }

    @Test
    void aHardwareIdentifierThatMovesToANewDeviceIsLookedUpAfreshOnTheOtherNode() {
        DeviceId old = nodeA.enroll(Platform.IOS, "UDID-1", Ownership.CORPORATE).device().id();
        assertThat(nodeB.kernel().devices().idByHardwareId(Platform.IOS, "udid", "UDID-1")).contains(old);

        nodeA.kernel().devices().changeStatus(ADMIN, old, DeviceStatus.RETIRED, "handed back");
        DeviceId replacement = nodeA.enroll(Platform.IOS, "UDID-1", Ownership.CORPORATE).device().id();
        assertThat(replacement).isNotEqualTo(old);
        nodeB.kernel().devices().idByHardwareId(Platform.IOS, "udid", "UDID-1"); // still the cached one here
        nodeB.kernel().changes().poll();

        assertThat(nodeB.kernel().devices().idByHardwareId(Platform.IOS, "udid", "UDID-1")).contains(replacement);
    }

    @Test
    void aDeviceRetiredOnOneNodeIsSeenRetiredOnTheOtherOnceItHasReadTheFeed() {
        DeviceId device = nodeA.enrollId(Platform.IOS, "RETIRED-ELSEWHERE");
        // Node B checks the device's status at its every message, from memory once read.
        assertThat(nodeB.kernel().devices().status(device)).hasValue(DeviceStatus.ENROLLED);

        nodeA.kernel().commands().endManagement(ADMIN, device, false, "returned");
        // Until node B reads the feed it goes by what it read: that window is the feed's polling interval. Node A,
        // which made the change, sees it at once; so does any transaction deciding by it, on either node.
        assertThat(nodeA.kernel().devices().status(device)).hasValue(DeviceStatus.RETIRED);
        assertThat(nodeB.kernel().devices().status(device)).hasValue(DeviceStatus.ENROLLED);
        Optional<DeviceStatus> inTransaction = nodeB.kernel().transactions().inTransaction("read the status",
                tx -> nodeB.kernel().devices().status(tx, device));
        assertThat(inTransaction).hasValue(DeviceStatus.RETIRED);
        nodeB.kernel().changes().poll();

        assertThat(nodeB.kernel().devices().status(device)).hasValue(DeviceStatus.RETIRED);
    }

    @Test
    void aChangeCommittedAfterALaterOneIsStillHeard() throws Exception {
        assumeTrue(TestStore.engine() == Dialect.POSTGRESQL,
                "on Derby a read of the feed waits for the slower transaction instead of passing its row by");
        ChangeFeed feedA = nodeA.kernel().changes();
        List<String> heard = new ArrayList<>();
        nodeB.kernel().changes().subscribe("test", heard::add, () -> heard.add("LOST"));
        try (Connection slow = nodeA.kernel().transactions().dataSource().getConnection()) {
            slow.setAutoCommit(false);
            feedA.publish(slow, "test", "slow"); // takes its sequence number first
            feedA.publish("test", "fast");       // commits first

            nodeB.kernel().changes().poll();
            assertThat(heard).containsExactly("fast");

            slow.commit();
        }
        nodeB.kernel().changes().poll();
        nodeB.kernel().changes().poll();

        assertThat(heard).containsExactly("fast", "slow");
    }

    @Test
    void aTransactionStillOpenDoesNotHoldBackMoreChangesThanOnePollReads() throws Exception {
        assumeTrue(TestStore.engine() == Dialect.POSTGRESQL,
                "on Derby a read of the feed waits for the slower transaction instead of passing its row by");
        ChangeFeed feedA = nodeA.kernel().changes();
        List<String> heard = new ArrayList<>();
        nodeB.kernel().changes().subscribe("test", heard::add, () -> heard.add("LOST"));
        int many = 12_000; // more than one poll reads
        try (Connection slow = nodeA.kernel().transactions().dataSource().getConnection()) {
            slow.setAutoCommit(false);
            feedA.publish(slow, "test", "slow");
            nodeA.kernel().transactions().inTransaction("many changes", tx -> {
                for (int i = 0; i < many; i++) {
                    feedA.publish(tx, "test", "fast-" + i);
                }
                return null;
            });

            for (int poll = 0; poll < 3; poll++) {
                nodeB.kernel().changes().poll();
            }
            assertThat(heard).hasSize(many).doesNotContain("slow", "LOST");

            slow.commit();
        }
        nodeB.kernel().changes().poll();

        assertThat(heard).hasSize(many + 1).endsWith("slow");
    }

    @Test
    void oldFeedRowsArePruned() {
        nodeA.kernel().changes().publish("test", "one");
        assertThat(nodeA.kernel().changes().prune(Duration.ofMinutes(10))).isZero();
        assertThat(nodeA.kernel().changes().prune(Duration.ofSeconds(-1))).isEqualTo(1);
    }

    private static X509Certificate issueCertificate(Kernel kernel) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        byte[] request = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=device"), keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())).getEncoded();
        return kernel.certificateAuthority().sign(request, Duration.ofDays(30), Map.of());
    }
}
