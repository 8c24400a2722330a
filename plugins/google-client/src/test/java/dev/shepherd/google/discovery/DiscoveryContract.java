package dev.shepherd.google.discovery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * One Google API's published contract, read from its discovery document (the machine-readable description Google's
 * own client libraries are generated from), checking requests as the real service would before it acts on them.
 *
 * <p>{@link #check} reports what Google refuses with 400 INVALID_ARGUMENT: no method with that HTTP method and path;
 * a query parameter the method does not declare, repeated without being {@code repeated}, of the wrong type, outside
 * its enum, or missing while required; a {@code google-fieldmask} parameter naming a field the request schema does
 * not have; a body that is not JSON, or one given to a method that takes none; and in the body, against the method's
 * request schema and in proto3 JSON terms: unknown field names (the lowerCamel name or the proto snake_case name is
 * accepted), values of the wrong JSON type, enum values not in the enum, strings not in their format
 * ({@code google-duration} such as {@code "600s"}, {@code google-datetime} and {@code date-time} in RFC 3339,
 * {@code date}, {@code int64}/{@code uint64} as digits, {@code byte} as base64), numbers outside {@code int32}, and
 * required fields left out or left at an enum's {@code _UNSPECIFIED} zero value (required: the description starts
 * "Required.", or the property's {@code annotations.required} names the method).
 *
 * <p>It also reports a deprecated method, field or enum value. Google still accepts those, but a deprecated policy
 * field may be ignored by the device without any error (Android's top-level {@code usbFileTransferDisabled} after
 * {@code deviceConnectivityManagement.usbDataAccess} replaced it), which is worse than a refusal, so Shepherd must
 * not send them.
 *
 * <p>Not checked: values of {@code any}-typed fields (such as a Chrome policy's {@code policyValue.value}, whose
 * fields come from the policy schema, not discovery), and rules the documents state only in prose.
 */
public final class DiscoveryContract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESOURCE_DIR = "/google-discovery/";
    private static final int MAX_DEPTH = 64;
    private static final Pattern VARIABLE = Pattern.compile("\\{(\\+?)([^}]+)}");
    private static final Pattern REQUIRED = Pattern.compile("^\\s*Required\\.");
    private static final Pattern DURATION = Pattern.compile("-?\\d{1,12}(\\.\\d{1,9})?s");
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final Pattern FIELD_PATH = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    private record Method(String id, String httpMethod, Pattern path, int literalLength, JsonNode definition) {
    }

    private final String api;
    private final JsonNode schemas;
    private final JsonNode globalParameters;
    private final List<Method> methods;

    private DiscoveryContract(JsonNode document) {
        this.api = document.path("id").asText();
        this.schemas = document.path("schemas");
        this.globalParameters = document.path("parameters");
        List<Method> found = new ArrayList<>();
        collectMethods(document, document.path("servicePath").asText(""), found);
        found.sort(Comparator.comparingInt(Method::literalLength).reversed());
        this.methods = List.copyOf(found);
    }

    /** The Android Management API v1, revision 20240808. */
    public static DiscoveryContract androidManagement() {
        return fromResource("androidmanagement-v1.json");
    }

    /** The Admin SDK Directory API v1, revision 20240709. */
    public static DiscoveryContract adminDirectory() {
        return fromResource("admin-directory_v1.json");
    }

    /** The Chrome Policy API v1, revision 20240729. */
    public static DiscoveryContract chromePolicy() {
        return fromResource("chromepolicy-v1.json");
    }

    /**
     * The Android Device Provisioning Partner API v1 (zero-touch enrollment: the customer API), revision 20260819.
     * Its document names no OAuth scopes; the customer API's is {@code https://www.googleapis.com/auth/androidworkzerotouchemm}.
     */
    public static DiscoveryContract androidDeviceProvisioning() {
        return fromResource("androiddeviceprovisioning-v1.json");
    }

    private static DiscoveryContract fromResource(String file) {
        try (InputStream in = DiscoveryContract.class.getResourceAsStream(RESOURCE_DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("no discovery document " + RESOURCE_DIR + file + " on the class path");
            }
            return new DiscoveryContract(JSON.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The API's discovery id, such as {@code androidmanagement:v1}. */
    public String api() {
        return api;
    }

    /**
     * The id of the method that serves this request, such as {@code androidmanagement.enterprises.policies.patch};
     * empty when no method of this API has that HTTP method and path.
     *
     * @param pathAndQuery the request target relative to the service's host, such as
     *                     {@code /v1/enterprises/LC01/policies/p1?updateMask=x}
     */
    public Optional<String> methodId(String httpMethod, String pathAndQuery) {
        return method(httpMethod, pathAndQuery).map(Method::id);
    }

    /**
     * Everything the real service would refuse about this request; empty when it conforms.
     *
     * @param pathAndQuery the request target relative to the service's host, still percent-encoded
     * @param body         the request body, or null or empty when there is none
     */
    public List<FieldViolation> check(String httpMethod, String pathAndQuery, String body) {
        requireNonNull(httpMethod, "httpMethod");
        requireNonNull(pathAndQuery, "pathAndQuery");
        List<FieldViolation> violations = new ArrayList<>();
        Optional<Method> found = method(httpMethod, pathAndQuery);
        if (found.isEmpty()) {
            violations.add(new FieldViolation("(path)", "no method of " + api + " serves " + httpMethod + " " + path(pathAndQuery)));
            return violations;
        }
        Method method = found.get();
        JsonNode definition = method.definition();
        if (definition.path("deprecated").asBoolean(false)) {
            violations.add(new FieldViolation("(path)", method.id() + " is deprecated"));
        }
        JsonNode requestSchema = definition.path("request").isMissingNode() ? null : definition.path("request");
        checkQuery(definition, query(pathAndQuery), requestSchema, violations);
        checkBody(body, requestSchema, method, violations);
        return violations;
    }

    /**
     * Google's 400 answer for these violations, as its APIs send it: {@code {"error": {"code": 400, "message": …,
     * "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
     * "fieldViolations": [{"field": …, "description": …}]}]}}}.
     */
    public static String refusal(List<FieldViolation> violations) {
        requireNonNull(violations, "violations");
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", 400);
        error.put("message", violations.isEmpty() ? "Request contains an invalid argument."
                : "Invalid JSON payload received. " + violations.get(0));
        error.put("status", "INVALID_ARGUMENT");
        ObjectNode badRequest = error.putArray("details").addObject();
        badRequest.put("@type", "type.googleapis.com/google.rpc.BadRequest");
        ArrayNode fieldViolations = badRequest.putArray("fieldViolations");
        for (FieldViolation violation : violations) {
            fieldViolations.addObject().put("field", violation.field()).put("description", violation.description());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Optional<Method> method(String httpMethod, String pathAndQuery) {
        String path = path(pathAndQuery);
        for (Method method : methods) {
            if (method.httpMethod().equalsIgnoreCase(httpMethod) && method.path().matcher(path).matches()) {
                return Optional.of(method);
            }
        }
        return Optional.empty();
    }

    private static String path(String pathAndQuery) {
        int question = pathAndQuery.indexOf('?');
        String path = question < 0 ? pathAndQuery : pathAndQuery.substring(0, question);
        return path.startsWith("/") ? path.substring(1) : path;
    }

    private static Map<String, List<String>> query(String pathAndQuery) {
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        int question = pathAndQuery.indexOf('?');
        if (question < 0 || question == pathAndQuery.length() - 1) {
            return parameters;
        }
        for (String pair : pathAndQuery.substring(question + 1).split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals));
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
            parameters.computeIfAbsent(name, key -> new ArrayList<>()).add(value);
        }
        return parameters;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }

    private void collectMethods(JsonNode resource, String servicePath, List<Method> into) {
        for (Iterator<JsonNode> it = resource.path("methods").elements(); it.hasNext(); ) {
            JsonNode method = it.next();
            String template = servicePath + method.path(method.has("flatPath") ? "flatPath" : "path").asText();
            StringBuilder regex = new StringBuilder();
            int literal = 0;
            int at = 0;
            Matcher variable = VARIABLE.matcher(template);
            while (variable.find()) {
                String text = template.substring(at, variable.start());
                regex.append(Pattern.quote(text));
                literal += text.length();
                // A {+name} expansion may span segments; a plain {name} is one segment and stops before a custom verb.
                regex.append(variable.group(1).isEmpty() ? "[^/:]+" : ".+");
                at = variable.end();
            }
            String tail = template.substring(at);
            regex.append(Pattern.quote(tail));
            literal += tail.length();
            into.add(new Method(method.path("id").asText(), method.path("httpMethod").asText(),
                    Pattern.compile(regex.toString()), literal, method));
        }
        for (Iterator<JsonNode> it = resource.path("resources").elements(); it.hasNext(); ) {
            collectMethods(it.next(), servicePath, into);
        }
    }

    private void checkQuery(JsonNode method, Map<String, List<String>> query, JsonNode requestSchema, List<FieldViolation> violations) {
        JsonNode declared = method.path("parameters");
        for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
            String name = parameter.getKey();
            JsonNode definition = declared.path(name);
            if (!"query".equals(definition.path("location").asText())) {
                definition = globalParameters.path(name);
            }
            if (definition.isMissingNode()) {
                violations.add(new FieldViolation(name, "Cannot bind query parameter. Field '" + name
                        + "' could not be found in the request"));
                continue;
            }
            if (definition.path("deprecated").asBoolean(false)) {
                violations.add(new FieldViolation(name, "deprecated query parameter: "
                        + firstSentence(definition.path("description").asText())));
            }
            if (parameter.getValue().size() > 1 && !definition.path("repeated").asBoolean(false)) {
                violations.add(new FieldViolation(name, "query parameter given " + parameter.getValue().size()
                        + " times but it is not repeated"));
            }
            for (String value : parameter.getValue()) {
                checkParameterValue(name, value, definition, requestSchema, violations);
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = declared.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> parameter = it.next();
            if ("query".equals(parameter.getValue().path("location").asText())
                    && parameter.getValue().path("required").asBoolean(false) && !query.containsKey(parameter.getKey())) {
                violations.add(new FieldViolation(parameter.getKey(), "required query parameter missing"));
            }
        }
    }

    private void checkParameterValue(String name, String value, JsonNode definition, JsonNode requestSchema, List<FieldViolation> violations) {
        String type = definition.path("type").asText("string");
        switch (type) {
            case "boolean" -> {
                if (!value.equals("true") && !value.equals("false")) {
                    violations.add(new FieldViolation(name, "Invalid value '" + value + "': expected true or false"));
                }
            }
            case "integer" -> {
                Optional<BigInteger> number = integer(value);
                if (number.isEmpty()) {
                    violations.add(new FieldViolation(name, "Invalid value '" + value + "': expected an integer"));
                } else {
                    checkBounds(name, new BigDecimal(number.get()), definition, violations);
                }
            }
            default -> {
                if (definition.has("enum")) {
                    checkEnum(name, value, definition, violations);
                } else {
                    checkFormat(name, value, definition.path("format").asText(""), violations);
                    if ("google-fieldmask".equals(definition.path("format").asText()) && requestSchema != null) {
                        checkFieldMask(name, value, requestSchema, violations);
                    }
                }
            }
        }
    }

    private void checkFieldMask(String name, String mask, JsonNode requestSchema, List<FieldViolation> violations) {
        for (String fieldPath : mask.split(",")) {
            String trimmed = fieldPath.trim();
            if (!FIELD_PATH.matcher(trimmed).matches()) {
                violations.add(new FieldViolation(name, "'" + trimmed + "' is not a field path"));
                continue;
            }
            JsonNode schema = requestSchema;
            for (String segment : trimmed.split("\\.")) {
                schema = resolve(schema);
                Optional<JsonNode> property = property(schema, segment);
                if (property.isEmpty()) {
                    if (schema.has("additionalProperties")) {
                        break; // a map key: any name is a valid path into a map
                    }
                    violations.add(new FieldViolation(name, "field mask path '" + trimmed + "' names no field of "
                            + requestSchema.path("$ref").asText("the request")));
                    break;
                }
                schema = property.get();
            }
        }
    }

    private void checkBody(String body, JsonNode requestSchema, Method method, List<FieldViolation> violations) {
        boolean blank = body == null || body.isBlank();
        if (requestSchema == null) {
            if (!blank && !body.strip().equals("{}")) {
                violations.add(new FieldViolation("(body)", method.id() + " takes no request body"));
            }
            return;
        }
        JsonNode value;
        try {
            value = blank ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (JsonProcessingException e) {
            violations.add(new FieldViolation("(body)", "Invalid JSON payload received: " + e.getOriginalMessage()));
            return;
        }
        validate(value, requestSchema, "", 0, method.id(), violations);
    }

    private void validate(JsonNode value, JsonNode declared, String path, int depth, String methodId, List<FieldViolation> violations) {
        if (depth > MAX_DEPTH) {
            violations.add(new FieldViolation(at(path), "nested deeper than " + MAX_DEPTH));
            return;
        }
        if (value == null || value.isNull()) {
            return; // proto3 JSON: null means the field's default
        }
        JsonNode schema = resolve(declared);
        String type = schema.path("type").asText("object");
        switch (type) {
            case "object" -> validateObject(value, schema, path, depth, methodId, violations);
            case "array" -> {
                if (!value.isArray()) {
                    violations.add(new FieldViolation(at(path), "expected a list, got " + kind(value)));
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    validate(value.get(i), schema.path("items"), path + "[" + i + "]", depth + 1, methodId, violations);
                }
            }
            case "string" -> validateString(value, schema, path, violations);
            case "integer" -> validateInteger(value, schema, path, violations);
            case "number" -> {
                if (!value.isNumber() && !(value.isTextual() && isNumberText(value.asText()))) {
                    violations.add(new FieldViolation(at(path), "expected a number, got " + kind(value)));
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    violations.add(new FieldViolation(at(path), "expected true or false, got " + kind(value)));
                }
            }
            case "any" -> {
                // google.protobuf.Value or Any: any JSON value.
            }
            default -> violations.add(new FieldViolation(at(path), "the contract declares an unknown type " + type));
        }
    }

    private void validateObject(JsonNode value, JsonNode schema, String path, int depth, String methodId, List<FieldViolation> violations) {
        if (!value.isObject()) {
            violations.add(new FieldViolation(at(path), "expected an object, got " + kind(value)));
            return;
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String fieldPath = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            Optional<JsonNode> property = property(schema, field.getKey());
            if (property.isPresent()) {
                if (property.get().path("deprecated").asBoolean(false)) {
                    violations.add(new FieldViolation(fieldPath, "deprecated field: "
                            + firstSentence(property.get().path("description").asText())));
                }
                validate(field.getValue(), property.get(), fieldPath, depth + 1, methodId, violations);
            } else if (additional.isObject()) {
                validate(field.getValue(), additional, fieldPath, depth + 1, methodId, violations);
            } else {
                violations.add(new FieldViolation(fieldPath, "Unknown name \"" + field.getKey() + "\" at '"
                        + at(path) + "': Cannot find field."));
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> property = it.next();
            JsonNode definition = property.getValue();
            if (required(definition, methodId) && !present(value, property.getKey(), resolve(definition))) {
                violations.add(new FieldViolation(path.isEmpty() ? property.getKey() : path + "." + property.getKey(),
                        "required field missing"));
            }
        }
    }

    private void validateString(JsonNode value, JsonNode schema, String path, List<FieldViolation> violations) {
        String format = schema.path("format").asText("");
        if (schema.has("enum")) {
            if (value.isIntegralNumber()) {
                if (value.asInt() < 0 || value.asInt() >= schema.path("enum").size()) {
                    violations.add(new FieldViolation(at(path), "enum number " + value.asInt() + " is not in the enum"));
                }
                return;
            }
            if (!value.isTextual()) {
                violations.add(new FieldViolation(at(path), "expected an enum name, got " + kind(value)));
                return;
            }
            checkEnum(at(path), value.asText(), schema, violations);
            return;
        }
        if ((format.equals("int64") || format.equals("uint64")) && value.isIntegralNumber()) {
            if (format.equals("uint64") && value.bigIntegerValue().signum() < 0) {
                violations.add(new FieldViolation(at(path), "expected an unsigned integer"));
            }
            return;
        }
        if (!value.isTextual()) {
            violations.add(new FieldViolation(at(path), "expected a string, got " + kind(value)));
            return;
        }
        checkFormat(at(path), value.asText(), format, violations);
    }

    private void validateInteger(JsonNode value, JsonNode schema, String path, List<FieldViolation> violations) {
        Optional<BigInteger> number;
        if (value.isIntegralNumber()) {
            number = Optional.of(value.bigIntegerValue());
        } else if (value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0) {
            number = Optional.of(value.decimalValue().toBigInteger());
        } else if (value.isTextual()) {
            number = integer(value.asText()); // proto3 JSON accepts a quoted integer
        } else {
            number = Optional.empty();
        }
        if (number.isEmpty()) {
            violations.add(new FieldViolation(at(path), "expected an integer, got " + kind(value)));
            return;
        }
        String format = schema.path("format").asText("int32");
        BigInteger min = format.startsWith("u") ? BigInteger.ZERO : BigInteger.valueOf(Integer.MIN_VALUE);
        BigInteger max = format.startsWith("u") ? BigInteger.valueOf(0xFFFFFFFFL) : BigInteger.valueOf(Integer.MAX_VALUE);
        if (number.get().compareTo(min) < 0 || number.get().compareTo(max) > 0) {
            violations.add(new FieldViolation(at(path), number.get() + " is out of range for " + format));
            return;
        }
        checkBounds(at(path), new BigDecimal(number.get()), schema, violations);
    }

    private static void checkBounds(String field, BigDecimal number, JsonNode schema, List<FieldViolation> violations) {
        if (schema.has("minimum") && number.compareTo(new BigDecimal(schema.path("minimum").asText())) < 0) {
            violations.add(new FieldViolation(field, number + " is below the minimum " + schema.path("minimum").asText()));
        }
        if (schema.has("maximum") && number.compareTo(new BigDecimal(schema.path("maximum").asText())) > 0) {
            violations.add(new FieldViolation(field, number + " is above the maximum " + schema.path("maximum").asText()));
        }
    }

    private static void checkEnum(String field, String value, JsonNode schema, List<FieldViolation> violations) {
        JsonNode values = schema.path("enum");
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i).asText().equals(value)) {
                if (schema.path("enumDeprecated").path(i).asBoolean(false)) {
                    violations.add(new FieldViolation(field, "deprecated enum value " + value + ": "
                            + firstSentence(schema.path("enumDescriptions").path(i).asText())));
                }
                return;
            }
        }
        violations.add(new FieldViolation(field, "Invalid value '" + value + "': not one of " + values));
    }

    private static void checkFormat(String field, String value, String format, List<FieldViolation> violations) {
        boolean valid = switch (format) {
            case "google-duration" -> DURATION.matcher(value).matches();
            case "google-datetime", "date-time" -> isTimestamp(value);
            case "date" -> isDate(value);
            case "int64" -> integer(value).isPresent();
            case "uint64" -> integer(value).map(number -> number.signum() >= 0).orElse(false);
            case "byte" -> isBase64(value);
            case "google-fieldmask" -> value.isEmpty() || value.split(",").length > 0
                    && Arrays.stream(value.split(",")).allMatch(part -> FIELD_PATH.matcher(part.trim()).matches());
            default -> true;
        };
        if (!valid) {
            violations.add(new FieldViolation(field, "Invalid value '" + value + "': not a " + format));
        }
    }

    private JsonNode resolve(JsonNode schema) {
        JsonNode resolved = schema;
        for (int hops = 0; resolved.has("$ref") && hops < 8; hops++) {
            String name = resolved.path("$ref").asText();
            JsonNode target = schemas.path(name);
            if (target.isMissingNode()) {
                throw new IllegalStateException(api + " refers to an unknown schema " + name);
            }
            resolved = target;
        }
        return resolved;
    }

    /** The property named {@code name} in its lowerCamel JSON name or its proto snake_case name. */
    private Optional<JsonNode> property(JsonNode schema, String name) {
        JsonNode properties = resolve(schema).path("properties");
        if (properties.has(name)) {
            return Optional.of(properties.path(name));
        }
        String camel = camel(name);
        return properties.has(camel) ? Optional.of(properties.path(camel)) : Optional.empty();
    }

    /** A field is required when its description starts "Required." or its annotations require it for this method. */
    private static boolean required(JsonNode property, String methodId) {
        if (property.path("readOnly").asBoolean(false)) {
            return false;
        }
        for (JsonNode method : property.path("annotations").path("required")) {
            if (method.asText().equals(methodId)) {
                return true;
            }
        }
        return REQUIRED.matcher(property.path("description").asText()).find();
    }

    /** Whether a field is set: present, not null, and not an enum's {@code _UNSPECIFIED} zero value. */
    private static boolean present(JsonNode object, String camelName, JsonNode schema) {
        JsonNode value = object.has(camelName) ? object.get(camelName) : object.get(snake(camelName));
        if (value == null || value.isNull()) {
            return false;
        }
        JsonNode zero = schema.path("enum").path(0);
        return !(zero.asText().endsWith("_UNSPECIFIED") && (value.asText().equals(zero.asText())
                || value.isIntegralNumber() && value.asInt() == 0));
    }

    private static String camel(String name) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : name.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static String snake(String camel) {
        return camel.replaceAll("([A-Z])", "_$1").toLowerCase(Locale.ROOT);
    }

    private static Optional<BigInteger> integer(String text) {
        return INTEGER.matcher(text).matches() ? Optional.of(new BigInteger(text)) : Optional.empty();
    }

    private static boolean isNumberText(String text) {
        if (text.equals("NaN") || text.equals("Infinity") || text.equals("-Infinity")) {
            return true;
        }
        try {
            new BigDecimal(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isTimestamp(String text) {
        try {
            OffsetDateTime.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean isDate(String text) {
        try {
            LocalDate.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean isBase64(String text) {
        try {
            (text.indexOf('-') >= 0 || text.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String at(String path) {
        return path.isEmpty() ? "(body)" : path;
    }

    private static String kind(JsonNode value) {
        return value.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static String firstSentence(String description) {
        int stop = description.indexOf(". ");
        return stop < 0 ? description : description.substring(0, stop + 1);
    }
}
