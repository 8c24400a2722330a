package dev.shepherd.plugins.windows.push;

import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.HttpString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
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
import java.util.Date;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for Windows Push Notification Services on loopback, over HTTPS: the token endpoint at
 * {@code /accesstoken.srf} issues OAuth access tokens as login.live.com does, and every other path is a channel URI
 * that accepts notifications carrying the current token. A channel answers 200 unless a test scripts other answers
 * for it; a request with a token that is not the current one gets 401, as WNS answers an expired token.
 */
public final class LocalWns implements AutoCloseable {

    /** One token request as received: its content type and form fields. */
    public record TokenRequest(String contentType, Map<String, String> form) {
    }

    /** One notification as received. */
    public record Notification(String path, Map<String, String> headers, String body) {
    }

    private final Undertow server;
    private final Path trustedCertificate;
    private final List<TokenRequest> tokenRequests = new CopyOnWriteArrayList<>();
    private final List<Notification> notifications = new CopyOnWriteArrayList<>();
    private final Map<String, Deque<Integer>> scripted = new ConcurrentHashMap<>();
    private final AtomicInteger issued = new AtomicInteger();
    private volatile String currentToken = "";

    private LocalWns(Undertow server, Path trustedCertificate) {
        this.server = server;
        this.trustedCertificate = trustedCertificate;
    }

    /** Starts the service; its certificate (for {@code localhost}) is written to {@code directory} for the client to trust. */
    public static LocalWns start(Path directory) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=localhost,O=Local WNS");
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name,
                BigInteger.valueOf(System.nanoTime()), Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(2))), name, keys.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        Files.createDirectories(directory);
        Path pem = directory.resolve("local-wns.pem");
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        }
        Files.writeString(pem, out.toString());

        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("wns", keys.getPrivate(), new char[0], new Certificate[] {certificate});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, new char[0]);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers.getKeyManagers(), null, null);

        LocalWns[] self = new LocalWns[1];
        Undertow server = Undertow.builder()
                .addHttpsListener(0, "127.0.0.1", tls)
                .setHandler(new BlockingHandler(exchange -> self[0].handle(exchange)))
                .build();
        server.start();
        self[0] = new LocalWns(server, pem);
        return self[0];
    }

    /** @return a URL on this service as {@code host} names it, such as a channel URI */
    public URI url(String host, String path) {
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        return URI.create("https://" + host + ":" + address.getPort() + path);
    }

    /** @return the URL to configure as {@code wnsTokenUrl} */
    public URI tokenUrl() {
        return url("localhost", "/accesstoken.srf");
    }

    /** @return the PEM file to configure as {@code wnsTrustedCertificate} */
    public Path trustedCertificate() {
        return trustedCertificate;
    }

    /** From now on the token issued last is refused with 401, as WNS refuses an expired one. */
    public void expireToken() {
        currentToken = "expired";
    }

    /** The next notifications to a channel path get these answers, one each, instead of 200. */
    public void answer(String path, Integer... statuses) {
        Deque<Integer> answers = scripted.computeIfAbsent(path, key -> new ArrayDeque<>());
        synchronized (answers) {
            answers.addAll(List.of(statuses));
        }
    }

    public List<TokenRequest> tokenRequests() {
        return List.copyOf(tokenRequests);
    }

    public List<Notification> notifications() {
        return List.copyOf(notifications);
    }

    public List<Notification> notificationsTo(String path) {
        return notifications.stream().filter(notification -> notification.path().equals(path)).toList();
    }

    private void handle(HttpServerExchange exchange) throws Exception {
        exchange.startBlocking();
        String body = new String(exchange.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (exchange.getRequestPath().equals("/accesstoken.srf")) {
            Map<String, String> form = new LinkedHashMap<>();
            for (String pair : body.split("&")) {
                int equals = pair.indexOf('=');
                form.put(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
            }
            tokenRequests.add(new TokenRequest(exchange.getRequestHeaders().getFirst("Content-Type"), form));
            currentToken = "token-" + issued.incrementAndGet();
            exchange.getResponseHeaders().put(new HttpString("Content-Type"), "application/json");
            exchange.getResponseSender().send("{\"token_type\":\"bearer\",\"access_token\":\"" + currentToken + "\",\"expires_in\":86400}");
            return;
        }
        Map<String, String> headers = new TreeMap<>();
        for (HttpString header : exchange.getRequestHeaders().getHeaderNames()) {
            headers.put(header.toString().toLowerCase(), exchange.getRequestHeaders().getFirst(header));
        }
        notifications.add(new Notification(exchange.getRequestPath(), headers, body));
        if (!("Bearer " + currentToken).equals(headers.get("authorization"))) {
            exchange.setStatusCode(401);
            exchange.getResponseHeaders().put(new HttpString("WWW-Authenticate"), "Bearer error=\"invalid_token\",error_description=\"Token expired\"");
            exchange.endExchange();
            return;
        }
        Integer status = null;
        Deque<Integer> answers = scripted.get(exchange.getRequestPath());
        if (answers != null) {
            synchronized (answers) {
                status = answers.poll();
            }
        }
        exchange.setStatusCode(status == null ? 200 : status);
        exchange.endExchange();
    }

    @Override
    public void close() {
        server.stop();
    }
}
