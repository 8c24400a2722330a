package dev.shepherd.plugins.windows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.plugins.windows.csp.CspOperation;
import dev.shepherd.plugins.windows.xml.SafeXml;
import org.w3c.dom.Element;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * Microsoft's CSP reference for the nodes Shepherd addresses, as the table in {@code csp/windows-csp-contract.json}
 * (sources in the README beside it), and the answer a Windows PC gives a command by it: 404 for a node no CSP has,
 * 405 for an operation the node does not take or a node the PC's edition lacks, 400 for a wrong format or a value
 * outside what is allowed. Answers that mean Shepherd sent what Windows refuses or ignores are violations; an edition
 * refusal is not, since Windows editions legitimately differ and the plugin reports it.
 */
public final class CspContract {

    /** A Windows edition, with the SKU number DeviceStatus/OS/Edition reports for it. */
    public enum Edition {
        HOME, PRO, ENTERPRISE, EDUCATION;

        String label() {
            return name().charAt(0) + name().substring(1).toLowerCase();
        }
    }

    /** What the PC answers, and why a command breaks the contract if it does. */
    public record Verdict(int code, Optional<String> violation) {
        static Verdict ok() {
            return new Verdict(200, Optional.empty());
        }

        static Verdict broken(int code, String why) {
            return new Verdict(code, Optional.of(why));
        }
    }

    /** One node's row of the table. */
    record Node(String path, Pattern pattern, Set<String> access, Set<String> formats, JsonNode values, Set<String> editions,
                Optional<String> dependsOnPath, Set<String> dependsOnValues, Set<String> entraJoinedOnly, List<String> after, String source) {
    }

    private final List<Node> nodes;
    private final Map<String, String> legacyRoots;
    private final Map<String, String> skus;

    private CspContract(List<Node> nodes, Map<String, String> legacyRoots, Map<String, String> skus) {
        this.nodes = List.copyOf(nodes);
        this.legacyRoots = Map.copyOf(legacyRoots);
        this.skus = Map.copyOf(skus);
    }

    /** The table taken from Microsoft's CSP reference. */
    public static CspContract microsoft() {
        return Microsoft.TABLE;
    }

    /** Loaded once, when first asked for: the table is read-only. */
    private static final class Microsoft {
        static final CspContract TABLE = load("/csp/windows-csp-contract.json");
    }

    /** The number DeviceStatus/OS/Edition reports for an edition. */
    public String sku(Edition edition) {
        return skus.get(edition.label());
    }

    /**
     * @param verb Add, Replace, Delete, Exec or Get
     * @param format the Meta Format sent, if any
     * @param data the Data sent, if any
     * @param values what the PC holds at the time of the command, node by node (for dependencies)
     * @param later the nodes the same Atomic addresses after this command
     */
    public Verdict check(String verb, String locUri, Optional<String> format, Optional<String> data, Edition edition, boolean entraJoined,
                         Function<String, Optional<String>> values, List<String> later) {
        requireNonNull(verb, "verb is null");
        String uri = canonical(requireNonNull(locUri, "locUri is null"));
        Optional<Match> found = find(uri);
        if (found.isEmpty()) {
            return Verdict.broken(404, verb + " " + locUri + ": no such node in Microsoft's CSP reference");
        }
        Node node = found.get().node();
        if (!node.editions().contains(edition.label())) {
            // Not a violation: Windows editions differ, and the plugin reports the PC's refusal as it is.
            return new Verdict(405, Optional.empty());
        }
        if (!node.access().contains(verb)) {
            return Verdict.broken(405, verb + " " + locUri + ": the node takes only " + node.access() + " (" + node.source() + ")");
        }
        if (format.isPresent() && !node.formats().contains(format.get())) {
            return Verdict.broken(400, verb + " " + locUri + ": format " + format.get() + ", the node's format is " + node.formats());
        }
        boolean carriesValue = verb.equals("Add") || verb.equals("Replace") || verb.equals("Exec");
        if (carriesValue && data.isPresent()) {
            if (format.isEmpty() && !node.formats().contains("chr")) {
                return Verdict.broken(400, verb + " " + locUri + ": a value without a format, the node's format is " + node.formats());
            }
            Optional<String> bad = badValue(node, data.get());
            if (bad.isPresent()) {
                return Verdict.broken(400, verb + " " + locUri + " = " + abbreviated(data.get()) + ": " + bad.get() + " (" + node.source() + ")");
            }
            if (!entraJoined && node.entraJoinedOnly().contains(data.get().trim())) {
                return Verdict.broken(400, verb + " " + locUri + " = " + data.get() + ": allowed only on Microsoft Entra joined devices, "
                        + "and this PC is not Entra joined (" + node.source() + ")");
            }
        } else if ((verb.equals("Add") || verb.equals("Replace")) && !node.formats().contains("node") && !node.formats().contains("xml")) {
            return Verdict.broken(400, verb + " " + locUri + ": no value for a " + node.formats() + " node");
        }
        Optional<String> segmentProblem = found.get().segments().entrySet().stream()
                .filter(segment -> node.values().has("segment") && !segment.getValue().matches(node.values().path("segment").asText()))
                .map(segment -> "node name " + segment.getValue() + " is not of the form " + node.values().path("segment").asText())
                .findFirst();
        if (segmentProblem.isPresent()) {
            return Verdict.broken(400, verb + " " + locUri + ": " + segmentProblem.get());
        }
        if (carriesValue) {
            String parent = uri.substring(0, uri.lastIndexOf('/') + 1);
            Optional<String> early = later.stream().map(CspContract::canonicalStatic)
                    .filter(next -> next.startsWith(parent) && node.after().contains(next.substring(parent.length())))
                    .findFirst();
            if (early.isPresent()) {
                return Verdict.broken(400, verb + " " + locUri + " before " + early.get() + ": the node must come after the other "
                        + "parameters " + node.after() + " (" + node.source() + ")");
            }
        }
        if (carriesValue && node.dependsOnPath().isPresent()) {
            String dependency = substitute(node.dependsOnPath().get(), found.get().segments());
            Optional<String> current = values.apply(dependency);
            if (current.isEmpty() || !node.dependsOnValues().contains(current.get().trim())) {
                // Windows stores such a value but ignores it: the answer is 200, and the plugin was still wrong to send it.
                return Verdict.broken(200, verb + " " + locUri + ": has no effect unless " + dependency + " is " + node.dependsOnValues()
                        + ", and it is " + current.orElse("not set") + " (" + node.source() + ")");
            }
        }
        return Verdict.ok();
    }

    /**
     * The violations of operations sent together in one Atomic, in order, to a PC that holds nothing yet.
     *
     * @return what was wrong with each operation that breaks the contract; empty when all conform
     */
    public List<String> violations(List<CspOperation> operations, Edition edition, boolean entraJoined) {
        Map<String, String> staged = new LinkedHashMap<>();
        List<String> found = new ArrayList<>();
        for (int i = 0; i < operations.size(); i++) {
            CspOperation operation = operations.get(i);
            List<String> later = operations.subList(i + 1, operations.size()).stream().map(CspOperation::locUri).toList();
            Verdict verdict = check(operation.verb(), operation.locUri(), operation.format(), operation.data(), edition, entraJoined,
                    node -> Optional.ofNullable(staged.get(canonical(node))), later);
            verdict.violation().ifPresent(found::add);
            if (verdict.code() == 200 && (operation.verb().equals("Add") || operation.verb().equals("Replace"))) {
                staged.put(canonical(operation.locUri()), operation.data().orElse(""));
            }
        }
        return found;
    }

    /** Whether a node exists in the table at all, whatever the edition. */
    public boolean knows(String locUri) {
        return find(canonical(locUri)).isPresent();
    }

    /** The documented path of a node sent under an older root that Windows still accepts for it. */
    public String canonical(String locUri) {
        for (Map.Entry<String, String> root : legacyRoots.entrySet()) {
            if (locUri.startsWith(root.getKey())) {
                return root.getValue() + locUri.substring(root.getKey().length());
            }
        }
        return locUri;
    }

    private static String canonicalStatic(String locUri) {
        return microsoft().canonical(locUri);
    }

    private record Match(Node node, Map<String, String> segments) {
    }

    private Optional<Match> find(String uri) {
        for (Node node : nodes) {
            Matcher matcher = node.pattern().matcher(uri);
            if (matcher.matches()) {
                Map<String, String> segments = new LinkedHashMap<>();
                Matcher names = PLACEHOLDER.matcher(node.path());
                int group = 1;
                while (names.find()) {
                    segments.put(names.group(), matcher.group(group++));
                }
                return Optional.of(new Match(node, segments));
            }
        }
        return Optional.empty();
    }

    private static String substitute(String path, Map<String, String> segments) {
        String result = path;
        for (Map.Entry<String, String> segment : segments.entrySet()) {
            result = result.replace(segment.getKey(), segment.getValue());
        }
        return result;
    }

    private static Optional<String> badValue(Node node, String data) {
        JsonNode values = node.values();
        String value = data.trim();
        if (node.formats().contains("int")) {
            long number;
            try {
                number = Long.parseLong(value);
            } catch (NumberFormatException e) {
                return Optional.of("not an integer");
            }
            if (values.has("range") && (number < values.path("range").get(0).asLong() || number > values.path("range").get(1).asLong())) {
                return Optional.of("outside the allowed range " + values.path("range"));
            }
            if (values.has("anyBits") && (number & values.path("anyBits").asLong()) == 0) {
                return Optional.of("none of the required bits " + values.path("anyBits") + " set");
            }
        }
        if (node.formats().contains("bool") && !value.equals("true") && !value.equals("false")) {
            return Optional.of("not true or false");
        }
        if (values.has("enum")) {
            List<String> allowed = new ArrayList<>();
            values.path("enum").forEach(item -> allowed.add(item.asText()));
            if (!allowed.contains(value)) {
                return Optional.of("not one of the allowed values " + allowed);
            }
        }
        if (values.has("pattern") && !value.matches(values.path("pattern").asText())) {
            return Optional.of("not of the form " + values.path("pattern").asText());
        }
        if (values.path("base64").asBoolean(false)) {
            try {
                Base64.getDecoder().decode(value.replaceAll("\\s", ""));
            } catch (IllegalArgumentException e) {
                return Optional.of("not base64");
            }
        }
        if (values.has("xml")) {
            try {
                Element root = SafeXml.parse(data.getBytes(StandardCharsets.UTF_8)).getDocumentElement();
                String name = root.getLocalName() != null ? root.getLocalName() : root.getTagName();
                if (!name.equals(values.path("xml").asText())) {
                    return Optional.of("an XML document of " + name + ", not " + values.path("xml").asText());
                }
            } catch (RuntimeException e) {
                return Optional.of("not well-formed XML: " + e.getMessage());
            }
        }
        if (values.has("admx")) {
            return badAdmx(values.path("admx"), value);
        }
        return Optional.empty();
    }

    private static final Pattern ADMX = Pattern.compile("<(enabled|disabled)/>((?:\\s*<data id=\"[^\"]+\" value=\"[^\"]*\"/>)*)\\s*");
    private static final Pattern ADMX_DATA = Pattern.compile("<data id=\"([^\"]+)\" value=\"([^\"]*)\"/>");

    /** An ADMX-backed value: {@code <enabled/>} with the policy's data elements, or {@code <disabled/>}. */
    private static Optional<String> badAdmx(JsonNode admx, String value) {
        Matcher matcher = ADMX.matcher(value);
        if (!matcher.matches()) {
            return Optional.of("not an ADMX policy value (<enabled/> with data elements, or <disabled/>)");
        }
        if (matcher.group(1).equals("disabled")) {
            return Optional.empty();
        }
        Map<String, String> data = new LinkedHashMap<>();
        Matcher items = ADMX_DATA.matcher(matcher.group(2));
        while (items.find()) {
            data.put(items.group(1), items.group(2));
        }
        JsonNode allowed = admx.path("data");
        for (Map.Entry<String, String> item : data.entrySet()) {
            if (!allowed.has(item.getKey())) {
                return Optional.of("the policy has no data element " + item.getKey());
            }
            List<String> choices = new ArrayList<>();
            allowed.path(item.getKey()).forEach(choice -> choices.add(choice.asText()));
            if (!choices.contains(item.getValue())) {
                return Optional.of(item.getKey() + " = " + item.getValue() + " is not one of " + choices);
            }
        }
        if (admx.path("all").asBoolean(false)) {
            List<String> missing = new ArrayList<>();
            allowed.fieldNames().forEachRemaining(name -> {
                if (!data.containsKey(name)) {
                    missing.add(name);
                }
            });
            if (!missing.isEmpty()) {
                return Optional.of("enabled without " + missing + ", which Windows answers with 500");
            }
        }
        return Optional.empty();
    }

    private static String abbreviated(String data) {
        return data.length() > 80 ? data.substring(0, 77) + "..." : data;
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{[A-Za-z]+}");

    private static CspContract load(String resource) {
        try (InputStream in = CspContract.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no " + resource + " on the test classpath");
            }
            JsonNode table = new ObjectMapper().readTree(in);
            List<Node> nodes = new ArrayList<>();
            for (JsonNode row : table.path("nodes")) {
                String path = row.path("path").asText();
                StringBuilder regex = new StringBuilder();
                Matcher placeholders = PLACEHOLDER.matcher(path);
                int last = 0;
                while (placeholders.find()) {
                    regex.append(Pattern.quote(path.substring(last, placeholders.start()))).append("([^/]+)");
                    last = placeholders.end();
                }
                regex.append(Pattern.quote(path.substring(last)));
                Set<String> formats = row.has("formats") ? strings(row.path("formats")) : Set.of(row.path("format").asText());
                nodes.add(new Node(path, Pattern.compile(regex.toString()), strings(row.path("access")), formats, row.path("values"),
                        strings(row.path("editions")), Optional.ofNullable(row.path("dependsOn").path("path").textValue()),
                        strings(row.path("dependsOn").path("values")), strings(row.path("entraJoinedOnly")),
                        List.copyOf(strings(row.path("after"))), row.path("source").asText()));
            }
            Map<String, String> roots = new LinkedHashMap<>();
            table.path("legacyRoots").fields().forEachRemaining(root -> roots.put(root.getKey(), root.getValue().asText()));
            Map<String, String> skus = new LinkedHashMap<>();
            table.path("editionSkus").fields().forEachRemaining(sku -> skus.put(sku.getKey(), sku.getValue().asText()));
            return new CspContract(nodes, roots, skus);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> strings = new LinkedHashSet<>();
        array.forEach(item -> strings.add(item.asText()));
        return strings;
    }
}
