package dev.shepherd.device;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OsVersionTest {

    @Test
    void aKeyReadsBackAsItsVersionWrittenShortest() {
        assertThat(OsVersion.fromKey(OsVersion.key("17"))).isEqualTo("17");
        assertThat(OsVersion.fromKey(OsVersion.key("17.4"))).isEqualTo("17.4");
        assertThat(OsVersion.fromKey(OsVersion.key("10.0.22631.3296"))).isEqualTo("10.0.22631.3296");
        assertThat(OsVersion.fromKey(OsVersion.key("0"))).isEqualTo("0");
        assertThat(OsVersion.fromKey("not a key")).as("anything else is left as it is").isEqualTo("not a key");
    }
}
