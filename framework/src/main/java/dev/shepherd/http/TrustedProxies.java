package dev.shepherd.http;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The reverse proxies allowed to pass on a device's TLS client certificate (RFC 9440 {@code Client-Cert} and
 * {@code Client-Cert-Chain} headers) when they terminate TLS in front of the server. The headers are believed
 * only from these peers, judged by the TCP peer address, never by forwarded-for headers; from anyone else they
 * are ignored, so a device cannot claim a certificate it does not hold.
 */
public final class TrustedProxies {

    /** An address with an optional prefix length, such as {@code 10.0.0.0/8}, {@code 127.0.0.1} or {@code ::1}. */
    private record Range(byte[] network, int prefixLength) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int bits = network.length * 8;
            BigInteger mask = prefixLength == 0 ? BigInteger.ZERO
                    : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftRight(bits - prefixLength).shiftLeft(bits - prefixLength);
            return new BigInteger(1, address).and(mask).equals(new BigInteger(1, network).and(mask));
        }
    }

    private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final int MAX_HEADER_CHARS = 64 * 1024;

    private final List<Range> ranges;

    private TrustedProxies(List<Range> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    /** No proxy is trusted. */
    public static TrustedProxies none() {
        return new TrustedProxies(List.of());
    }

    /**
     * @param entries IP addresses or CIDR ranges
     * @throws IllegalArgumentException naming the entry that is neither
     */
    public static TrustedProxies of(List<String> entries) {
        List<Range> ranges = new ArrayList<>();
        for (String entry : entries) {
            String trimmed = entry.trim();
            int slash = trimmed.indexOf('/');
            String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
            if (!LITERAL.matcher(address).matches()) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range");
            }
            byte[] network;
            try {
                network = InetAddress.getByName(address).getAddress();
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + entry + "' is not an IP address or CIDR range");
            }
            int prefix;
            try {
                prefix = slash < 0 ? network.length * 8 : Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + entry + "' has no valid prefix length");
            }
            if (prefix < 0 || prefix > network.length * 8) {
                throw new IllegalArgumentException("'" + entry + "' has a prefix length outside 0.." + network.length * 8);
            }
            ranges.add(new Range(network, prefix));
        }
        return new TrustedProxies(ranges);
    }

    /** @return whether a peer may pass on client certificates */
    public boolean trusts(InetAddress peer) {
        return peer != null && ranges.stream().anyMatch(range -> range.contains(peer.getAddress()));
    }

    /**
     * The client certificate chain a trusted peer forwarded.
     *
     * @param peer the TCP peer
     * @param clientCert the {@code Client-Cert} header, if any
     * @param clientCertChain the {@code Client-Cert-Chain} header, if any
     * @return the chain, leaf first; empty when the peer is not trusted, sent none, or sent something malformed
     */
    public List<X509Certificate> forwardedChain(InetAddress peer, Optional<String> clientCert, Optional<String> clientCertChain) {
        if (clientCert.isEmpty() || !trusts(peer)) {
            return List.of();
        }
        List<X509Certificate> chain = new ArrayList<>();
        Optional<X509Certificate> leaf = certificate(clientCert.get());
        if (leaf.isEmpty()) {
            return List.of();
        }
        chain.add(leaf.get());
        if (clientCertChain.isPresent() && clientCertChain.get().length() <= MAX_HEADER_CHARS) {
            for (String item : clientCertChain.get().split(",")) {
                certificate(item).ifPresent(chain::add);
            }
        }
        return chain;
    }

    /** One RFC 8941 byte sequence, {@code :base64:}, holding a DER certificate. */
    private static Optional<X509Certificate> certificate(String item) {
        String trimmed = item.trim();
        if (trimmed.length() < 2 || trimmed.length() > MAX_HEADER_CHARS || !trimmed.startsWith(":") || !trimmed.endsWith(":")) {
            return Optional.empty();
        }
        try {
            byte[] der = Base64.getDecoder().decode(trimmed.substring(1, trimmed.length() - 1));
            return Optional.of((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der)));
        } catch (IllegalArgumentException | CertificateException e) {
            return Optional.empty();
        }
    }
}
