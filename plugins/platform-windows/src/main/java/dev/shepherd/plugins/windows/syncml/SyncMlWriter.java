package dev.shepherd.plugins.windows.syncml;

import dev.shepherd.plugins.windows.syncml.SyncCommand.Alert;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Results;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Status;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static dev.shepherd.plugins.windows.xml.SafeXml.escape;

/**
 * Writes SyncML 1.2 messages as Windows expects them: the SyncML namespace on the root, {@code syncml:metinf} declared
 * on each Meta child (as Microsoft's own examples do), every value escaped, UTF-8 without a declaration.
 */
public final class SyncMlWriter {

    private SyncMlWriter() {
    }

    /** @return the message as UTF-8 bytes */
    public static byte[] write(SyncMl message) {
        StringBuilder out = new StringBuilder(1024);
        SyncHdr header = message.header();
        out.append("<SyncML xmlns=\"").append(SyncMl.NAMESPACE).append("\"><SyncHdr>")
                .append("<VerDTD>").append(SyncHdr.VER_DTD).append("</VerDTD>")
                .append("<VerProto>").append(SyncHdr.VER_PROTO).append("</VerProto>");
        element(out, "SessionID", header.sessionId());
        element(out, "MsgID", header.msgId());
        out.append("<Target>");
        element(out, "LocURI", header.target());
        out.append("</Target><Source>");
        element(out, "LocURI", header.source());
        out.append("</Source>");
        header.maxMsgSize().ifPresent(size -> out.append("<Meta>").append(metinf("MaxMsgSize", Integer.toString(size))).append("</Meta>"));
        out.append("</SyncHdr><SyncBody>");
        for (SyncCommand command : message.commands()) {
            command(out, command);
        }
        if (message.fin()) {
            out.append("<Final/>");
        }
        out.append("</SyncBody></SyncML>");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @return one command as an XML element, as a RAW command is written */
    public static String write(SyncCommand command) {
        StringBuilder out = new StringBuilder();
        command(out, command);
        return out.toString();
    }

    private static void command(StringBuilder out, SyncCommand command) {
        out.append('<').append(command.name()).append('>');
        element(out, "CmdID", command.cmdId());
        if (command instanceof Alert alert) {
            element(out, "Data", alert.data());
            items(out, alert.items());
        } else if (command instanceof Status status) {
            element(out, "MsgRef", status.msgRef());
            element(out, "CmdRef", status.cmdRef());
            element(out, "Cmd", status.cmd());
            element(out, "Data", status.data());
        } else if (command instanceof Results results) {
            element(out, "MsgRef", results.msgRef());
            element(out, "CmdRef", results.cmdRef());
            items(out, results.items());
        } else if (command instanceof Operation operation) {
            items(out, operation.items());
        } else if (command instanceof Atomic atomic) {
            atomic.commands().forEach(inner -> command(out, inner));
        } else {
            throw new IllegalArgumentException("a malformed " + command.name() + " cannot be sent");
        }
        out.append("</").append(command.name()).append('>');
    }

    private static void items(StringBuilder out, List<Item> items) {
        for (Item item : items) {
            out.append("<Item>");
            item.target().ifPresent(target -> {
                out.append("<Target>");
                element(out, "LocURI", target);
                out.append("</Target>");
            });
            item.source().ifPresent(source -> {
                out.append("<Source>");
                element(out, "LocURI", source);
                out.append("</Source>");
            });
            if (item.format().isPresent() || item.type().isPresent()) {
                out.append("<Meta>");
                item.format().ifPresent(format -> out.append(metinf("Format", format)));
                item.type().ifPresent(type -> out.append(metinf("Type", type)));
                out.append("</Meta>");
            }
            optional(out, "Data", item.data());
            out.append("</Item>");
        }
    }

    private static String metinf(String name, String value) {
        return "<" + name + " xmlns=\"" + SyncMl.METINF + "\">" + escape(value) + "</" + name + ">";
    }

    private static void optional(StringBuilder out, String name, Optional<String> value) {
        value.ifPresent(text -> element(out, name, text));
    }

    private static void element(StringBuilder out, String name, String value) {
        out.append('<').append(name).append('>').append(escape(value)).append("</").append(name).append('>');
    }
}
