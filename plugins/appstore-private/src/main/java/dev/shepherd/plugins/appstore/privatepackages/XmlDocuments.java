package dev.shepherd.plugins.appstore.privatepackages;

import org.w3c.dom.Document;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/** Parses the XML inside packages, which their uploader wrote: no DOCTYPE, so no entity is ever expanded or fetched. */
final class XmlDocuments {

    private XmlDocuments() {
    }

    /**
     * @param xml the document, already bounded in size
     * @param what the document's name for the refusal, such as {@code AppxManifest.xml}
     * @return the document
     * @throws PackageRefusedException (400) when it is not well-formed or has a DOCTYPE
     */
    static Document parse(byte[] xml, String what) throws PackageRefusedException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            return builder.parse(new ByteArrayInputStream(xml));
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser refuses secure processing", e);
        } catch (SAXException | IOException e) {
            String message = String.valueOf(e.getMessage());
            throw new PackageRefusedException(400, what + " is not well-formed XML: "
                    + (message.length() > 200 ? message.substring(0, 200) + "…" : message));
        }
    }
}
