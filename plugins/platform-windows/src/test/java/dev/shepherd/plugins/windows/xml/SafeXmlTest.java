package dev.shepherd.plugins.windows.xml;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

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
    void malformedXmlSaysWhere() {
        assertThatThrownBy(() -> SafeXml.parse("<a><b></a>")).isInstanceOf(XmlException.class).hasMessageContaining("line 1");
    }

    @Test
    void escapesTheSpecialCharactersAndDropsWhatXmlCannotCarry() {
        assertThat(SafeXml.escape("<a href=\"x\">&'\u0001")).isEqualTo("&lt;a href=&quot;x&quot;&gt;&amp;&apos;");
    }
}
