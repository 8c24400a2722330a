package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDate;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;
import com.dd.plist.NSString;
import org.xml.sax.Attributes;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.ext.DefaultHandler2;

import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

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
    private static final String NOT_A_PLIST = "not a valid XML property list";
    /** Stands in for a document between reads: handles nothing and holds nothing. */
    private static final DefaultHandler2 NO_DOCUMENT = new DefaultHandler2();

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
     * Reads one document with a parser of its own; {@link Reader} keeps parsers for reuse.
     *
     * @throws PlistException with a message fit for the device's 400 answer
     */
    public static NSDictionary dictionary(byte[] xml) {
        return new Reader(0).dictionary(xml);
    }

    /**
     * Reads documents with parsers kept for reuse: creating the JDK's XML parser costs about as much as reading a
     * device's message with it. Safe for concurrent use; a parser serves one document at a time. A parser is reused
     * only after reading a small document through (it remembers every element name it has read, so neither a failed
     * read nor a large or odd document leaves it holding more than a little), and retired after
     * {@link #USES_PER_PARSER} documents.
     */
    public static final class Reader {

        /** Parsers retire after this many documents, so what they remember stays small. */
        static final int USES_PER_PARSER = 64;
        /** A parser is reused only after documents of at most this many elements. */
        static final int MAX_ELEMENTS_TO_REUSE = 256;

        private final BlockingQueue<Parser> idle;

        /** @param keptParsers how many idle parsers are kept; more readers than this at once create their own */
        public Reader(int keptParsers) {
            this.idle = new ArrayBlockingQueue<>(Math.max(1, keptParsers));
        }

        /**
         * @throws PlistException with a message fit for the device's 400 answer
         */
        public NSDictionary dictionary(byte[] xml) {
            if (xml.length == 0) {
                throw new PlistException("the body is empty");
            }
            if (xml.length > MAX_BYTES) {
                throw new PlistException("the plist is larger than " + MAX_BYTES + " bytes");
            }
            NSObject parsed = parse(xml);
            if (!(parsed instanceof NSDictionary dictionary)) {
                throw new PlistException("the property list is not a dictionary");
            }
            return dictionary;
        }

        /**
         * Builds the property list's objects as the parser reads the XML, without recursion, refusing declarations and
         * counting depth and elements as it goes; the objects are those dd-plist's XML parser would build from the same
         * document, with no DOM in between.
         */
        private NSObject parse(byte[] xml) {
            PlistBuilder builder = new PlistBuilder();
            try {
                Parser parser = idle.poll();
                if (parser == null) {
                    synchronized (PARSERS) {
                        parser = new Parser(PARSERS.newSAXParser().getXMLReader());
                    }
                }
                XMLReader reader = parser.reader();
                handleWith(reader, builder);
                reader.parse(new InputSource(new ByteArrayInputStream(xml)));
                if (builder.elements <= MAX_ELEMENTS_TO_REUSE && ++parser.uses < USES_PER_PARSER) {
                    // The parser lets go of this document's objects; the next parse resets it.
                    handleWith(reader, NO_DOCUMENT);
                    idle.offer(parser);
                }
            } catch (SAXException | IOException | ParserConfigurationException | RuntimeException e) {
                // The parser may wrap what the handler threw; the handler's own reason is what the device is told.
                // The JDK's parser reports some broken encodings with runtime exceptions of its own.
                throw new PlistException(builder.refusal != null ? builder.refusal : NOT_A_PLIST);
            }
            return builder.result();
        }

        /** Every event of the reader's next document goes to the handler. */
        private static void handleWith(XMLReader reader, DefaultHandler2 handler) throws SAXException {
            reader.setContentHandler(handler);
            reader.setErrorHandler(handler);
            reader.setDTDHandler(handler);
            reader.setEntityResolver(handler);
            reader.setProperty("http://xml.org/sax/properties/lexical-handler", handler);
            reader.setProperty("http://xml.org/sax/properties/declaration-handler", handler);
        }

        /** A parser and how many documents it has read. */
        private static final class Parser {
            private final XMLReader reader;
            private int uses;

            Parser(XMLReader reader) {
                this.reader = reader;
            }

            XMLReader reader() {
                return reader;
            }
        }
    }

    public static byte[] xml(NSDictionary dictionary) {
        return dictionary.toXMLPropertyList().getBytes(StandardCharsets.UTF_8);
    }

    /** A string value, or null. */
    public static String string(NSDictionary dictionary, String key) {
        NSObject value = dictionary.objectForKey(key);
        return value == null ? null : value.toJavaObject() instanceof String text ? text : value.toString();
    }

    /**
     * Builds the property list from SAX events, as dd-plist builds it from a DOM: the document element must be
     * {@code plist} holding exactly one object; a {@code dict}'s element children alternate between keys (any element,
     * by its text) and values; an element's text is its first run of character data; an element of an unknown type is
     * no value (null). A value that cannot be read (a bad number, date or base64) fails the document, but only after
     * the whole document was read, so a refusal of its shape or size is reported first. Every declaration the parser
     * reports is refused as it is read.
     */
    private static final class PlistBuilder extends DefaultHandler2 {

        /** Why the handler stopped the parse, in words fit for the device's 400 answer. */
        private String refusal;
        private final ArrayDeque<Element> open = new ArrayDeque<>();
        private int elements;
        private boolean rootSeen;
        private boolean malformed;
        private NSObject root;
        private int rootObjects;

        /** What the property list holds; fails when it is not one. */
        NSObject result() {
            if (malformed || rootObjects != 1) {
                throw new PlistException(NOT_A_PLIST);
            }
            return root;
        }

        private SAXException refuse(String reason) {
            refusal = reason;
            return new SAXException(reason);
        }

        @Override
        public void startElement(String uri, String localName, String qName, Attributes attributes) throws SAXException {
            if (open.size() + 1 > MAX_DEPTH) {
                throw refuse("the plist is nested deeper than " + MAX_DEPTH + " elements");
            }
            if (++elements > MAX_ELEMENTS) {
                throw refuse("the plist has more than " + MAX_ELEMENTS + " elements");
            }
            Element parent = open.peek();
            Role role;
            if (parent == null) {
                if (rootSeen || !qName.equals("plist")) {
                    malformed = true;
                }
                rootSeen = true;
                role = Role.ROOT;
            } else {
                parent.textEnded |= parent.text != null;
                role = parent.roleOfNextChild();
            }
            open.push(new Element(qName, role));
        }

        @Override
        public void endElement(String uri, String localName, String qName) {
            Element element = open.pop();
            Element parent = open.peek();
            switch (element.role) {
                case ROOT -> { }
                case IN_ROOT -> {
                    rootObjects++;
                    root = rootObjects == 1 ? value(element) : null;
                }
                case KEY -> parent.key = element.text();
                case DICTIONARY_VALUE -> {
                    NSObject value = value(element);
                    if (!malformed) {
                        parent.dictionary.put(parent.key, value);
                    }
                    parent.key = null;
                }
                case ARRAY_ITEM -> parent.items.add(value(element));
                case IGNORED -> { }
            }
        }

        /** The element as dd-plist reads it; null for an unknown type, and for anything once the document is malformed. */
        private NSObject value(Element element) {
            if (malformed) {
                return null;
            }
            try {
                return switch (element.name) {
                    case "dict" -> {
                        if (element.key != null) {
                            // A key without its value.
                            malformed = true;
                            yield null;
                        }
                        yield element.dictionary;
                    }
                    case "array" -> {
                        NSArray array = new NSArray(element.items.size());
                        for (int i = 0; i < element.items.size(); i++) {
                            array.setValue(i, element.items.get(i));
                        }
                        yield array;
                    }
                    case "true" -> new NSNumber(true);
                    case "false" -> new NSNumber(false);
                    case "integer", "real" -> new NSNumber(element.text());
                    case "string" -> new NSString(element.text());
                    case "data" -> new NSData(element.text());
                    case "date" -> new NSDate(element.text());
                    default -> null;
                };
            } catch (Exception unreadable) {
                // dd-plist reports malformed values (a bad date, bad base64, a non-numeric integer) in several ways.
                malformed = true;
                return null;
            }
        }

        @Override
        public void characters(char[] text, int start, int length) {
            Element element = open.peek();
            if (element != null && !element.textEnded) {
                if (element.text == null) {
                    element.text = new StringBuilder(length);
                }
                element.text.append(text, start, length);
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

    /** How an element's parent uses it. */
    private enum Role { ROOT, IN_ROOT, KEY, DICTIONARY_VALUE, ARRAY_ITEM, IGNORED }

    /** An element being read: its first run of text and, for a dictionary or an array, what it holds so far. */
    private static final class Element {

        final String name;
        final Role role;
        /** The first run of character data, null until there is one. */
        StringBuilder text;
        /** Whether a child element has ended the first run of text. */
        boolean textEnded;
        /** A dictionary's children so far; its key awaiting a value. */
        NSDictionary dictionary;
        String key;
        int children;
        /** An array's items so far. */
        List<NSObject> items;

        Element(String name, Role role) {
            this.name = name;
            this.role = role;
            boolean value = role == Role.IN_ROOT || role == Role.DICTIONARY_VALUE || role == Role.ARRAY_ITEM;
            if (value && name.equals("dict")) {
                dictionary = new NSDictionary();
            } else if (value && name.equals("array")) {
                items = new ArrayList<>();
            }
        }

        /** What the next child element is to this one. */
        Role roleOfNextChild() {
            int index = children++;
            if (role == Role.ROOT) {
                return Role.IN_ROOT;
            }
            if (dictionary != null) {
                return index % 2 == 0 ? Role.KEY : Role.DICTIONARY_VALUE;
            }
            return items != null ? Role.ARRAY_ITEM : Role.IGNORED;
        }

        String text() {
            return text == null ? "" : text.toString();
        }
    }
}
