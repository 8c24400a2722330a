package dev.shepherd.setup;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The system resolver as the Windows step uses it: names resolve to their addresses in text form. */
class HostLookupTest {

    @Test
    void aNameResolvesToItsAddressesInTextForm() {
        assertThat(HostLookup.system().addresses("localhost")).contains("127.0.0.1");
    }
}
