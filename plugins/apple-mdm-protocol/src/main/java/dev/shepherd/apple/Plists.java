package dev.shepherd.apple;

import com.dd.plist.NSDictionary;
import com.dd.plist.NSObject;
import com.dd.plist.PropertyListFormatException;
import com.dd.plist.XMLPropertyListParser;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.Attributes;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.ext.DefaultHandler2;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes the XML property lists of Apple's MDM protocol. Input from devices is bounded before anything
 * else sees it: at most {@link #MAX_BYTES} bytes, {@link #MAX_DEPTH} nested elements and {@link #MAX_ELEMENTS}
 * elements, and no declarations at all in the document type (so no entity, internal or external: neither XXE nor
 * entity expansion). These checks are made by the XML parser on the decoded characters, so they hold whatever
 * encoding the document declares or its byte order mark signals (UTF-16, UTF-32, EBCDIC...). Binary property
 * lists are not accepted: Apple's MDM clients send XML.
 */
public final class Plists {

    public static final int MAX_BYTES = 8 * 1024 * 1024;
    /** Deeper than any real MDM message (a profile list is about 10 deep), far below what would strain a stack. */
    public static final int MAX_DEPTH = 64;
    /** An installed-application list of thousands of apps stays well below. */
    public static final int MAX_ELEMENTS = 500_000;

    private static final SAXParserFactory PARSERS = parsers();
    private static final DocumentBuilderFactory DOCUMENTS = DocumentBuilderFactory.newInstance();

    private Plists() {
    }

    private static SAXParserFactory parsers() {
        try {
            SAXParserFactory factory = SAXParserFactory.newInstance();
            factory.setNamespaceAware(false);
            factory.setValidating(false);
            factory.setXIncludeAware(false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            return factory;
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("the JDK's XML parser cannot be hardened", e);
        }
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
        Document document = document(xml);
        NSObject parsed;
        try {
            parsed = XMLPropertyListParser.parse(document);
        } catch (PropertyListFormatException | IOException | RuntimeException e) {
            // dd-plist reports malformed values (a bad date, bad base64, a non-numeric integer) in several ways.
            throw new PlistException("not a valid XML property list");
        }
        if (!(parsed instanceof NSDictionary dictionary)) {
            throw new PlistException("the property list is not a dictionary");
        }
        return dictionary;
    }

    /**
     * Parses the XML into a DOM without recursion, refusing declarations and counting depth and elements as it
     * goes, so dd-plist (which walks the DOM recursively) only ever sees a bounded tree.
     */
    private static Document document(byte[] xml) {
        DomBuilder builder;
        try {
            synchronized (DOCUMENTS) {
                builder = new DomBuilder(DOCUMENTS.newDocumentBuilder().newDocument());
            }
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK cannot build a DOM", e);
        }
        try {
            XMLReader reader;
            synchronized (PARSERS) {
                reader = PARSERS.newSAXParser().getXMLReader();
            }
            reader.setContentHandler(builder);
            reader.setErrorHandler(builder);
            reader.setDTDHandler(builder);
            reader.setEntityResolver(builder);
            reader.setProperty("http://xml.org/sax/properties/lexical-handler", builder);
            reader.setProperty("http://xml.org/sax/properties/declaration-handler", builder);
            reader.parse(new InputSource(new ByteArrayInputStream(xml)));
        } catch (SAXException | IOException | ParserConfigurationException | RuntimeException e) {
            // The parser may wrap what the handler threw; the handler's own reason is what the device is told.
            // The JDK's parser reports some broken encodings with runtime exceptions of its own.
            throw new PlistException(builder.refusal != null ? builder.refusal : "not a valid XML property list");
        }
        return builder.document;
    }

    public static byte[] xml(NSDictionary dictionary) {
        return dictionary.toXMLPropertyList().getBytes(StandardCharsets.UTF_8);
    }

    /** A string value, or null. */
    public static String string(NSDictionary dictionary, String key) {
        NSObject value = dictionary.objectForKey(key);
        return value == null ? null : value.toJavaObject() instanceof String text ? text : value.toString();
    }

    /** Builds the DOM from SAX events; every declaration the parser reports is refused as it is read. */
    private static final class DomBuilder extends DefaultHandler2 {

        private final Document document;
        /** Why the handler stopped the parse, in words fit for the device's 400 answer. */
        private String refusal;
        private Node current;
        private int depth;
        private int elements;

        DomBuilder(Document document) {
            this.document = document;
            this.current = document;
        }

        private SAXException refuse(String reason) {
            refusal = reason;
            return new SAXException(reason);
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes attributes) throws SAXException {
            if (++depth > MAX_DEPTH) {
                throw refuse("the plist is nested deeper than " + MAX_DEPTH + " elements");
            }
            if (++elements > MAX_ELEMENTS) {
                throw refuse("the plist has more than " + MAX_ELEMENTS + " elements");
            }
            Element element = document.createElement(qName);
            for (int i = 0; i < attributes.getLength(); i++) {
                element.setAttribute(attributes.getQName(i), attributes.getValue(i));
            }
            current = current.appendChild(element);
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            depth--;
            current = current.getParentNode();
        }

        @Override
        public void characters(char[] text, int start, int length) {
            if (current != document) {
                current.appendChild(document.createTextNode(new String(text, start, length)));
            }
        }

        @Override
        public void ignorableWhitespace(char[] text, int start, int length) {
            characters(text, start, length);
        }

        @Override
        public void startDTD(String name, String publicId, String systemId) throws SAXException {
            if (!"plist".equals(name)) {
                throw refuse("the document type must be plist");
            }
        }

        @Override
        public void internalEntityDecl(String name, String value) throws SAXException {
            throw refuse("entity declarations are not allowed");
        }

        @Override
        public void externalEntityDecl(String name, String publicId, String systemId) throws SAXException {
            throw refuse("entity declarations are not allowed");
        }

        @Override
        public void elementDecl(String name, String model) throws SAXException {
            throw refuse("declarations in the document type are not allowed");
        }

        @Override
        public void attributeDecl(String element, String attribute, String type, String mode, String value) throws SAXException {
            throw refuse("declarations in the document type are not allowed");
        }

        @Override
        public void unparsedEntityDecl(String name, String publicId, String systemId, String notation) throws SAXException {
            throw refuse("entity declarations are not allowed");
        }

        @Override
        public void notationDecl(String name, String publicId, String systemId) throws SAXException {
            throw refuse("declarations in the document type are not allowed");
        }

        @Override
        public InputSource resolveEntity(String name, String publicId, String baseURI, String systemId) {
            // Apple's DTD (and anything else named) is never fetched; an empty one stands in.
            return new InputSource(new StringReader(""));
        }

        @Override
        public InputSource getExternalSubset(String name, String baseURI) {
            return null;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void error(SAXParseException e) {
            // Validity errors: a non-validating parser reports them only as advice.
        }
    }
}
