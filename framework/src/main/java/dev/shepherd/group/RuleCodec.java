package dev.shepherd.group;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Reads and writes smart-group rules as JSON. Every mistake is reported with the path to it, such as
 * {@code rule.all[1].op: unknown operator 'equals'}, and a rule is checked against its attribute's operators and
 * values before it is accepted.
 */
public final class RuleCodec {

    private static final int MAX_DEPTH = 10;
    private static final int MAX_CONDITIONS = 100;

    private final ObjectMapper json;

    public RuleCodec(ObjectMapper json) {
        this.json = requireNonNull(json, "json is null");
    }

    /**
     * @throws IllegalArgumentException saying where and what is wrong
     */
    public GroupRule read(JsonNode node) {
        int[] conditions = {0};
        return read(node, "rule", 0, conditions);
    }

    private GroupRule read(JsonNode node, String path, int depth, int[] conditions) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(path + ": rules nest at most " + MAX_DEPTH + " deep");
        }
        if (node == null || !node.isObject() || node.size() == 0) {
            throw new IllegalArgumentException(path + ": expected an object with 'all', 'any', 'not' or 'attribute'");
        }
        if (node.has("all") || node.has("any")) {
            String kind = node.has("all") ? "all" : "any";
            onlyFields(node, path, kind);
            JsonNode parts = node.get(kind);
            if (!parts.isArray() || parts.isEmpty()) {
                throw new IllegalArgumentException(path + "." + kind + ": expected a non-empty array of rules");
            }
            List<GroupRule> rules = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                rules.add(read(parts.get(i), path + "." + kind + "[" + i + "]", depth + 1, conditions));
            }
            return kind.equals("all") ? new GroupRule.All(rules) : new GroupRule.Any(rules);
        }
        if (node.has("not")) {
            onlyFields(node, path, "not");
            return new GroupRule.Not(read(node.get("not"), path + ".not", depth + 1, conditions));
        }
        onlyFields(node, path, "attribute", "op", "value");
        if (++conditions[0] > MAX_CONDITIONS) {
            throw new IllegalArgumentException(path + ": a rule has at most " + MAX_CONDITIONS + " conditions");
        }
        JsonNode attributeNode = node.get("attribute");
        JsonNode operatorNode = node.get("op");
        if (attributeNode == null || !attributeNode.isTextual()) {
            throw new IllegalArgumentException(path + ".attribute: expected a text");
        }
        if (operatorNode == null || !operatorNode.isTextual()) {
            throw new IllegalArgumentException(path + ".op: expected a text");
        }
        RuleAttribute attribute;
        GroupRule.Operator operator;
        try {
            attribute = RuleAttribute.of(attributeNode.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ".attribute: " + e.getMessage());
        }
        try {
            operator = GroupRule.Operator.fromJson(operatorNode.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ".op: " + e.getMessage());
        }
        if (!attribute.operators().contains(operator)) {
            throw new IllegalArgumentException(path + ".op: " + attribute.json() + " cannot be compared with '" + operator.json()
                    + "'; use one of " + attribute.operators().stream().map(GroupRule.Operator::json).toList());
        }
        List<String> values = values(node.get("value"), operator, path + ".value");
        List<String> normalised = new ArrayList<>();
        for (String value : values) {
            try {
                normalised.add(attribute.normalise(value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(path + ".value: " + e.getMessage());
            }
        }
        return new GroupRule.Condition(attributeNode.asText(), operator, normalised);
    }

    private static List<String> values(JsonNode value, GroupRule.Operator operator, String path) {
        if (operator == GroupRule.Operator.EXISTS) {
            if (value != null && !value.isNull()) {
                throw new IllegalArgumentException(path + ": 'exists' takes no value");
            }
            return List.of();
        }
        if (operator == GroupRule.Operator.IN) {
            if (value == null || !value.isArray() || value.isEmpty() || value.size() > 1000) {
                throw new IllegalArgumentException(path + ": 'in' takes an array of 1 to 1000 values");
            }
            List<String> values = new ArrayList<>();
            for (JsonNode item : value) {
                values.add(scalar(item, path));
            }
            return values;
        }
        if (value == null) {
            throw new IllegalArgumentException(path + ": a value is required");
        }
        return List.of(scalar(value, path));
    }

    private static String scalar(JsonNode value, String path) {
        if (!value.isTextual() && !value.isNumber() && !value.isBoolean()) {
            throw new IllegalArgumentException(path + ": expected a text, number or boolean");
        }
        String text = value.asText();
        if (text.length() > 1000) {
            throw new IllegalArgumentException(path + ": values are at most 1000 characters");
        }
        return text;
    }

    private static void onlyFields(JsonNode node, String path, String... allowed) {
        Iterator<String> names = node.fieldNames();
        List<String> permitted = List.of(allowed);
        while (names.hasNext()) {
            String name = names.next();
            if (!permitted.contains(name)) {
                throw new IllegalArgumentException(path + ": unexpected field '" + name + "'");
            }
        }
    }

    public JsonNode write(GroupRule rule) {
        if (rule instanceof GroupRule.All all) {
            ObjectNode node = json.createObjectNode();
            ArrayNode parts = node.putArray("all");
            all.rules().forEach(part -> parts.add(write(part)));
            return node;
        }
        if (rule instanceof GroupRule.Any any) {
            ObjectNode node = json.createObjectNode();
            ArrayNode parts = node.putArray("any");
            any.rules().forEach(part -> parts.add(write(part)));
            return node;
        }
        if (rule instanceof GroupRule.Not not) {
            ObjectNode node = json.createObjectNode();
            node.set("not", write(not.rule()));
            return node;
        }
        GroupRule.Condition condition = (GroupRule.Condition) rule;
        ObjectNode node = json.createObjectNode();
        node.put("attribute", condition.attribute());
        node.put("op", condition.operator().json());
        if (condition.operator() == GroupRule.Operator.IN) {
            ArrayNode values = node.putArray("value");
            condition.values().forEach(values::add);
        } else if (!condition.values().isEmpty()) {
            node.put("value", condition.values().get(0));
        }
        return node;
    }
}
