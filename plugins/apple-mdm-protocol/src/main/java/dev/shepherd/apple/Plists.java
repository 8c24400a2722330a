package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import com.dd.plist.XMLPropertyListParser;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads and writes the XML property lists of Apple's MDM protocol. Input is bounded and may declare no entities,
 * on top of dd-plist's own refusal of external entities, so neither XXE nor entity expansion gets through.
 */
public final class Plists {

    public static final int MAX_BYTES = 8 * 1024 * 1024;

    private Plists() {
    }

    /**
     * @throws PlistException with a message fit for the device's 400 answer
     */
    public static NSDictionary dictionary(byte[] xml) {
        if (xml.length == 0) {
            throw new PlistException("the body is empty");
        }
        if (xml.length > MAX_BYTES) {
            throw new PlistException("the plist is larger than " + MAX_BYTES + " bytes");
        }
        String head = new String(xml, 0, Math.min(xml.length, 4096), StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
        if (head.contains("<!ENTITY") || new String(xml, StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT).contains("<!ENTITY")) {
            throw new PlistException("entity declarations are not allowed");
        }
        NSObject parsed;
        try {
            parsed = XMLPropertyListParser.parse(xml);
        } catch (Exception e) {
            throw new PlistException("not a valid XML property list");
        }
        if (!(parsed instanceof NSDictionary dictionary)) {
            throw new PlistException("the property list is not a dictionary");
        }
        return dictionary;
    }

    public static byte[] xml(NSDictionary dictionary) {
        return dictionary.toXMLPropertyList().getBytes(StandardCharsets.UTF_8);
    }

    /** A string value, or null. */
    public static String string(NSDictionary dictionary, String key) {
        NSObject value = dictionary.objectForKey(key);
        return value == null ? null : value.toJavaObject() instanceof String text ? text : value.toString();
    }
}
