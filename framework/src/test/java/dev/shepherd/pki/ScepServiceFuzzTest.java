package dev.shepherd.pki;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.shepherd.testing.TestKernel;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes SCEP's PKIOperation, which reads whatever an unauthenticated client posts (up to 64 KiB): the outer signed
 * message, its signer's certificate and attributes, the enveloped request inside and the PKCS#10 in that. Whatever
 * the bytes, it refuses them with an {@link IllegalArgumentException} (the HTTP 400) or answers with a CertRep
 * signed by the CA (a failure CertRep for anything it cannot grant); nothing else escapes.
 *
 * <p>{@code mvn verify} replays the corpus in {@code ScepServiceFuzzTestInputs/} (requests made as the SCEP test
 * client makes them, attacks, and every crasher found); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing" in
 * docs/plugin-guide.md).
 */
class ScepServiceFuzzTest {

    @TempDir
    static Path home;
    private static TestKernel kernel;
    private static ScepService scep;

    @BeforeAll
    static void open() {
        kernel = TestKernel.open(home);
        scep = new ScepService(kernel.kernel().certificateAuthority());
    }

    @AfterAll
    static void close() {
        kernel.close();
    }

    @FuzzTest(maxDuration = "5m")
    void pkiOperations(byte[] message) throws Exception {
        byte[] reply;
        try {
            reply = scep.pkiOperation(message);
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        SignerInformation signer = new CMSSignedData(reply).getSignerInfos().getSigners().iterator().next();
        assertThat(signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(kernel.kernel().certificateAuthority().certificate())))
                .isTrue();
    }
}
