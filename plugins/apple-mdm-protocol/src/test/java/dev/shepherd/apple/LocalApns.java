package dev.shepherd.apple;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.HttpString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.xnio.Options;
import org.xnio.SslClientAuthMode;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Date;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A stand-in for Apple's push service on loopback: HTTP/2 over TLS, a client certificate required, requests
 * recorded as APNs would receive them. Answers 200 unless a test scripts other answers for a device token, in the
 * shape APNs documents ({@code {"reason": "..."}}).
 */
public final class LocalApns implements AutoCloseable {

    /** One push as received. */
    public record Push(String protocol, String method, String path, Map<String, String> headers, String body,
                       String clientSubject, InetSocketAddress clientAddress) {

        /** @return the device token from {@code /3/device/<token>} */
        public String token() {
            return path.substring(path.lastIndexOf('/') + 1);
        }
    }

    private record Answer(int status, String reason) {
    }

    private final Undertow server;
    private final Path trustedCertificate;
    /** In arrival order; a queue rather than a copy-on-write list, since a fleet-scale benchmark receives 100,000s. */
    private final Queue<Push> pushes = new ConcurrentLinkedQueue<>();
    private final Map<String, Deque<Answer>> scripted = new ConcurrentHashMap<>();
    private final List<Consumer<Push>> listeners = new CopyOnWriteArrayList<>();

    private LocalApns(Undertow server, Path trustedCertificate) {
        this.server = server;
        this.trustedCertificate = trustedCertificate;
    }

    /**
     * Starts the service; its certificate (for {@code localhost}) is written to {@code directory} for the client to trust.
     */
    public static LocalApns start(Path directory) throws Exception {
        KeyPair keys = rsaKeys();
        X500Name name = new X500Name("CN=localhost,O=Local APNs");
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.valueOf(System.nanoTime()), Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(2))), name, keys.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        Files.createDirectories(directory);
        Path pem = directory.resolve("local-apns.pem");
        Files.writeString(pem, pem(certificate));

        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("apns", keys.getPrivate(), new char[0], new Certificate[] {certificate});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, new char[0]);
        SSLContext tls = SSLContext.getInstance("TLS");
        // Any client certificate is accepted and recorded: the tests check which one the server presented.
        tls.init(keyManagers.getKeyManagers(), new X509TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("a server only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);

        LocalApns[] self = new LocalApns[1];
        Undertow server = Undertow.builder()
                .setServerOption(UndertowOptions.ENABLE_HTTP2, true)
                .setSocketOption(Options.SSL_CLIENT_AUTH_MODE, SslClientAuthMode.REQUIRED)
                .addHttpsListener(0, "127.0.0.1", tls)
                .setHandler(new BlockingHandler(exchange -> self[0].handle(exchange)))
                .build();
        server.start();
        self[0] = new LocalApns(server, pem);
        return self[0];
    }

    /** @return the URL to configure as the plugin's {@code apnsUrl} */
    public URI url() {
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        return URI.create("https://localhost:" + address.getPort());
    }

    /** @return the PEM file to configure as {@code apnsTrustedCertificate} */
    public Path trustedCertificate() {
        return trustedCertificate;
    }

    /** The next {@code times} pushes to {@code token} get this answer instead of 200. */
    public void answer(String token, int status, String reason, int times) {
        Deque<Answer> answers = scripted.computeIfAbsent(token, key -> new ArrayDeque<>());
        synchronized (answers) {
            for (int i = 0; i < times; i++) {
                answers.add(new Answer(status, reason));
            }
        }
    }

    /** Called for every push received, after it is recorded, e.g. to have a simulated device connect. */
    public void onPush(Consumer<Push> listener) {
        listeners.add(listener);
    }

    /** @return every push received so far */
    public List<Push> pushes() {
        return List.copyOf(pushes);
    }

    /** @return the pushes received for one device token */
    public List<Push> pushesTo(String token) {
        return pushes.stream().filter(push -> push.token().equals(token)).toList();
    }

    private void handle(HttpServerExchange exchange) throws Exception {
        Map<String, String> headers = new TreeMap<>();
        for (HttpString name : exchange.getRequestHeaders().getHeaderNames()) {
            headers.put(name.toString().toLowerCase(), exchange.getRequestHeaders().getFirst(name));
        }
        exchange.startBlocking();
        String body = new String(exchange.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Certificate[] peer = exchange.getConnection().getSslSessionInfo().getPeerCertificates();
        String subject = peer.length == 0 ? "" : ((X509Certificate) peer[0]).getSubjectX500Principal().getName();
        Push push = new Push(exchange.getProtocol().toString(), exchange.getRequestMethod().toString(), exchange.getRequestPath(),
                headers, body, subject, (InetSocketAddress) exchange.getConnection().getPeerAddress());
        Optional<Answer> answer = Optional.empty();
        Deque<Answer> answers = scripted.get(push.token());
        if (answers != null) {
            synchronized (answers) {
                answer = Optional.ofNullable(answers.poll());
            }
        }
        pushes.add(push);
        exchange.getResponseHeaders().put(new HttpString("apns-id"), UUID.randomUUID().toString());
        if (answer.isPresent()) {
            exchange.setStatusCode(answer.get().status());
            exchange.getResponseHeaders().put(new HttpString("Content-Type"), "application/json");
            exchange.getResponseSender().send("{\"reason\":\"" + answer.get().reason() + "\"}");
        } else {
            exchange.setStatusCode(200);
            exchange.endExchange();
            for (Consumer<Push> listener : new ArrayList<>(listeners)) {
                listener.accept(push);
            }
        }
    }

    /**
     * A push certificate as Apple issues it for MDM (UID = topic), with its private key, PEM, as admins upload it.
     */
    public static String pushCertificatePem(String topic, Duration validFor) throws Exception {
        KeyPair keys = rsaKeys();
        X500Name subject = new X500Name("UID=" + topic + ",CN=APSP:" + topic.substring(topic.lastIndexOf('.') + 1) + ",C=US");
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=Apple Application Integration 2 Certification Authority"), BigInteger.valueOf(System.nanoTime()),
                Date.from(Instant.now().minus(Duration.ofDays(1))), Date.from(Instant.now().plus(validFor)), subject,
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
        return pem(certificate, keys.getPrivate());
    }

    /**
     * What Apple's Push Certificates Portal answers a request with: the push certificate alone (PEM), for the
     * request's key and a topic of Apple's choosing.
     */
    public static String pushCertificateFor(String csrPem, String topic) throws Exception {
        PKCS10CertificationRequest request;
        try (PEMParser parser = new PEMParser(new StringReader(csrPem))) {
            request = (PKCS10CertificationRequest) parser.readObject();
        }
        KeyPair apple = rsaKeys();
        X500Name subject = new X500Name("UID=" + topic + ",CN=APSP:" + topic.substring(topic.lastIndexOf('.') + 1) + ",C=US");
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                new X500Name("CN=Apple Application Integration 2 Certification Authority"), BigInteger.valueOf(System.nanoTime()),
                Date.from(Instant.now().minus(Duration.ofDays(1))), Date.from(Instant.now().plus(Duration.ofDays(365))), subject,
                new JcaPKCS10CertificationRequest(request).getPublicKey())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(apple.getPrivate())));
        return pem(certificate);
    }

    private static KeyPair rsaKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static String pem(Object... items) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object item : items) {
                writer.writeObject(item);
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        server.stop();
    }
}
