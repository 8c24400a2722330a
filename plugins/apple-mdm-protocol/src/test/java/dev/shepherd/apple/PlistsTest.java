package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import org.junit.jupiter.api.Test;

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
}
