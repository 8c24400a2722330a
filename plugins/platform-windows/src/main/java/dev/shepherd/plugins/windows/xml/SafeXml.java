package dev.shepherd.plugins.windows.xml;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads XML from devices. Windows clients send SOAP and SyncML, and both arrive before the sender is trusted, so
 * the parser refuses what XML attacks need: any document type declaration (and with it every entity, internal or
 * external), external schemas and stylesheets, XInclude. These are the parser's own checks on the decoded
 * characters, so they hold whatever encoding the document declares or its byte order mark signals. Sizes are
 * bounded before parsing by the endpoint's body limit; elements may nest at most {@link #MAX_DEPTH} deep (the JDK's
 * limit is off by default, and the DOM is walked recursively: a deeper document would overflow the stack), and the
 * JDK's secure-processing limits bound attribute counts.
 */
public final class SafeXml {

    /** Deeper than any SOAP or SyncML message a Windows client sends (about 8), far below what strains a stack. */
    public static final int MAX_DEPTH = 64;

    private static final DocumentBuilderFactory FACTORY = factory();

    private SafeXml() {
    }

    private static DocumentBuilderFactory factory() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            factory.setAttribute("jdk.xml.maxElementDepth", String.valueOf(MAX_DEPTH));
            factory.setXIncludeAware(false);
            factory.setExpandEntityReferences(false);
            return factory;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser cannot be hardened", e);
        }
    }

    /**
     * @return the parsed document
     * @throws XmlException with a message fit for the sender when the bytes are not well-formed XML or declare a DTD
     */
    public static Document parse(byte[] xml) {
        return parse(new InputSource(new ByteArrayInputStream(xml)));
    }

    /** @see #parse(byte[]) */
    public static Document parse(String xml) {
        return parse(new InputSource(new StringReader(xml)));
    }

    private static Document parse(InputSource source) {
        try {
            DocumentBuilder builder;
            synchronized (FACTORY) {
                builder = FACTORY.newDocumentBuilder();
            }
            // Never resolve anything from outside the document, whatever the parser is asked.
            builder.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entities are not allowed");
            });
            builder.setErrorHandler(null);
            return builder.parse(source);
        } catch (SAXParseException e) {
            throw new XmlException("malformed XML at line " + e.getLineNumber() + ", column " + e.getColumnNumber() + ": "
                    + describe(e));
        } catch (SAXException e) {
            throw new XmlException("malformed XML: " + describe(e));
        } catch (IOException | ParserConfigurationException e) {
            throw new XmlException("unreadable XML: " + e.getMessage());
        }
    }

    private static String describe(SAXException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.contains("maxElementDepth")) {
            return "elements are nested deeper than " + MAX_DEPTH;
        }
        return message.contains("DOCTYPE") ? "document type declarations (DTDs) are not allowed" : message;
    }

    /** @return the element's child elements of a namespace and local name, in document order */
    public static List<Element> children(Element parent, String namespace, String localName) {
        List<Element> found = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element element && localName.equals(element.getLocalName())
                    && (namespace == null || namespace.equals(element.getNamespaceURI()))) {
                found.add(element);
            }
        }
        return found;
    }

    /** @return every child element, in document order */
    public static List<Element> children(Element parent) {
        List<Element> found = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE) {
                found.add((Element) nodes.item(i));
            }
        }
        return found;
    }

    /** @return the first child element of a namespace and local name */
    public static Optional<Element> child(Element parent, String namespace, String localName) {
        List<Element> found = children(parent, namespace, localName);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** @return the trimmed text of the first child element of a namespace and local name, if it has any */
    public static Optional<String> childText(Element parent, String namespace, String localName) {
        return child(parent, namespace, localName).map(element -> element.getTextContent().trim()).filter(text -> !text.isEmpty());
    }

    /** @return the first descendant element of a namespace and local name, searched depth first */
    public static Optional<Element> descendant(Element root, String namespace, String localName) {
        NodeList nodes = root.getElementsByTagNameNS(namespace == null ? "*" : namespace, localName);
        return nodes.getLength() == 0 ? Optional.empty() : Optional.of((Element) nodes.item(0));
    }

    /** @return text with the five XML special characters escaped, for element content and attribute values */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&apos;");
                default -> {
                    // Characters XML 1.0 cannot carry at all are dropped rather than producing a document no client parses.
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
