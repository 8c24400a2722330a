package dev.shepherd.apple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import jakarta.inject.Inject;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientId;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The server tokens of Apple's Automated Device Enrollment: the credentials of Apple's device assignment service, one
 * per Apple Business (or School) Manager instance this server is an MDM server in.
 *
 * <p>The exchange is Apple's: the admin downloads this server's public key certificate ({@link #publicKeyPem()}) and
 * uploads it when adding the MDM server in Apple Business Manager; Apple answers with a token file ({@code .p7m}), an
 * S/MIME message whose body is a CMS EnvelopedData encrypted to that certificate. Its content is a MIME text message
 * holding, between {@code -----BEGIN MESSAGE-----} and {@code -----END MESSAGE-----}, the JSON OAuth 1.0a credentials
 * {@code consumer_key}, {@code consumer_secret}, {@code access_token}, {@code access_secret} and
 * {@code access_token_expiry}. The server's key pair is made once for the plugin (and kept sealed); each token is
 * decrypted on upload and stored sealed under the name the admin gives it. Tokens last a year: admins are warned
 * {@link #WARN_BEFORE} ahead, and an expired token is refused.
 */
public final class AdeServerTokens {

    /** How long before a token's expiry admins are warned. */
    public static final Duration WARN_BEFORE = Duration.ofDays(30);
    /** A token's name: it appears in admin URLs and storage keys. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final String KEY_PAIR_KEY = "ade/server-key-pair";
    private static final String TOKEN_PREFIX = "ade/tokens/";
    private static final int MAX_TOKENS = 100;
    private static final String BEGIN_MESSAGE = "-----BEGIN MESSAGE-----";
    private static final String END_MESSAGE = "-----END MESSAGE-----";
    /** The token's JSON is a few hundred bytes; anything much larger is not a token. */
    private static final int MAX_CONTENT_BYTES = 16 * 1024;
    private static final int MAX_HEADER_LINES = 50;
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(4096).build()).build());

    /**
     * A decrypted server token: the OAuth 1.0a credentials of the device assignment service.
     *
     * @param name the admin's name for it (one per Apple Business Manager instance)
     * @param consumerKey {@code consumer_key}, not secret, shown to admins to tell tokens apart
     * @param consumerSecret {@code consumer_secret}
     * @param accessToken {@code access_token}
     * @param accessSecret {@code access_secret}
     * @param expiry {@code access_token_expiry}
     * @param uploaded when the admin uploaded it
     */
    public record Token(String name, String consumerKey, String consumerSecret, String accessToken, String accessSecret,
                        Instant expiry, Instant uploaded) {
        public Token {
            requireNonNull(name, "name is null");
            requireNonNull(consumerKey, "consumerKey is null");
            requireNonNull(consumerSecret, "consumerSecret is null");
            requireNonNull(accessToken, "accessToken is null");
            requireNonNull(accessSecret, "accessSecret is null");
            requireNonNull(expiry, "expiry is null");
            requireNonNull(uploaded, "uploaded is null");
        }

        /** Without the secrets, so a token that reaches a log line leaks nothing. */
        @Override
        public String toString() {
            return "Token[name=" + name + ", consumerKey=" + consumerKey + ", expiry=" + expiry + "]";
        }
    }

    /** A token as admins see it: no secret. */
    public record Status(String name, String consumerKey, Instant expiry, long daysLeft, Instant uploaded,
                         Optional<String> warning) {
    }

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Clock clock;

    @Inject
    public AdeServerTokens(PluginStorage storage, SecretSealer sealer) {
        this(storage, sealer, Clock.systemUTC());
    }

    public AdeServerTokens(PluginStorage storage, SecretSealer sealer, Clock clock) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * The certificate admins upload to Apple Business Manager, made with its key pair on first use; every node and
     * every later call answers the same one, so tokens Apple encrypted to it stay readable.
     *
     * @return the certificate, PEM
     */
    public String publicKeyPem() {
        return pem(serverKeyPair().certificate());
    }

    /**
     * Decrypts a token file and stores it sealed under a name, replacing the token of that name.
     *
     * @param name the name, matching {@link #NAME}
     * @param file the {@code .p7m} file as Apple Business Manager gives it (S/MIME), or the bare CMS (PEM or DER)
     * @return the token's status
     * @throws IllegalArgumentException with a reason fit for the admin when the file is not a usable token for this server
     */
    public Status upload(String name, byte[] file) {
        requireNonNull(name, "name is null");
        requireNonNull(file, "file is null");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a token's name is 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit");
        }
        if (storage.get(TOKEN_PREFIX + name).isEmpty() && storage.keys(TOKEN_PREFIX).size() >= MAX_TOKENS) {
            throw new IllegalArgumentException("at most " + MAX_TOKENS + " server tokens are kept; remove one first");
        }
        Token token = parseToken(name, decrypt(envelope(file)));
        if (!token.expiry().isAfter(clock.instant())) {
            throw new IllegalArgumentException("the token expired on " + token.expiry() + "; download a new one from Apple Business Manager");
        }
        storage.put(TOKEN_PREFIX + name, sealer.seal(serialize(token)));
        return status(token);
    }

    /** @return every token's status, by name */
    public List<Status> statuses() {
        List<Status> statuses = new ArrayList<>();
        for (String key : storage.keys(TOKEN_PREFIX)) {
            stored(key).map(this::status).ifPresent(statuses::add);
        }
        return statuses;
    }

    /** @return the named token's status, empty when there is none */
    public Optional<Status> status(String name) {
        return token(name).map(this::status);
    }

    /** @return the named token with its secrets, for the device assignment service client; empty when there is none */
    public Optional<Token> token(String name) {
        requireNonNull(name, "name is null");
        return NAME.matcher(name).matches() ? stored(TOKEN_PREFIX + name) : Optional.empty();
    }

    /** @return whether there was a token of that name to remove */
    public boolean remove(String name) {
        requireNonNull(name, "name is null");
        return NAME.matcher(name).matches() && storage.delete(TOKEN_PREFIX + name);
    }

    private Optional<Token> stored(String key) {
        return storage.get(key).map(sealed -> {
            try {
                JsonNode json = JSON.readTree(sealer.open(sealed));
                return new Token(json.path("name").asText(), json.path("consumerKey").asText(),
                        json.path("consumerSecret").asText(), json.path("accessToken").asText(),
                        json.path("accessSecret").asText(), Instant.parse(json.path("expiry").asText()),
                        Instant.parse(json.path("uploaded").asText()));
            } catch (IOException | DateTimeParseException e) {
                throw new IllegalStateException("the stored server token " + key + " is unreadable", e);
            }
        });
    }

    private static byte[] serialize(Token token) {
        Map<String, String> json = new LinkedHashMap<>();
        json.put("name", token.name());
        json.put("consumerKey", token.consumerKey());
        json.put("consumerSecret", token.consumerSecret());
        json.put("accessToken", token.accessToken());
        json.put("accessSecret", token.accessSecret());
        json.put("expiry", token.expiry().toString());
        json.put("uploaded", token.uploaded().toString());
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Status status(Token token) {
        Duration left = Duration.between(clock.instant(), token.expiry());
        Optional<String> warning = left.isNegative()
                ? Optional.of("the server token " + token.name() + " expired on " + token.expiry()
                + "; device sync stops until a renewed token is downloaded from Apple Business Manager and uploaded")
                : left.compareTo(WARN_BEFORE) < 0
                ? Optional.of("the server token " + token.name() + " expires in " + left.toDays()
                + " day(s); in Apple Business Manager, download a new token for this MDM server and upload it before then")
                : Optional.empty();
        return new Status(token.name(), token.consumerKey(), token.expiry(), left.toDays(), token.uploaded(), warning);
    }

    /** The CMS structure inside the upload: Apple's S/MIME wrapping, or bare PEM or DER. */
    private static CMSEnvelopedData envelope(byte[] file) {
        try {
            String text = new String(file, StandardCharsets.US_ASCII);
            if (text.startsWith("-----BEGIN")) {
                return new CMSEnvelopedData(pemContent(text));
            }
            if (file.length > 0 && file[0] == 0x30) {
                return new CMSEnvelopedData(file);
            }
            MimePart part = MimePart.parse(text);
            String type = part.header("content-type").toLowerCase(Locale.ROOT);
            if (!type.startsWith("application/pkcs7-mime") && !type.startsWith("application/x-pkcs7-mime")) {
                throw new IllegalArgumentException("not a server token: expected the .p7m file from Apple Business Manager (S/MIME), found content type \""
                        + abbreviate(part.header("content-type")) + "\"");
            }
            if (!part.header("content-transfer-encoding").equalsIgnoreCase("base64")) {
                throw new IllegalArgumentException("not a server token: its body is not base64");
            }
            return new CMSEnvelopedData(Base64.getMimeDecoder().decode(part.body()));
        } catch (CMSException | IOException | IllegalArgumentException | ClassCastException e) {
            if (e instanceof IllegalArgumentException refused && refused.getMessage() != null
                    && refused.getMessage().startsWith("not a server token")) {
                throw refused;
            }
            throw new IllegalArgumentException("not a server token: the file is not a CMS enveloped message (" + abbreviate(String.valueOf(e.getMessage())) + ")");
        }
    }

    private static byte[] pemContent(String text) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            PemObject block = parser.readPemObject();
            if (block == null) {
                throw new IOException("no PEM block");
            }
            return block.getContent();
        }
    }

    /** The token's MIME text, decrypted with the server's key. */
    private String decrypt(CMSEnvelopedData envelope) {
        ServerKeyPair keyPair = serverKeyPair();
        RecipientInformation recipient = envelope.getRecipientInfos().get(new JceKeyTransRecipientId(keyPair.certificate()));
        if (recipient == null) {
            throw new IllegalArgumentException("the token is encrypted for another server's public key: upload this server's public key"
                    + " to the MDM server in Apple Business Manager, then download its token again");
        }
        try {
            byte[] content = recipient.getContent(new JceKeyTransEnvelopedRecipient(keyPair.privateKey()));
            if (content.length > MAX_CONTENT_BYTES) {
                throw new IllegalArgumentException("not a server token: its content is " + content.length + " bytes");
            }
            return new String(content, StandardCharsets.UTF_8);
        } catch (CMSException e) {
            throw new IllegalArgumentException("the token cannot be decrypted with this server's key: " + abbreviate(String.valueOf(e.getMessage())));
        }
    }

    private Token parseToken(String name, String decrypted) {
        MimePart part = MimePart.parse(decrypted);
        String body = part.body().strip();
        if (body.startsWith(BEGIN_MESSAGE)) {
            int end = body.indexOf(END_MESSAGE);
            if (end < 0) {
                throw new IllegalArgumentException("not a server token: its message has no end line");
            }
            body = body.substring(BEGIN_MESSAGE.length(), end);
        }
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a server token: its message is not JSON");
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("not a server token: its message is not a JSON object");
        }
        String consumerKey = field(json, "consumer_key");
        String consumerSecret = field(json, "consumer_secret");
        String accessToken = field(json, "access_token");
        String accessSecret = field(json, "access_secret");
        Instant expiry;
        try {
            expiry = OffsetDateTime.parse(field(json, "access_token_expiry")).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a server token: access_token_expiry is not a date and time");
        }
        return new Token(name, consumerKey, consumerSecret, accessToken, accessSecret, expiry, clock.instant());
    }

    private static String field(JsonNode json, String name) {
        JsonNode value = json.get(name);
        if (value == null || !value.isTextual() || value.asText().isBlank() || value.asText().length() > 1024) {
            throw new IllegalArgumentException("not a server token: " + name + " is missing");
        }
        return value.asText();
    }

    private record ServerKeyPair(X509Certificate certificate, PrivateKey privateKey) {
    }

    /**
     * The server's key pair, made and stored once: written only if absent, so of several nodes making one at once a
     * single pair wins and all use it.
     */
    private ServerKeyPair serverKeyPair() {
        Optional<byte[]> stored = storage.get(KEY_PAIR_KEY);
        if (stored.isEmpty()) {
            storage.putIfAbsent(KEY_PAIR_KEY, sealer.seal(newKeyPairPem().getBytes(StandardCharsets.US_ASCII)));
            stored = storage.get(KEY_PAIR_KEY);
        }
        String pem = new String(sealer.open(stored.orElseThrow()), StandardCharsets.US_ASCII);
        X509Certificate certificate = null;
        PrivateKey key = null;
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof X509CertificateHolder holder) {
                    certificate = new JcaX509CertificateConverter().getCertificate(holder);
                } else if (item instanceof PEMKeyPair pair) {
                    // Bouncy Castle writes an RSA key as PKCS#1, and reads it back as a key pair.
                    key = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                } else if (item instanceof PrivateKeyInfo info) {
                    key = new JcaPEMKeyConverter().getPrivateKey(info);
                }
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("the stored ADE server key pair is unreadable", e);
        }
        if (certificate == null || key == null) {
            throw new IllegalStateException("the stored ADE server key pair is incomplete");
        }
        return new ServerKeyPair(certificate, key);
    }

    /**
     * A new RSA key pair with a self-signed certificate, as Apple Business Manager expects: it reads only the public
     * key. Valid ten years, since replacing it means downloading every token again.
     */
    private String newKeyPairPem() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            Instant now = clock.instant();
            X500Name subject = new X500Name("CN=Shepherd Automated Device Enrollment");
            X509CertificateHolder holder = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650))), subject, pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(holder);
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(certificate);
                writer.writeObject(PrivateKeyInfo.getInstance(pair.getPrivate().getEncoded()));
            }
            return out.toString();
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the ADE server key pair", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String pem(X509Certificate certificate) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static String abbreviate(String text) {
        String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 80 ? printable.substring(0, 80) + "…" : printable;
    }

    /** A MIME entity's headers (names lower case) and body; bounded, since it comes from an upload. */
    private record MimePart(Map<String, String> headers, String body) {

        static MimePart parse(String text) {
            String normalized = text.replace("\r\n", "\n");
            int end = normalized.indexOf("\n\n");
            if (end < 0) {
                throw new IllegalArgumentException("not a server token: expected a MIME message with headers and a body");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            String last = null;
            String[] lines = normalized.substring(0, end).split("\n");
            if (lines.length > MAX_HEADER_LINES) {
                throw new IllegalArgumentException("not a server token: too many MIME header lines");
            }
            for (String line : lines) {
                if ((line.startsWith(" ") || line.startsWith("\t")) && last != null) {
                    headers.merge(last, " " + line.strip(), String::concat);
                    continue;
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("not a server token: expected a MIME message, found \"" + abbreviate(line) + "\"");
                }
                last = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                headers.put(last, line.substring(colon + 1).strip());
            }
            return new MimePart(headers, normalized.substring(end + 2));
        }

        String header(String name) {
            return headers.getOrDefault(name, "");
        }
    }
}
