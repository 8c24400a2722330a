package dev.shepherd.group;

import dev.shepherd.api.device.ComplianceState;
import dev.shepherd.api.device.DeviceStatus;
import dev.shepherd.api.device.EnrollmentMethod;
import dev.shepherd.api.device.Ownership;
import dev.shepherd.device.OsVersion;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import static dev.shepherd.group.GroupRule.Operator.ENDS_WITH;
import static dev.shepherd.group.GroupRule.Operator.EQ;
import static dev.shepherd.group.GroupRule.Operator.EXISTS;
import static dev.shepherd.group.GroupRule.Operator.GT;
import static dev.shepherd.group.GroupRule.Operator.GTE;
import static dev.shepherd.group.GroupRule.Operator.HAS;
import static dev.shepherd.group.GroupRule.Operator.HAS_NOT;
import static dev.shepherd.group.GroupRule.Operator.IN;
import static dev.shepherd.group.GroupRule.Operator.LT;
import static dev.shepherd.group.GroupRule.Operator.LTE;
import static dev.shepherd.group.GroupRule.Operator.NE;
import static dev.shepherd.group.GroupRule.Operator.STARTS_WITH;

/**
 * The attributes a smart-group rule can test, the column each maps to, the operators it accepts and how its
 * values are checked and normalised before they reach SQL.
 */
enum RuleAttribute {
    PLATFORM("platform", "d.platform", EnumSet.of(EQ, NE, IN), value -> value.toLowerCase(Locale.ROOT)),
    OWNERSHIP("ownership", "d.ownership", EnumSet.of(EQ, NE), value -> Ownership.valueOf(upper(value)).name()),
    STATUS("status", "d.status", EnumSet.of(EQ, NE, IN), value -> DeviceStatus.valueOf(upper(value)).name()),
    COMPLIANCE("compliance", "d.compliance", EnumSet.of(EQ, NE, IN), value -> ComplianceState.valueOf(upper(value)).name()),
    ENROLLMENT_METHOD("enrollmentMethod", "d.enrollment_method", EnumSet.of(EQ, NE), value -> EnrollmentMethod.valueOf(upper(value)).name()),
    MODEL("model", "d.model", EnumSet.of(EQ, NE, IN, STARTS_WITH), UnaryOperator.identity()),
    NAME("name", "d.name_key", EnumSet.of(EQ, NE, STARTS_WITH, ENDS_WITH), value -> value.toLowerCase(Locale.ROOT)),
    SERIAL_NUMBER("serialNumber", "d.serial_number", EnumSet.of(EQ, NE, IN, STARTS_WITH), UnaryOperator.identity()),
    OS_VERSION("osVersion", "d.os_version_key", EnumSet.of(EQ, NE, GT, GTE, LT, LTE), RuleAttribute::osVersionKey),
    TAG("tag", null, EnumSet.of(HAS, HAS_NOT), UnaryOperator.identity()),
    USER("user", "d.user_id", EnumSet.of(EQ, NE, EXISTS), UnaryOperator.identity()),
    USER_EMAIL("user.email", null, EnumSet.of(EQ, ENDS_WITH), value -> value.toLowerCase(Locale.ROOT)),
    USER_USERNAME("user.username", null, EnumSet.of(EQ, IN), UnaryOperator.identity()),
    /** The device's user is in a directory group, directly or through nested groups: {@code name} or {@code provider:name}. */
    USER_GROUP("user.group", null, EnumSet.of(EQ, NE, IN), RuleAttribute::directoryGroup),
    ATTRIBUTE("attribute.", null, EnumSet.of(EQ, NE, IN, STARTS_WITH, EXISTS), UnaryOperator.identity());

    private final String json;
    private final String column;
    private final Set<GroupRule.Operator> operators;
    private final UnaryOperator<String> normalise;

    RuleAttribute(String json, String column, Set<GroupRule.Operator> operators, UnaryOperator<String> normalise) {
        this.json = json;
        this.column = column;
        this.operators = operators;
        this.normalise = normalise;
    }

    String json() {
        return json;
    }

    Optional<String> column() {
        return Optional.ofNullable(column);
    }

    Set<GroupRule.Operator> operators() {
        return operators;
    }

    /**
     * @throws IllegalArgumentException when the value is not one this attribute can have
     */
    String normalise(String value) {
        try {
            return normalise.apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not a valid " + json);
        }
    }

    static RuleAttribute of(String name) {
        for (RuleAttribute attribute : values()) {
            if (attribute == ATTRIBUTE ? name.startsWith(attribute.json) && name.length() > attribute.json.length()
                    : attribute.json.equals(name)) {
                return attribute;
            }
        }
        throw new IllegalArgumentException("unknown attribute '" + name + "'; known: platform, ownership, status, compliance,"
                + " enrollmentMethod, model, name, serialNumber, osVersion, tag, user, user.email, user.username, user.group, attribute.<name>");
    }

    private static String upper(String value) {
        return value.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static String directoryGroup(String value) {
        if (value.isBlank() || value.length() > 265) {
            throw new IllegalArgumentException("not a directory group name");
        }
        return value;
    }

    private static String osVersionKey(String value) {
        String key = OsVersion.key(value);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("not a version");
        }
        return key;
    }
}
