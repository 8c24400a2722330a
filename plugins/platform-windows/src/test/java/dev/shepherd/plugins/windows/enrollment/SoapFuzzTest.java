package dev.shepherd.plugins.windows.enrollment;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes the SOAP reader of MS-MDE2 enrollment (discovery, policies, enrollment and renewal), which reads what an
 * unauthenticated client posts: whatever the bytes, it returns the request or refuses it with a
 * {@link Soap.FaultException} (a SOAP fault to the client); nothing else escapes.
 *
 * <p>{@code mvn verify} replays the corpus in {@code SoapFuzzTestInputs/} (the enrollment client simulator's
 * requests, attacks, and every crasher found); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing" in docs/plugin-guide.md).
 */
class SoapFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void enrollmentRequests(byte[] body) {
        Soap.Request request;
        try {
            request = Soap.parse(body);
        } catch (Soap.FaultException refused) {
            assertThat(refused.getMessage()).isNotBlank();
            return;
        }
        assertThat(request.body()).isNotNull();
        assertThat(request.action()).isNotNull();
        assertThat(request.credentials()).isNotNull();
    }
}
