package dev.shepherd.rest;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiRequest;
import dev.shepherd.json.Json;

import dev.shepherd.testing.StoreFree;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes how the admin API reads JSON bodies: the kernel's mapper with its bounds, decoding into the request
 * records of the busiest routes (a policy with free-form setting values, a command with free-form parameters, a fan-out,
 * a device update, a device import). Whatever the bytes, each decode returns the record or refuses the body with a
 * 400 {@link ApiException}; nothing else escapes (a NullPointerException or a StackOverflowError would be a 500).
 *
 * <p>{@code mvn verify} replays the corpus in {@code AdminJsonFuzzTestInputs/} (bodies from the API tests and docs,
 * attacks, and every crasher found); {@code JAZZER_FUZZ=1} fuzzes (see "Fuzzing" in docs/plugin-guide.md).
 */
@StoreFree
class AdminJsonFuzzTest {

    private static final ObjectMapper JSON = new Json().mapper();
    private static final List<Class<?>> BODIES = List.of(PolicyResource.PolicyBody.class, DeviceResource.NewCommand.class,
            CommandResource.NewBatch.class, DeviceResource.DeviceUpdate.class, DeviceResource.DeviceImportRequest.class);

    @FuzzTest(maxDuration = "5m")
    void requestBodies(byte[] body) {
        for (Class<?> type : BODIES) {
            try {
                assertThat(ApiRequest.decode(JSON, body, type)).isInstanceOf(type);
            } catch (ApiException refused) {
                assertThat(refused.problem().status()).isEqualTo(400);
            }
        }
    }
}
