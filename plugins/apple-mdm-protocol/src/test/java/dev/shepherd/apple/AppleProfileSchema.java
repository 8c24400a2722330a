package dev.shepherd.apple;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDate;
import com.dd.plist.NSDictionary;
import com.dd.plist.NSNumber;
import com.dd.plist.NSObject;
import com.dd.plist.NSString;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks a configuration profile against Apple's published device-management schemas: the {@code mdm/profiles/*.yaml}
 * files of https://github.com/apple/device-management, bundled as test resources under
 * {@code /apple-device-management/profiles/}.
 *
 * <p>The top-level dictionary is checked against {@code TopLevel.yaml}, and each dictionary of its
 * {@code PayloadContent} against {@code CommonPayloadKeys.yaml} plus the schema named by its {@code PayloadType},
 * which must exist and support the OS. At every dictionary level each key must be declared (a declared {@code ANY}
 * key admits any name), and required keys must be present unless the key's {@code supportedOS} marks the OS
 * {@code n/a}, and keys present must not be marked {@code n/a} for the OS. Values must have the declared {@code type}, match its {@code format} (a regular expression for the
 * whole string), be in its {@code rangelist} and {@code range}; an array's length must respect its element's
 * {@code repetition}. Dictionaries are checked against their {@code subkeys}, array elements against the single entry
 * of the array's {@code subkeys} (or, for an array of alternatives such as the Settings command's, the entry its
 * {@code Item} names). References between payloads by UUID must resolve within the profile to a payload of a fitting
 * type. OS versions, enrollment modes, supervision and {@code valuetype} are not checked. {@link #commandViolations}
 * checks MDM commands against {@code mdm/commands} the same way.
 */
public final class AppleProfileSchema {

    private static final String SCHEMA_DIR = "/apple-device-management/profiles/";
    private static final String DECLARATION_DIR = "/apple-device-management/declarations/";
    private static final String COMMAND_DIR = "/apple-device-management/commands/";
    private static final String PROTOCOL_DIR = "/apple-device-management/protocol/";
    private static final String CHECKIN_DIR = "/apple-device-management/checkin/";
    /** Keys that name other payloads of the same profile by UUID, and the payload types they may name (any when empty). */
    private static final Map<String, Set<String>> REFERENCES = Map.of(
            "PayloadCertificateUUID", Set.of("com.apple.security.pkcs12", "com.apple.security.scep", "com.apple.security.acme"),
            "PayloadCertificateAnchorUUID", Set.of("com.apple.security.root", "com.apple.security.pem", "com.apple.security.pkcs1"),
            "EncryptCertPayloadUUID", Set.of(),
            "IdentityCertificateUUID", Set.of());
    private static final Pattern SCHEMA_NAME = Pattern.compile("[\\w.()-]+");
    private static final Set<String> NOT_PAYLOAD_TYPES = Set.of("TopLevel", "CommonPayloadKeys");
    private static final List<String> TYPES =
            List.of("<string>", "<boolean>", "<integer>", "<real>", "<data>", "<date>", "<array>", "<dictionary>");

    private final YAMLFactory yaml = new YAMLFactory();
    private final Map<String, Optional<JsonNode>> schemas = new ConcurrentHashMap<>();

    /**
     * The problems of {@code profile} on {@code os} ("iOS", "macOS", "tvOS", "visionOS" or "watchOS"), each starting
     * with the path of the key at fault, such as {@code PayloadContent[1].ServerURL}; empty when the profile is valid.
     */
    public List<String> violations(NSDictionary profile, String os) {
        JsonNode topLevel = schema("TopLevel").orElseThrow();
        if (!topLevel.path("payload").path("supportedOS").has(os)) {
            throw new IllegalArgumentException("unknown OS: " + os);
        }
        List<String> out = new ArrayList<>();
        checkDictionary("", profile, keysByName(topLevel.path("payloadkeys")), os, out);
        if (profile.get("PayloadContent") instanceof NSArray content) {
            for (int i = 0; i < content.count(); i++) {
                if (content.objectAtIndex(i) instanceof NSDictionary payload) {
                    checkPayload("PayloadContent[" + i + "]", payload, os, out);
                }
            }
            checkReferences(content, out);
        }
        return out;
    }

    /**
     * The problems of a user-enrollment profile on {@code os}, beyond {@link #violations}: by the {@code userenrollment}
     * modes of the schemas, a payload type or a key that is {@code forbidden} must be absent, a key that is
     * {@code required} present, and a key that is {@code ignored} absent too, since the device would not honour it.
     * Keys are checked at the top level and the first level of each payload.
     */
    public List<String> userEnrollmentViolations(NSDictionary profile, String os) {
        List<String> out = new ArrayList<>();
        checkUserEnrollment("", profile, schema("TopLevel").orElseThrow(), os, out);
        if (profile.get("PayloadContent") instanceof NSArray content) {
            for (int i = 0; i < content.count(); i++) {
                if (content.objectAtIndex(i) instanceof NSDictionary payload && payload.get("PayloadType") instanceof NSString type) {
                    String path = "PayloadContent[" + i + "]";
                    Optional<JsonNode> schema = schema(type.getContent());
                    if (schema.isPresent()) {
                        if (userEnrollmentMode(schema.get().path("payload"), os).equals("forbidden")) {
                            out.add(path + ": payload type " + type.getContent() + " is forbidden under user enrollment on " + os);
                        }
                        checkUserEnrollment(path, payload, schema.get(), os, out);
                    }
                }
            }
        }
        return out;
    }

    private static void checkUserEnrollment(String path, NSDictionary dictionary, JsonNode schema, String os, List<String> out) {
        keysByName(schema.path("payloadkeys")).forEach((name, key) -> {
            String mode = userEnrollmentMode(key, os);
            boolean present = dictionary.containsKey(name);
            if (present && (mode.equals("forbidden") || mode.equals("ignored"))) {
                out.add(join(path, name) + ": " + mode + " under user enrollment on " + os);
            } else if (!present && mode.equals("required")) {
                out.add(join(path, name) + ": required under user enrollment on " + os);
            }
        });
    }

    private static String userEnrollmentMode(JsonNode node, String os) {
        return node.path("supportedOS").path(os).path("userenrollment").path("mode").asText("allowed");
    }

    private void checkPayload(String path, NSDictionary payload, String os, List<String> out) {
        String type = payload.get("PayloadType") instanceof NSString name ? name.getContent() : null;
        Optional<JsonNode> schema =
                type == null || NOT_PAYLOAD_TYPES.contains(type) ? Optional.empty() : schema(type);
        if (schema.isEmpty()) {
            out.add(path + ".PayloadType: "
                    + (type == null ? "missing or not a <string>" : "no schema for payload type \"" + type + "\""));
            return;
        }
        if (!supports(schema.get().path("payload").path("supportedOS"), os)) {
            out.add(path + ": payload type " + type + " is not supported on " + os);
        }
        Map<String, JsonNode> keys = keysByName(schema("CommonPayloadKeys").orElseThrow().path("payloadkeys"));
        keys.putAll(keysByName(schema.get().path("payloadkeys")));
        checkDictionary(path, payload, keys, os, out);
    }

    private static void checkDictionary(
            String path, NSDictionary dictionary, Map<String, JsonNode> keys, String os, List<String> out) {
        keys.forEach((name, key) -> {
            if (!name.equals("ANY") && !dictionary.containsKey(name)
                    && key.path("presence").asText().equals("required") && !excludes(key, os)) {
                out.add(join(path, name) + ": required key is missing");
            }
        });
        dictionary.forEach((name, value) -> {
            JsonNode key = keys.getOrDefault(name, keys.get("ANY"));
            if (key == null) {
                out.add(join(path, name) + ": key is not defined by the schema");
            } else if (excludes(key, os)) {
                out.add(join(path, name) + ": key is not available on " + os);
            } else {
                checkValue(join(path, name), value, key, os, out);
            }
        });
    }

    private static void checkValue(String path, NSObject value, JsonNode key, String os, List<String> out) {
        String type = key.path("type").asText("<any>");
        if (!hasType(value, type)) {
            out.add(path + ": expected " + type + " but found " + typeOf(value));
            return;
        }
        String format = key.path("format").asText(null);
        if (format != null && value instanceof NSString string && !string.getContent().matches(format)) {
            out.add(path + ": " + show(value) + " does not match the format " + format);
        }
        if (key.has("rangelist") && !contains(key.get("rangelist"), value)) {
            out.add(path + ": " + show(value) + " is not one of " + key.get("rangelist"));
        }
        if (value instanceof NSNumber number && !number.isBoolean()) {
            checkBounds(path, "value", decimal(number), key.path("range"), out);
        }
        JsonNode subkeys = key.path("subkeys");
        if (value instanceof NSDictionary dictionary && subkeys.isArray()) {
            checkDictionary(path, dictionary, keysByName(entryKeys(key)), os, out);
        } else if (value instanceof NSArray array && subkeys.size() == 1) {
            JsonNode element = subkeys.get(0);
            checkBounds(path, "element count", BigDecimal.valueOf(array.count()), element.path("repetition"), out);
            for (int i = 0; i < array.count(); i++) {
                checkValue(path + "[" + i + "]", array.objectAtIndex(i), element, os, out);
            }
        } else if (value instanceof NSArray array && subkeys.size() > 1) {
            // An array of alternatives, such as the Settings command's items: each names its alternative in Item.
            for (int i = 0; i < array.count(); i++) {
                String elementPath = path + "[" + i + "]";
                NSObject element = array.objectAtIndex(i);
                String item = element instanceof NSDictionary dictionary && dictionary.get("Item") instanceof NSString name ? name.getContent() : null;
                Optional<JsonNode> alternative = item == null ? Optional.empty() : stream(subkeys)
                        .filter(candidate -> candidate.path("key").asText().equals(item)).findFirst();
                if (alternative.isEmpty()) {
                    out.add(elementPath + ": " + (item == null ? "no Item naming one of " : "Item \"" + item + "\" is none of ")
                            + stream(subkeys).map(candidate -> candidate.path("key").asText()).toList());
                } else if (excludes(alternative.get(), os)) {
                    out.add(elementPath + ": Item " + item + " is not available on " + os);
                } else {
                    checkValue(elementPath, element, alternative.get(), os, out);
                }
            }
        }
    }

    /**
     * The subkeys that describe a dictionary's entries. TopLevel's {@code ConsentText} (language code to text) wraps
     * its {@code ANY} entry in a single {@code ConsentTextItem} dictionary, a level that the plist does not have.
     */
    private static JsonNode entryKeys(JsonNode key) {
        JsonNode subkeys = key.path("subkeys");
        JsonNode only = subkeys.path(0);
        boolean wrapped = subkeys.size() == 1
                && only.path("key").asText().equals(key.path("key").asText() + "Item")
                && only.path("type").asText().equals("<dictionary>");
        return wrapped ? only.path("subkeys") : subkeys;
    }

    private static void checkBounds(String path, String what, BigDecimal actual, JsonNode bounds, List<String> out) {
        JsonNode min = bounds.path("min");
        JsonNode max = bounds.path("max");
        if (min.isNumber() && actual.compareTo(min.decimalValue()) < 0
                || max.isNumber() && actual.compareTo(max.decimalValue()) > 0) {
            out.add(path + ": " + what + " " + actual.toPlainString() + " is outside " + bounds);
        }
    }

    private static boolean hasType(NSObject value, String type) {
        return switch (type) {
            case "<string>" -> value instanceof NSString;
            case "<boolean>" -> value instanceof NSNumber number && number.isBoolean();
            case "<integer>" -> value instanceof NSNumber number && number.isInteger();
            case "<real>" -> value instanceof NSNumber number && !number.isBoolean();
            case "<data>" -> value instanceof NSData;
            case "<date>" -> value instanceof NSDate;
            case "<array>" -> value instanceof NSArray;
            case "<dictionary>" -> value instanceof NSDictionary;
            case "<any>" -> true;
            default -> throw new IllegalStateException("unknown schema type " + type);
        };
    }

    private static String typeOf(NSObject value) {
        return TYPES.stream().filter(type -> hasType(value, type)).findFirst()
                .orElse(value.getClass().getSimpleName());
    }

    private static boolean contains(JsonNode rangelist, NSObject value) {
        for (JsonNode allowed : rangelist) {
            boolean same = value instanceof NSString string
                    ? allowed.isValueNode() && allowed.asText().equals(string.getContent())
                    : value instanceof NSNumber number && (number.isBoolean()
                            ? allowed.isBoolean() && allowed.booleanValue() == number.boolValue()
                            : allowed.isNumber() && allowed.decimalValue().compareTo(decimal(number)) == 0);
            if (same) {
                return true;
            }
        }
        return false;
    }

    private static BigDecimal decimal(NSNumber number) {
        return number.isInteger() ? BigDecimal.valueOf(number.longValue()) : BigDecimal.valueOf(number.doubleValue());
    }

    private static String show(NSObject value) {
        return value instanceof NSString string ? '"' + string.getContent() + '"' : value.toString();
    }

    /** Whether the key's own {@code supportedOS} marks it unavailable on the OS. */
    private static boolean excludes(JsonNode key, String os) {
        return key.path("supportedOS").path(os).path("introduced").asText().equals("n/a");
    }

    private static boolean supports(JsonNode supportedOS, String os) {
        return supportedOS.has(os) && !supportedOS.path(os).path("introduced").asText().equals("n/a");
    }

    private static Map<String, JsonNode> keysByName(JsonNode keys) {
        Map<String, JsonNode> byName = new LinkedHashMap<>();
        keys.forEach(key -> byName.put(key.path("key").asText(), key));
        return byName;
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /**
     * The problems of the server's answer to a check-in message, against the {@code responsekeys} of Apple's
     * {@code mdm/checkin} schema of its {@code MessageType} (bundled as
     * {@code /apple-device-management/checkin/<MessageType>.yaml}), in the same form as {@link #violations}.
     */
    public List<String> checkInResponseViolations(String messageType, NSDictionary answer, String os) {
        return answerViolations(CHECKIN_DIR, messageType, "responsekeys", answer, os);
    }

    /**
     * The problems of a Declarative Device Management answer the server gives a device, against Apple's
     * {@code declarative/protocol} schema of its kind ({@code tokensresponse} for the {@code tokens} endpoint,
     * {@code declarationitemsresponse} for {@code declaration-items}), in the same form as {@link #violations}.
     */
    public List<String> protocolViolations(String response, NSDictionary answer, String os) {
        return answerViolations(PROTOCOL_DIR, response, "payloadkeys", answer, os);
    }

    /** The problems of a server's answer against the keys ({@code keysField}) of the schema {@code name} in {@code directory}. */
    private List<String> answerViolations(String directory, String name, String keysField, NSDictionary answer, String os) {
        Optional<JsonNode> schema = schemas.computeIfAbsent(directory + name, key -> load(directory, name));
        if (schema.isEmpty()) {
            throw new IllegalArgumentException("no schema " + directory + name);
        }
        List<String> out = new ArrayList<>();
        checkDictionary("", answer, keysByName(schema.get().path(keysField)), os, out);
        return out;
    }

    /**
     * The problems of an MDM command plist on {@code os} against Apple's {@code mdm/commands} schema of its
     * {@code RequestType} (bundled as {@code /apple-device-management/commands/<RequestType>.yaml}): the envelope is
     * {@code CommandUUID} and {@code Command}; the request type must exist and be available on the OS, and the
     * {@code Command} dictionary's other keys are checked as a profile's payload keys are ({@link #violations}). An
     * {@code InstallProfile}'s profile is not read here; see {@link #violations}.
     */
    public List<String> commandViolations(NSDictionary command, String os) {
        List<String> out = new ArrayList<>();
        command.forEach((name, value) -> {
            if (!name.equals("CommandUUID") && !name.equals("Command")) {
                out.add(name + ": not a key of an MDM command (CommandUUID, Command)");
            }
        });
        if (!(command.get("CommandUUID") instanceof NSString uuid) || uuid.getContent().isBlank()) {
            out.add("CommandUUID: required <string> is missing");
        }
        if (!(command.get("Command") instanceof NSDictionary request)) {
            out.add("Command: required <dictionary> is missing");
            return out;
        }
        String requestType = request.get("RequestType") instanceof NSString type ? type.getContent() : null;
        Optional<JsonNode> schema = requestType == null ? Optional.empty()
                : schemas.computeIfAbsent("command:" + requestType, key -> load(COMMAND_DIR, requestType));
        if (schema.isEmpty()) {
            out.add("Command.RequestType: " + (requestType == null ? "missing or not a <string>" : "\"" + requestType
                    + "\" is not a command Apple defines"));
            return out;
        }
        if (!supports(schema.get().path("payload").path("supportedOS"), os)) {
            out.add("Command.RequestType: " + requestType + " is not supported on " + os);
        }
        NSDictionary keys = new NSDictionary();
        request.forEach((name, value) -> {
            if (!name.equals("RequestType")) {
                keys.put(name, value);
            }
        });
        checkDictionary("Command", keys, keysByName(schema.get().path("payloadkeys")), os, out);
        return out;
    }

    /**
     * The problems of the references between a profile's payloads, which Apple resolves within the profile: every
     * {@code PayloadUUID} and {@code PayloadIdentifier} is unique; a {@code PayloadCertificateUUID} (Wi-Fi, VPN) names an
     * identity payload (PKCS#12, SCEP, ACME); each {@code PayloadCertificateAnchorUUID} (Wi-Fi EAP) a certificate payload
     * (root, PEM, PKCS#1); an {@code EncryptCertPayloadUUID} (FileVault escrow) or {@code IdentityCertificateUUID} (MDM)
     * some payload of the profile.
     */
    private static void checkReferences(NSArray content, List<String> out) {
        Map<String, String> typeByUuid = new HashMap<>();
        Set<String> identifiers = new HashSet<>();
        for (int i = 0; i < content.count(); i++) {
            if (content.objectAtIndex(i) instanceof NSDictionary payload) {
                String uuid = payload.get("PayloadUUID") instanceof NSString text ? text.getContent() : null;
                String type = payload.get("PayloadType") instanceof NSString text ? text.getContent() : "";
                if (uuid != null && typeByUuid.put(uuid, type) != null) {
                    out.add("PayloadContent[" + i + "].PayloadUUID: " + uuid + " is not unique in the profile");
                }
                if (payload.get("PayloadIdentifier") instanceof NSString identifier && !identifiers.add(identifier.getContent())) {
                    out.add("PayloadContent[" + i + "].PayloadIdentifier: " + identifier.getContent() + " is not unique in the profile");
                }
            }
        }
        for (int i = 0; i < content.count(); i++) {
            if (content.objectAtIndex(i) instanceof NSDictionary payload) {
                checkReferences("PayloadContent[" + i + "]", payload, typeByUuid, out);
            }
        }
    }

    private static void checkReferences(String path, NSObject value, Map<String, String> typeByUuid, List<String> out) {
        if (value instanceof NSArray array) {
            for (int i = 0; i < array.count(); i++) {
                checkReferences(path + "[" + i + "]", array.objectAtIndex(i), typeByUuid, out);
            }
            return;
        }
        if (!(value instanceof NSDictionary dictionary)) {
            return;
        }
        dictionary.forEach((name, child) -> {
            String at = join(path, name);
            Set<String> allowed = REFERENCES.get(name);
            if (allowed == null) {
                checkReferences(at, child, typeByUuid, out);
                return;
            }
            List<NSObject> uuids = child instanceof NSArray array ? List.of(array.getArray()) : List.of(child);
            for (NSObject uuid : uuids) {
                String type = uuid instanceof NSString text ? typeByUuid.get(text.getContent()) : null;
                if (type == null) {
                    out.add(at + ": " + show(uuid) + " names no payload of this profile");
                } else if (!allowed.isEmpty() && !allowed.contains(type)) {
                    out.add(at + ": " + show(uuid) + " names a " + type + " payload, not one of " + new TreeSet<>(allowed));
                }
            }
        });
    }

    private static Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> nodes = new ArrayList<>();
        array.forEach(nodes::add);
        return nodes.stream();
    }

    /**
     * The problems of a declaration's {@code Payload} against Apple's schema for its type (those copied under
     * {@code declarations/}), in the same form as {@link #violations}.
     */
    public List<String> declarationViolations(String declarationType, NSDictionary payload, String os) {
        Optional<JsonNode> schema = schemas.computeIfAbsent("declaration:" + declarationType, key -> load(DECLARATION_DIR, declarationType));
        if (schema.isEmpty()) {
            return List.of("Type: no schema for declaration type \"" + declarationType + "\"");
        }
        List<String> out = new ArrayList<>();
        if (!supports(schema.get().path("payload").path("supportedOS"), os)) {
            out.add("declaration type " + declarationType + " is not supported on " + os);
        }
        checkDictionary("Payload", payload, keysByName(schema.get().path("payloadkeys")), os, out);
        return out;
    }

    /** The schema called {@code name}, or empty if none is bundled. */
    private Optional<JsonNode> schema(String name) {
        return schemas.computeIfAbsent(name, key -> load(SCHEMA_DIR, key));
    }

    private Optional<JsonNode> load(String directory, String name) {
        if (!SCHEMA_NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        try (InputStream in = AppleProfileSchema.class.getResourceAsStream(directory + name + ".yaml")) {
            if (in == null) {
                return Optional.empty();
            }
            try (YAMLParser parser = yaml.createParser(in)) {
                parser.nextToken();
                return Optional.of(readNode(parser, new HashMap<>()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schema " + name, e);
        }
    }

    /**
     * Reads the YAML value at the parser's current token. Jackson's own tree reading turns an alias ({@code *id001})
     * into the anchor's name; this resolves it to the anchored node, as Apple's schemas share {@code subkeys} lists.
     */
    private static JsonNode readNode(YAMLParser parser, Map<String, JsonNode> anchors) throws IOException {
        if (parser.isCurrentAlias()) {
            JsonNode target = anchors.get(parser.getText());
            if (target == null) {
                throw new IOException("undefined YAML alias *" + parser.getText());
            }
            return target;
        }
        String anchor = parser.getObjectId();
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        JsonNode node = switch (parser.currentToken()) {
            case START_OBJECT -> nodes.objectNode();
            case START_ARRAY -> nodes.arrayNode();
            case VALUE_STRING -> nodes.textNode(parser.getText());
            case VALUE_NUMBER_INT -> nodes.numberNode(parser.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT -> nodes.numberNode(parser.getDecimalValue());
            case VALUE_TRUE, VALUE_FALSE -> nodes.booleanNode(parser.getBooleanValue());
            default -> nodes.nullNode();
        };
        if (anchor != null) {
            anchors.put(anchor, node); // before the children are read, so that they may refer to it
        }
        if (node instanceof ObjectNode object) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                object.set(field, readNode(parser, anchors));
            }
        } else if (node instanceof ArrayNode array) {
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                array.add(readNode(parser, anchors));
            }
        }
        return node;
    }
}
