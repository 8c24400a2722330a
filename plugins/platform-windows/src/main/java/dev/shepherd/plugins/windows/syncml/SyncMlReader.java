package dev.shepherd.plugins.windows.syncml;

import dev.shepherd.plugins.windows.syncml.SyncCommand.Alert;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Malformed;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Results;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Status;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Verb;
import dev.shepherd.plugins.windows.xml.SafeXml;
import dev.shepherd.plugins.windows.xml.XmlException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.XMLConstants;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads SyncML 1.2 messages with the hardened parser: no DTDs, so no external entities. Elements are matched by local
 * name in the SyncML namespace, and Meta's contents in {@code syncml:metinf} or SyncML's; elements without a namespace
 * are accepted too, because a RAW command an admin typed rarely declares one.
 */
public final class SyncMlReader {

    private SyncMlReader() {
    }

    /**
     * @return the message
     * @throws SyncMlException when the bytes are not a SyncML 1.2 DM message; it carries the header when that was readable
     */
    public static SyncMl read(byte[] xml) {
        Element root;
        try {
            root = SafeXml.parse(xml).getDocumentElement();
        } catch (XmlException e) {
            throw new SyncMlException(e.getMessage(), Optional.empty());
        }
        if (!"SyncML".equals(root.getLocalName()) || !known(root)) {
            throw new SyncMlException("not a SyncML message: the root element must be SyncML in namespace " + SyncMl.NAMESPACE,
                    Optional.empty());
        }
        Element hdr = child(root, "SyncHdr").orElseThrow(() -> new SyncMlException("the message has no SyncHdr", Optional.empty()));
        Optional<String> sessionId = text(hdr, "SessionID");
        Optional<String> msgId = text(hdr, "MsgID");
        Optional<String> source = child(hdr, "Source").flatMap(element -> text(element, "LocURI"));
        if (sessionId.isEmpty() || msgId.isEmpty() || source.isEmpty()) {
            throw new SyncMlException("the SyncHdr needs a SessionID, a MsgID and a Source LocURI", Optional.empty());
        }
        SyncHdr header = new SyncHdr(sessionId.get(), msgId.get(), child(hdr, "Target").flatMap(element -> text(element, "LocURI")).orElse(""),
                source.get(), child(hdr, "Meta").flatMap(meta -> text(meta, "MaxMsgSize")).flatMap(SyncMlReader::number));
        if (!text(hdr, "VerDTD").orElse("").equals(SyncHdr.VER_DTD) || !text(hdr, "VerProto").orElse("").equals(SyncHdr.VER_PROTO)) {
            throw new SyncMlException("only VerDTD " + SyncHdr.VER_DTD + " and VerProto " + SyncHdr.VER_PROTO + " are spoken here",
                    Optional.of(header));
        }
        if (child(hdr, "Target").flatMap(element -> text(element, "LocURI")).isEmpty()) {
            throw new SyncMlException("the SyncHdr needs a Target LocURI", Optional.of(header));
        }
        Element body = child(root, "SyncBody").orElseThrow(() -> new SyncMlException("the message has no SyncBody", Optional.of(header)));
        List<SyncCommand> commands = new ArrayList<>();
        boolean fin = false;
        for (Element element : SafeXml.children(body)) {
            if (!known(element)) {
                commands.add(malformed(element, "an element outside the SyncML namespace"));
            } else if (element.getLocalName().equals("Final")) {
                fin = true;
            } else {
                commands.add(command(element, false));
            }
        }
        return new SyncMl(header, commands, fin);
    }

    /**
     * Reads one command element standing alone, as a RAW command carries it.
     *
     * @throws SyncMlException when it is not well-formed or not a command this server can send
     */
    public static SyncCommand readCommand(String xml) {
        Element element;
        try {
            element = SafeXml.parse(xml).getDocumentElement();
        } catch (XmlException e) {
            throw new SyncMlException(e.getMessage(), Optional.empty());
        }
        // Its CmdID is replaced on sending, so a command without one is fine here.
        if (child(element, "CmdID").isEmpty()) {
            element.insertBefore(element.getOwnerDocument().createElementNS(element.getNamespaceURI(), "CmdID"), element.getFirstChild())
                    .setTextContent("0");
        }
        SyncCommand command = command(element, false);
        if (command instanceof Malformed malformed) {
            throw new SyncMlException(malformed.name() + ": " + malformed.problem(), Optional.empty());
        }
        if (command instanceof Status || command instanceof Results) {
            throw new SyncMlException("a " + command.name() + " answers a command; the server cannot send one on its own", Optional.empty());
        }
        return command;
    }

    private static SyncCommand command(Element element, boolean insideAtomic) {
        String name = element.getLocalName();
        Optional<String> cmdId = text(element, "CmdID");
        if (cmdId.isEmpty()) {
            return new Malformed("", name, "a command without a CmdID");
        }
        Optional<Verb> verb = Verb.of(name);
        if (verb.isPresent()) {
            return new Operation(verb.get(), cmdId.get(), items(element));
        }
        return switch (name) {
            case "Alert" -> new Alert(cmdId.get(), text(element, "Data").orElse(""), items(element));
            case "Status" -> {
                Optional<String> msgRef = text(element, "MsgRef");
                Optional<String> cmdRef = text(element, "CmdRef");
                Optional<String> cmd = text(element, "Cmd");
                Optional<String> data = text(element, "Data");
                yield msgRef.isEmpty() || cmdRef.isEmpty() || cmd.isEmpty() || data.isEmpty()
                        ? new Malformed(cmdId.get(), name, "a Status needs MsgRef, CmdRef, Cmd and Data")
                        : new Status(cmdId.get(), msgRef.get(), cmdRef.get(), cmd.get(), data.get());
            }
            case "Results" -> new Results(cmdId.get(), text(element, "MsgRef").orElse(""), text(element, "CmdRef").orElse(""),
                    items(element));
            case "Atomic" -> {
                if (insideAtomic) {
                    yield new Malformed(cmdId.get(), name, "Atomic commands cannot be nested");
                }
                List<SyncCommand> nested = new ArrayList<>();
                for (Element inner : SafeXml.children(element)) {
                    if (!inner.getLocalName().equals("CmdID") && !inner.getLocalName().equals("Meta")) {
                        nested.add(command(inner, true));
                    }
                }
                yield new Atomic(cmdId.get(), nested);
            }
            default -> malformed(element, "not an OMA-DM command");
        };
    }

    private static Malformed malformed(Element element, String problem) {
        return new Malformed(text(element, "CmdID").orElse(""), element.getLocalName(), problem);
    }

    private static List<Item> items(Element command) {
        Optional<Element> commandMeta = child(command, "Meta");
        List<Item> items = new ArrayList<>();
        for (Element item : children(command, "Item")) {
            // A Meta on the command applies to items that have none of their own.
            Optional<Element> meta = child(item, "Meta").or(() -> commandMeta);
            items.add(new Item(child(item, "Target").flatMap(element -> text(element, "LocURI")),
                    child(item, "Source").flatMap(element -> text(element, "LocURI")),
                    meta.flatMap(element -> text(element, "Format")), meta.flatMap(element -> text(element, "Type")),
                    child(item, "Data").map(SyncMlReader::data)));
        }
        return items;
    }

    /** Data's text, or the XML a client nested inside it, serialised as it came. */
    private static String data(Element data) {
        if (SafeXml.children(data).isEmpty()) {
            return data.getTextContent();
        }
        try {
            TransformerFactory factory = TransformerFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            Transformer transformer = factory.newTransformer();
            transformer.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter out = new StringWriter();
            for (Node node = data.getFirstChild(); node != null; node = node.getNextSibling()) {
                transformer.transform(new DOMSource(node), new StreamResult(out));
            }
            return out.toString().trim();
        } catch (TransformerException e) {
            throw new SyncMlException("unreadable Data: " + e.getMessage(), Optional.empty());
        }
    }

    private static boolean known(Element element) {
        String namespace = element.getNamespaceURI();
        return namespace == null || namespace.equalsIgnoreCase(SyncMl.NAMESPACE) || namespace.equalsIgnoreCase(SyncMl.METINF);
    }

    private static List<Element> children(Element parent, String name) {
        return SafeXml.children(parent).stream().filter(element -> name.equals(element.getLocalName()) && known(element)).toList();
    }

    private static Optional<Element> child(Element parent, String name) {
        return children(parent, name).stream().findFirst();
    }

    private static Optional<String> text(Element parent, String name) {
        return child(parent, name).map(element -> element.getTextContent().trim()).filter(text -> !text.isEmpty());
    }

    private static Optional<Integer> number(String text) {
        try {
            return Optional.of(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
