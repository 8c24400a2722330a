package dev.shepherd.plugins.windows.xml;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafeXmlTest {

    @Test
    void readsNamespacedXml() {
        Document document = SafeXml.parse("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><x>1</x></s:Body></s:Envelope>");
        assertThat(SafeXml.childText(SafeXml.child(document.getDocumentElement(), "http://www.w3.org/2003/05/soap-envelope", "Body")
                .orElseThrow(), null, "x")).hasValue("1");
    }

    @Test
    void refusesExternalEntities() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        assertThatThrownBy(() -> SafeXml.parse(xxe)).isInstanceOf(XmlException.class).hasMessageContaining("DTD");
    }

    @Test
    void refusesEntityExpansionBombs() {
        StringBuilder bomb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i < 10; i++) {
            bomb.append("<!ENTITY lol").append(i).append(" \"").append(("&lol" + (i == 1 ? "" : i - 1) + ";").repeat(10)).append("\">");
        }
        bomb.append("]><lolz>&lol9;</lolz>");
        assertThatThrownBy(() -> SafeXml.parse(bomb.toString())).isInstanceOf(XmlException.class).hasMessageContaining("DTD");
    }

    @Test
    void refusesDocumentTypesWhateverTheEncodingTheDocumentDeclares() {
        String xxe = "<?xml version=\"1.0\" encoding=\"%s\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        for (Charset charset : List.of(StandardCharsets.UTF_16, StandardCharsets.UTF_16LE, Charset.forName("UTF-32"), Charset.forName("IBM037"))) {
            byte[] encoded = xxe.formatted(charset.name()).getBytes(charset);
            assertThatThrownBy(() -> SafeXml.parse(encoded)).as(charset.name()).isInstanceOf(XmlException.class);
        }
        // The same document without its DTD is read in each of those encodings: refusing is not a side effect of the encoding.
        for (Charset charset : List.of(StandardCharsets.UTF_16, Charset.forName("UTF-32"), Charset.forName("IBM037"))) {
            byte[] encoded = "<?xml version=\"1.0\" encoding=\"%s\"?><r>x</r>".formatted(charset.name()).getBytes(charset);
            assertThat(SafeXml.parse(encoded).getDocumentElement().getTextContent()).as(charset.name()).isEqualTo("x");
        }
    }

    @Test
    void refusesDocumentsNestedDeeperThanTheBoundInsteadOfOverflowingTheStackLater() {
        String nested = "<a>".repeat(SafeXml.MAX_DEPTH) + "x" + "</a>".repeat(SafeXml.MAX_DEPTH);
        assertThat(SafeXml.parse(nested).getDocumentElement().getTextContent()).isEqualTo("x");
        String deep = "<a>".repeat(100_000) + "</a>".repeat(100_000);
        assertThatThrownBy(() -> SafeXml.parse(deep)).isInstanceOf(XmlException.class)
                .hasMessageContaining("nested deeper than " + SafeXml.MAX_DEPTH);
    }

    @Test
    void malformedXmlSaysWhere() {
        assertThatThrownBy(() -> SafeXml.parse("<a><b></a>")).isInstanceOf(XmlException.class).hasMessageContaining("line 1");
    }

    @Test
    void escapesTheSpecialCharactersAndDropsWhatXmlCannotCarry() {
        assertThat(SafeXml.escape("<a href=\"x\">&'\u0001")).isEqualTo("&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    }
}
