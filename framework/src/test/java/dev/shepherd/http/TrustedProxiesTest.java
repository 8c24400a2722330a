package dev.shepherd.http;

import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrustedProxiesTest {

    private final TrustedProxies proxies = TrustedProxies.of(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    @Test
    void addressesAndRangesAreTrustedOthersAreNot() throws Exception {
        assertThat(proxies.trusts(InetAddress.getByName("10.20.30.40"))).isTrue();
        assertThat(proxies.trusts(InetAddress.getByName("192.168.1.7"))).isTrue();
        assertThat(proxies.trusts(InetAddress.getByName("192.168.1.8"))).isFalse();
        assertThat(proxies.trusts(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(proxies.trusts(InetAddress.getByName("fd12::1"))).isTrue();
        assertThat(proxies.trusts(InetAddress.getByName("::1"))).isFalse();
        assertThat(TrustedProxies.none().trusts(InetAddress.getByName("127.0.0.1"))).isFalse();
    }

    @Test
    void aForwardedCertificateIsBelievedOnlyFromATrustedPeer(@TempDir Path home) throws Exception {
        try (TestKernel test = TestKernel.open(home)) {
            X509Certificate certificate = test.kernel().certificateAuthority().certificate();
            String header = ":" + Base64.getEncoder().encodeToString(certificate.getEncoded()) + ":";

            assertThat(proxies.forwardedChain(InetAddress.getByName("10.1.1.1"), Optional.of(header), Optional.of(header + ", " + header)))
                    .containsExactly(certificate, certificate, certificate);
            assertThat(proxies.forwardedChain(InetAddress.getByName("203.0.113.9"), Optional.of(header), Optional.empty()))
                    .as("a device cannot claim a certificate through the header").isEmpty();
            assertThat(proxies.forwardedChain(InetAddress.getByName("10.1.1.1"), Optional.of("not-a-byte-sequence"), Optional.empty())).isEmpty();
            assertThat(proxies.forwardedChain(InetAddress.getByName("10.1.1.1"), Optional.of(":bm90IGEgY2VydA==:"), Optional.empty())).isEmpty();
        }
    }

    @Test
    void aMalformedEntryIsRefusedWithItsName() {
        assertThatThrownBy(() -> TrustedProxies.of(List.of("proxy.example.com"))).hasMessageContaining("'proxy.example.com'");
        assertThatThrownBy(() -> TrustedProxies.of(List.of("10.0.0.0/33"))).hasMessageContaining("prefix length");
    }
}
