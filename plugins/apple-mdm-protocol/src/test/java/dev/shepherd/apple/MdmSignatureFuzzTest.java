package dev.shepherd.apple;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.IOException;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the {@code Mdm-Signature} header, the CMS signature an Apple device puts over each message when no client
 * certificate reaches the server: whatever the bytes, verifying them over a real Idle report answers with the
 * signer's certificate or with nothing; no exception escapes (a device whose signature cannot be read is a 401).
 *
 * <p>{@code mvn verify} replays the corpus in {@code MdmSignatureFuzzTestInputs/} (a real detached signature over the
 * Idle report, one over another body, attacks, and every crasher found); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing"
 * in docs/plugin-guide.md).
 */
class MdmSignatureFuzzTest {

    private static final byte[] IDLE_REPORT = idleReport();
    private final MdmSignature signatures = new MdmSignature();

    @FuzzTest(maxDuration = "5m")
    void signatures(byte[] signature) {
        Optional<X509Certificate> signer = signatures.verify(Base64.getEncoder().encodeToString(signature), IDLE_REPORT);
        signer.ifPresent(certificate -> assertThat(certificate.getPublicKey()).isNotNull());
    }

    private static byte[] idleReport() {
        try (InputStream in = MdmSignatureFuzzTest.class.getResourceAsStream("PlistsFuzzTestInputs/deviceMessages/idle.plist")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
