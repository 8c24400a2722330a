package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import com.dd.plist.XMLPropertyListParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlistsTest {

    private static final String HEAD = "<?xml version=\"1.0\" encoding=\"%s\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\""
            + " \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n";
    private static final String AUTHENTICATE = "<plist version=\"1.0\"><dict><key>MessageType</key><string>Authenticate</string>"
            + "<key>UDID</key><string>00008110-000A1C2E3E8A801E</string><key>Topic</key><string>com.apple.mgmt.External.x</string></dict></plist>";

    @Test
    void readsARealMessageInEveryEncodingADocumentCanDeclare() {
        for (Charset charset : List.of(StandardCharsets.UTF_8, StandardCharsets.UTF_16, Charset.forName("UTF-32"), Charset.forName("IBM037"))) {
            NSDictionary message = Plists.dictionary((HEAD.formatted(charset.name()) + AUTHENTICATE).getBytes(charset));
            assertThat(CheckIn.parse(message).sender().id()).as(charset.name()).isEqualTo("00008110-000A1C2E3E8A801E");
        }
    }

    @Test
    void refusesEveryDeclarationWhateverTheEncodingSoNoEntityIsEverExpanded() {
        String internal = "<?xml version=\"1.0\" encoding=\"%s\"?><!DOCTYPE plist [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
                + AUTHENTICATE.replace("Authenticate", "&b;");
        String external = "<?xml version=\"1.0\" encoding=\"%s\"?><!DOCTYPE plist [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + AUTHENTICATE.replace("Authenticate", "&x;");
        for (Charset charset : List.of(StandardCharsets.UTF_8, StandardCharsets.UTF_16LE, StandardCharsets.UTF_16, Charset.forName("UTF-32"),
                Charset.forName("IBM037"))) {
            for (String document : List.of(internal, external)) {
                byte[] bytes = document.formatted(charset.name()).getBytes(charset);
                assertThatThrownBy(() -> Plists.dictionary(bytes)).as(charset.name()).isInstanceOf(PlistException.class)
                        .hasMessage("entity declarations are not allowed");
            }
        }
        String attributes = "<?xml version=\"1.0\"?><!DOCTYPE plist [<!ATTLIST plist version CDATA \"1.0\">]>" + AUTHENTICATE;
        assertThatThrownBy(() -> Plists.dictionary(attributes.getBytes(StandardCharsets.UTF_8))).isInstanceOf(PlistException.class)
                .hasMessage("declarations in the document type are not allowed");
    }

    @Test
    void refusesNestingDeeperThanTheBoundBeforeAnythingRecursesOverIt() {
        String fits = HEAD.formatted("UTF-8") + "<plist version=\"1.0\"><dict><key>UDID</key><string>A1</string><key>Deep</key>"
                + "<array>".repeat(Plists.MAX_DEPTH - 3) + "</array>".repeat(Plists.MAX_DEPTH - 3) + "</dict></plist>";
        assertThat(Plists.dictionary(fits.getBytes(StandardCharsets.UTF_8)).objectForKey("Deep")).isNotNull();
        String deep = HEAD.formatted("UTF-8") + "<plist version=\"1.0\"><dict><key>Deep</key>" + "<array>".repeat(200_000)
                + "</array>".repeat(200_000) + "</dict></plist>";
        assertThatThrownBy(() -> Plists.dictionary(deep.getBytes(StandardCharsets.UTF_8))).isInstanceOf(PlistException.class)
                .hasMessage("the plist is nested deeper than " + Plists.MAX_DEPTH + " elements");
    }

    @Test
    void refusesBinaryAndEmptyAndNonDictionaryPlists() {
        assertThatThrownBy(() -> Plists.dictionary(new byte[0])).isInstanceOf(PlistException.class).hasMessage("the body is empty");
        assertThatThrownBy(() -> Plists.dictionary("bplist00\u00d1\u0001\u0002".getBytes(StandardCharsets.ISO_8859_1)))
                .isInstanceOf(PlistException.class).hasMessage("not a valid XML property list");
        assertThatThrownBy(() -> Plists.dictionary((HEAD.formatted("UTF-8") + "<plist version=\"1.0\"><array/></plist>").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PlistException.class).hasMessage("the property list is not a dictionary");
    }

    /**
     * Plists builds the objects while it reads, with no DOM; what it builds is what dd-plist's own XML parser builds
     * from the same document, real messages and odd shapes alike, and what dd-plist cannot read it refuses.
     */
    @Test
    void readsEveryDocumentExactlyAsDdPlistDoes() throws IOException {
        List<String> bodies = List.of(
                "<dict><key>A</key><string>x</string><key>A</key><integer>2</integer></dict>",
                "<dict><key>A</key></dict>",
                "<dict><string>not a key element</string><string>v</string><dict>\n<x/>tail</dict><true/></dict>",
                "<dict><key>K<!-- a comment -->ey</key><string>a<![CDATA[<b>]]>c</string><key>L</key><string>first<x/>second</string></dict>",
                "<dict><key>K</key><string><x/>after</string><key>M</key><string>   </string><key>N</key><string/></dict>",
                "<dict><key>I</key><integer>-42</integer><key>R</key><real>0.83</real><key>T</key><true>ignored</true><key>F</key><false/></dict>",
                "<dict><key>D</key><data>AAEC\nAw==</data><key>T</key><date>2026-12-03T20:50:00Z</date></dict>",
                "<dict><key>A</key><array><string>1</string><dict/><array><integer>3</integer></array><unknown/></array></dict>",
                "<dict><key>U</key><unknown>x</unknown><key>V</key><string>v</string></dict>",
                "<dict><key>I</key><integer>twelve</integer></dict>",
                "<dict><key>D</key><date>yesterday</date></dict>",
                "<dict><key>D</key><data>%%%</data></dict>",
                "<dict/><dict/>",
                "",
                "<array/>",
                "<string>alone</string>");
        for (String body : bodies) {
            assertReadAsDdPlistDoes((HEAD.formatted("UTF-8") + "<plist version=\"1.0\">" + body + "</plist>").getBytes(StandardCharsets.UTF_8));
        }
        // dd-plist would take a bare dict under a plist document type; Apple's messages always have the plist element.
        assertThatThrownBy(() -> Plists.dictionary((HEAD.formatted("UTF-8") + "<dict><key>A</key><string>v</string></dict>")
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(PlistException.class).hasMessage("not a valid XML property list");
        for (String message : List.of("authenticate.plist", "authenticate-utf16.plist", "checkout.plist", "dates.plist",
                "declarative-management.plist", "device-information.plist", "error-chain.plist", "idle.plist",
                "installed-applications.plist", "security-info.plist", "token-update.plist",
                "user-channel-token-update.plist", "user-enrollment-authenticate.plist")) {
            try (InputStream in = PlistsTest.class.getResourceAsStream("PlistsFuzzTestInputs/deviceMessages/" + message)) {
                assertReadAsDdPlistDoes(in.readAllBytes());
            }
        }
    }

    private static void assertReadAsDdPlistDoes(byte[] document) {
        NSObject expected;
        try {
            expected = XMLPropertyListParser.parse(document);
        } catch (Exception unreadable) {
            expected = null;
        }
        String text = new String(document, StandardCharsets.UTF_8);
        if (expected instanceof NSDictionary) {
            assertThat((Object) Plists.dictionary(document)).as(text).isEqualTo(expected);
        } else {
            assertThatThrownBy(() -> Plists.dictionary(document)).as(text).isInstanceOf(PlistException.class)
                    .hasMessage(expected == null ? "not a valid XML property list" : "the property list is not a dictionary");
        }
    }

    /** A reader's parsers serve one document after another; what one document was or how it failed never shows in the next. */
    @Test
    void aReaderReusingItsParsersReadsEachDocumentOnItsOwn() {
        Plists.Reader reader = new Plists.Reader(1);
        byte[] deep = (HEAD.formatted("UTF-8") + "<plist version=\"1.0\"><dict><key>A</key>" + "<array>".repeat(Plists.MAX_DEPTH)
                + "</array>".repeat(Plists.MAX_DEPTH) + "</dict></plist>").getBytes(StandardCharsets.UTF_8);
        byte[] entity = (HEAD.formatted("UTF-8").replace("\">\n", "\" [<!ENTITY e \"x\">]>\n") + AUTHENTICATE).getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < Plists.Reader.USES_PER_PARSER * 2; round++) {
            String udid = "UDID-" + round;
            byte[] message = (HEAD.formatted("UTF-8") + AUTHENTICATE.replace("00008110-000A1C2E3E8A801E", udid)).getBytes(StandardCharsets.UTF_8);

            assertThat(CheckIn.parse(reader.dictionary(message)).sender().id()).isEqualTo(udid);
            assertThatThrownBy(() -> reader.dictionary(deep)).isInstanceOf(PlistException.class)
                    .hasMessage("the plist is nested deeper than " + Plists.MAX_DEPTH + " elements");
            assertThatThrownBy(() -> reader.dictionary(entity)).isInstanceOf(PlistException.class)
                    .hasMessage("entity declarations are not allowed");
            assertThatThrownBy(() -> reader.dictionary("<plist><dict><key>A</key>".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(PlistException.class).hasMessage("not a valid XML property list");
        }
    }
}
