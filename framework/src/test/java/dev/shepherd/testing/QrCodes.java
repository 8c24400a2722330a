package dev.shepherd.testing;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.ChecksumException;
import com.google.zxing.DecodeHintType;
import com.google.zxing.FormatException;
import com.google.zxing.NotFoundException;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Reads the QR codes the server draws (enrollment links, Android provisioning, authenticator enrollment) as a phone's
 * camera would, so a test checks what the code says rather than that an image exists.
 */
public final class QrCodes {

    private static final String PNG_DATA_URI = "data:image/png;base64,";

    private QrCodes() {
    }

    /**
     * @param png a PNG image holding one QR code
     * @return the text the code holds
     * @throws IllegalArgumentException when the image is no PNG or holds no readable QR code
     */
    public static String read(byte[] png) {
        requireNonNull(png, "png is null");
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (image == null) {
            throw new IllegalArgumentException("not an image ImageIO can read (" + png.length + " bytes)");
        }
        int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        BinaryBitmap bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels)));
        try {
            // The server's codes are clean generated images, not photographs: read them as pure codes. The reader's
            // default search for finder patterns, made for photos, misses about one code in a hundred (some random
            // secrets' patterns mislead it), which made the tests that read codes flaky.
            return new QRCodeReader().decode(bitmap, Map.of(DecodeHintType.PURE_BARCODE, Boolean.TRUE)).getText();
        } catch (NotFoundException | ChecksumException | FormatException e) {
            throw new IllegalArgumentException("the image holds no readable QR code", e);
        }
    }

    /**
     * @param dataUri a {@code data:image/png;base64,…} address, as pages embed their codes
     * @return the text the code holds
     * @throws IllegalArgumentException when it is no PNG data address or holds no readable QR code
     */
    public static String readDataUri(String dataUri) {
        requireNonNull(dataUri, "dataUri is null");
        if (!dataUri.startsWith(PNG_DATA_URI)) {
            throw new IllegalArgumentException("not a PNG data address: " + dataUri.substring(0, Math.min(40, dataUri.length())));
        }
        return read(Base64.getDecoder().decode(dataUri.substring(PNG_DATA_URI.length())));
    }
}
