package dev.shepherd.plugins.android;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.zxing.BarcodeFormat;
import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.common.BitMatrix;
import com.google.zxing.qrcode.QRCodeWriter;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import dev.shepherd.api.config.PluginStorage;
import dev.shepherd.api.config.SecretSealer;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.api.platform.EnrollmentInvitation;
import dev.shepherd.google.GoogleException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.format.DateTimeParseException;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Shepherd enrollment tokens as Android enrollment tokens. For each Shepherd token an AMAPI enrollment token is
 * created whose {@code additionalData} carries a random nonce, never Shepherd's secret: Google hands the nonce back
 * on the enrolled device ({@code enrollmentTokenData}), and the nonce maps, in plugin storage, to the Shepherd token
 * (sealed), which then enrolls the device into the registry with its ownership, group and user.
 *
 * <p>Corporate tokens make fully managed devices (scan the QR code on the setup wizard's welcome screen; a kiosk
 * follows from the policy); personal tokens make work profiles (open the link on the device).
 */
@Singleton
public final class Enrollment {

    /** Where a personal device opens its enrollment token. */
    public static final String ENROLL_URL = "https://enterprise.google.com/android/enroll?et=";
    private static final String NONCE_PREFIX = "nonce/";
    private static final String TOKEN_PREFIX = "enrollment-token/";
    private static final String PROGRAM_PREFIX = "program-nonce/";
    private static final Duration MIN_VALIDITY = Duration.ofMinutes(5);

    /** An AMAPI enrollment token made for a Shepherd token. */
    public record AndroidToken(String name, String value, String qrCode, Instant expiresAt) {
        public AndroidToken {
            requireNonNull(name, "name is null");
            requireNonNull(value, "value is null");
            requireNonNull(qrCode, "qrCode is null");
            requireNonNull(expiresAt, "expiresAt is null");
        }

        /** @return the link a personal device opens to set up its work profile */
        public String link() {
            return ENROLL_URL + URLEncoder.encode(value, StandardCharsets.UTF_8);
        }
    }

    private final PluginStorage storage;
    private final SecretSealer sealer;
    private final Amapi amapi;
    private final Enterprises enterprises;
    private final DevicePolicies devicePolicies;
    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock = Clock.systemUTC();

    @Inject
    public Enrollment(PluginStorage storage, SecretSealer sealer, Amapi amapi, Enterprises enterprises, DevicePolicies devicePolicies) {
        this.storage = requireNonNull(storage, "storage is null");
        this.sealer = requireNonNull(sealer, "sealer is null");
        this.amapi = requireNonNull(amapi, "amapi is null");
        this.enterprises = requireNonNull(enterprises, "enterprises is null");
        this.devicePolicies = requireNonNull(devicePolicies, "devicePolicies is null");
    }

    /**
     * The AMAPI token for a Shepherd token: the one made before while it lives, else a new one.
     *
     * @param invitation the Shepherd token and its bindings
     * @return the token
     */
    public AndroidToken tokenFor(EnrollmentInvitation invitation) throws GoogleException {
        String cacheKey = TOKEN_PREFIX + Digests.sha256Hex(invitation.token());
        Instant now = clock.instant();
        Optional<AndroidToken> cached = storage.get(cacheKey).map(this::readToken)
                .filter(token -> token.expiresAt().isAfter(now.plus(MIN_VALIDITY)));
        if (cached.isPresent()) {
            return cached.get();
        }
        AndroidToken token = create(invitation, invitation.ownership() == Ownership.PERSONAL, false);
        storage.put(cacheKey, sealer.seal(writeToken(token)));
        return token;
    }

    /**
     * A new AMAPI token for a platform program (zero-touch): it lives as long as the Shepherd token, is never reused
     * for a link or QR code, and devices enrolled with it are recorded as enrolled by a program.
     *
     * @param invitation the Shepherd token and its bindings; corporate
     * @param allowPersonalUsage whether a company-owned device gets a work profile (COPE) rather than being fully managed
     * @return the token
     */
    public AndroidToken programToken(EnrollmentInvitation invitation, boolean allowPersonalUsage) throws GoogleException {
        return create(invitation, allowPersonalUsage, true);
    }

    /** @return whether a device's {@code enrollmentTokenData} names a token made for a platform program */
    public boolean viaProgram(String enrollmentTokenData) {
        return nonce(enrollmentTokenData).filter(nonce -> storage.get(PROGRAM_PREFIX + nonce).isPresent()).isPresent();
    }

    private AndroidToken create(EnrollmentInvitation invitation, boolean allowPersonalUsage, boolean program) throws GoogleException {
        Instant now = clock.instant();
        String nonce = Enterprises.randomToken();
        Duration validity = Duration.between(now, invitation.expiresAt());
        if (validity.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new GoogleException(0, "the enrollment token expires within a minute", false);
        }
        ObjectNode request = json.createObjectNode();
        request.put("policyName", devicePolicies.baseline());
        request.put("duration", validity.toSeconds() + "s");
        request.put("additionalData", json.createObjectNode().put("shepherd", nonce).toString());
        request.put("allowPersonalUsage", allowPersonalUsage ? "PERSONAL_USAGE_ALLOWED" : "PERSONAL_USAGE_DISALLOWED");
        // Mapped before Google knows the nonce, so a device can never enroll with a nonce Shepherd cannot resolve.
        storage.put(NONCE_PREFIX + nonce, sealer.seal(invitation.token().getBytes(StandardCharsets.UTF_8)));
        if (program) {
            storage.put(PROGRAM_PREFIX + nonce, new byte[] {1});
        }
        JsonNode created = amapi.createEnrollmentToken(enterprises.require(), request);
        AndroidToken token = new AndroidToken(created.path("name").asText(""), created.path("value").asText(""),
                created.path("qrCode").asText(""), expiry(created, invitation.expiresAt()));
        if (token.value().isBlank()) {
            throw new GoogleException(200, "Google's enrollment token lacks its value", true);
        }
        return token;
    }

    /**
     * @param enrollmentTokenData a device's {@code enrollmentTokenData}, as Google reports it
     * @return the Shepherd token's secret its nonce maps to
     */
    public Optional<String> shepherdToken(String enrollmentTokenData) {
        return nonce(enrollmentTokenData).flatMap(nonce -> storage.get(NONCE_PREFIX + nonce))
                .map(sealed -> new String(sealer.open(sealed), StandardCharsets.UTF_8));
    }

    private Optional<String> nonce(String enrollmentTokenData) {
        if (enrollmentTokenData == null || enrollmentTokenData.isBlank()) {
            return Optional.empty();
        }
        String nonce;
        try {
            nonce = json.readTree(enrollmentTokenData).path("shepherd").asText("");
        } catch (IOException e) {
            return Optional.empty();
        }
        return nonce.matches("[A-Za-z0-9_-]{20,100}") ? Optional.of(nonce) : Optional.empty();
    }

    /**
     * The page behind the enrollment link: the QR code to scan on a new or reset device, and the link to open on a
     * personal one.
     */
    public byte[] page(AndroidToken token, Ownership ownership, String organization) {
        String qr = "data:image/png;base64," + Base64.getEncoder().encodeToString(qrPng(token.qrCode().isBlank() ? token.link() : token.qrCode()));
        String link = escape(token.link());
        String body = ownership == Ownership.PERSONAL
                ? "<p>On the phone or tablet, open <a id=\"enroll-link\" href=\"" + link + "\">" + link + "</a> and follow the steps to "
                + "set up a work profile. Your personal apps and data stay yours.</p>"
                + "<p>Or scan this code with the phone's camera:</p><img id=\"qr\" alt=\"Enrollment QR code\" src=\"" + qr + "\">"
                : "<p>On a new or factory-reset device, tap the welcome screen six times and scan this code:</p>"
                + "<img id=\"qr\" alt=\"Enrollment QR code\" src=\"" + qr + "\">"
                + "<p>Or enter <code>afw#setup</code> as the Google account and then this code: <code id=\"token\">" + escape(token.value())
                + "</code></p><p>Link: <a id=\"enroll-link\" href=\"" + link + "\">" + link + "</a></p>";
        String html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
                + "<title>Enroll an Android device</title></head><body><h1>Enroll an Android device with " + escape(organization) + "</h1>"
                + body + "<p>This code works until " + token.expiresAt() + ".</p></body></html>";
        return html.getBytes(StandardCharsets.UTF_8);
    }

    /** A QR code as PNG, each module drawn as a square block of pixels so phones read it from a screen. */
    static byte[] qrPng(String text) {
        BitMatrix modules;
        try {
            modules = new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0,
                    Map.of(EncodeHintType.ERROR_CORRECTION, ErrorCorrectionLevel.L, EncodeHintType.MARGIN, 4,
                            EncodeHintType.CHARACTER_SET, "UTF-8"));
        } catch (WriterException e) {
            throw new IllegalArgumentException("too long for a QR code: " + e.getMessage(), e);
        }
        int scale = Math.max(2, 400 / modules.getWidth());
        BufferedImage image = new BufferedImage(modules.getWidth() * scale, modules.getHeight() * scale, BufferedImage.TYPE_BYTE_BINARY);
        java.awt.Graphics2D graphics = image.createGraphics();
        graphics.setColor(java.awt.Color.WHITE);
        graphics.fillRect(0, 0, image.getWidth(), image.getHeight());
        graphics.setColor(java.awt.Color.BLACK);
        for (int row = 0; row < modules.getHeight(); row++) {
            for (int column = 0; column < modules.getWidth(); column++) {
                if (modules.get(column, row)) {
                    graphics.fillRect(column * scale, row * scale, scale, scale);
                }
            }
        }
        graphics.dispose();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return png.toByteArray();
    }

    private Instant expiry(JsonNode created, Instant fallback) {
        try {
            return created.hasNonNull("expirationTimestamp") ? Instant.parse(created.get("expirationTimestamp").asText()) : fallback;
        } catch (DateTimeParseException e) {
            return fallback;
        }
    }

    private byte[] writeToken(AndroidToken token) {
        return json.createObjectNode().put("name", token.name()).put("value", token.value()).put("qrCode", token.qrCode())
                .put("expiresAt", token.expiresAt().toString()).toString().getBytes(StandardCharsets.UTF_8);
    }

    private AndroidToken readToken(byte[] sealed) {
        try {
            JsonNode node = json.readTree(sealer.open(sealed));
            return new AndroidToken(node.path("name").asText(), node.path("value").asText(), node.path("qrCode").asText(),
                    Instant.parse(node.path("expiresAt").asText()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

}
