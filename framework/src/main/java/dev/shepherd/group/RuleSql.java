package dev.shepherd.group;

import dev.shepherd.storage.SqlLists;

import java.util.ArrayList;
import java.util.List;

/**
 * Compiles a smart-group rule into a SQL condition over the device table (alias {@code d}), with bound parameters
 * only. One compiled form serves both single-device checks and whole-fleet recomputation, so they always agree.
 *
 * @param sql the condition
 * @param parameters its parameters, in order
 */
record RuleSql(String sql, List<Object> parameters) {

    RuleSql {
        parameters = List.copyOf(parameters);
    }

    static RuleSql compile(GroupRule rule) {
        StringBuilder sql = new StringBuilder();
        List<Object> parameters = new ArrayList<>();
        append(rule, sql, parameters);
        return new RuleSql(sql.toString(), parameters);
    }

    private static void append(GroupRule rule, StringBuilder sql, List<Object> parameters) {
        if (rule instanceof GroupRule.All all) {
            join(all.rules(), " AND ", sql, parameters);
        } else if (rule instanceof GroupRule.Any any) {
            join(any.rules(), " OR ", sql, parameters);
        } else if (rule instanceof GroupRule.Not not) {
            sql.append("NOT (");
            append(not.rule(), sql, parameters);
            sql.append(')');
        } else {
            condition((GroupRule.Condition) rule, sql, parameters);
        }
    }

    private static void join(List<GroupRule> rules, String operator, StringBuilder sql, List<Object> parameters) {
        sql.append('(');
        for (int i = 0; i < rules.size(); i++) {
            if (i > 0) {
                sql.append(operator);
            }
            append(rules.get(i), sql, parameters);
        }
        sql.append(')');
    }

    private static void condition(GroupRule.Condition condition, StringBuilder sql, List<Object> parameters) {
        RuleAttribute attribute = RuleAttribute.of(condition.attribute());
        List<String> values = condition.values();
        switch (attribute) {
            case TAG -> {
                sql.append(condition.operator() == GroupRule.Operator.HAS ? "EXISTS" : "NOT EXISTS")
                        .append(" (SELECT 1 FROM device_tag t WHERE t.device_id = d.id AND t.tag = ?)");
                parameters.add(values.get(0));
            }
            case USER_EMAIL -> {
                sql.append("d.user_id IN (SELECT u.id FROM directory_user u WHERE LOWER(u.email) ");
                likeOrEquals(condition.operator(), values.get(0), sql, parameters);
                sql.append(')');
            }
            case USER_USERNAME -> {
                sql.append("d.user_id IN (SELECT u.id FROM directory_user u WHERE u.username ");
                comparison(condition.operator(), values, sql, parameters);
                sql.append(')');
            }
            case USER_GROUP -> {
                // The closure holds every person of a group at any depth, so nesting costs the rule nothing.
                sql.append(condition.operator() == GroupRule.Operator.NE ? "(d.user_id IS NULL OR d.user_id NOT IN" : "d.user_id IN")
                        .append(" (SELECT c.user_id FROM directory_group_closure c JOIN directory_group g ON g.id = c.group_id WHERE ");
                for (int i = 0; i < values.size(); i++) {
                    sql.append(i > 0 ? " OR " : "");
                    directoryGroup(values.get(i), sql, parameters);
                }
                sql.append(condition.operator() == GroupRule.Operator.NE ? "))" : ")");
            }
            case ATTRIBUTE -> {
                String name = condition.attribute().substring("attribute.".length());
                if (condition.operator() == GroupRule.Operator.NE) {
                    sql.append("NOT EXISTS (SELECT 1 FROM device_attribute a WHERE a.device_id = d.id AND a.name = ? AND a.value = ?)");
                    parameters.add(name);
                    parameters.add(values.get(0));
                    return;
                }
                sql.append("EXISTS (SELECT 1 FROM device_attribute a WHERE a.device_id = d.id AND a.name = ?");
                parameters.add(name);
                if (condition.operator() != GroupRule.Operator.EXISTS) {
                    sql.append(" AND a.value ");
                    comparison(condition.operator(), values, sql, parameters);
                }
                sql.append(')');
            }
            case USER -> {
                if (condition.operator() == GroupRule.Operator.EXISTS) {
                    sql.append("d.user_id IS NOT NULL");
                } else if (condition.operator() == GroupRule.Operator.NE) {
                    sql.append("(d.user_id IS NULL OR d.user_id <> ?)");
                    parameters.add(values.get(0));
                } else {
                    sql.append("d.user_id = ?");
                    parameters.add(values.get(0));
                }
            }
            case OS_VERSION -> {
                // A device that has not reported its version matches no version comparison.
                sql.append("(d.os_version_key <> '' AND d.os_version_key ");
                comparison(condition.operator(), values, sql, parameters);
                sql.append(')');
            }
            default -> {
                String column = attribute.column().orElseThrow();
                if (condition.operator() == GroupRule.Operator.NE) {
                    sql.append('(').append(column).append(" IS NULL OR ").append(column).append(" <> ?)");
                    parameters.add(values.get(0));
                } else {
                    sql.append(column).append(' ');
                    comparison(condition.operator(), values, sql, parameters);
                }
            }
        }
    }

    /**
     * A group by its name in any provider, or by {@code provider:name}. Group names may hold a colon themselves, so a
     * value with one matches either reading.
     */
    private static void directoryGroup(String value, StringBuilder sql, List<Object> parameters) {
        int colon = value.indexOf(':');
        if (colon < 0) {
            sql.append("g.name = ?");
            parameters.add(value);
            return;
        }
        sql.append("(g.name = ? OR (g.provider = ? AND g.name = ?))");
        parameters.add(value);
        parameters.add(value.substring(0, colon));
        parameters.add(value.substring(colon + 1));
    }

    private static void comparison(GroupRule.Operator operator, List<String> values, StringBuilder sql, List<Object> parameters) {
        switch (operator) {
            case EQ -> sql.append("= ?");
            case NE -> sql.append("<> ?");
            case GT -> sql.append("> ?");
            case GTE -> sql.append(">= ?");
            case LT -> sql.append("< ?");
            case LTE -> sql.append("<= ?");
            case STARTS_WITH, ENDS_WITH -> {
                likeOrEquals(operator, values.get(0), sql, parameters);
                return;
            }
            case IN -> {
                sql.append("IN (").append(SqlLists.placeholders(values.size())).append(')');
                parameters.addAll(values);
                return;
            }
            default -> throw new IllegalArgumentException("operator " + operator.json() + " is not a comparison");
        }
        parameters.add(values.get(0));
    }

    private static void likeOrEquals(GroupRule.Operator operator, String value, StringBuilder sql, List<Object> parameters) {
        String escaped = value.replace("!", "!!").replace("%", "!%").replace("_", "!_");
        switch (operator) {
            case STARTS_WITH -> {
                sql.append("LIKE ? ESCAPE '!'");
                parameters.add(escaped + "%");
            }
            case ENDS_WITH -> {
                sql.append("LIKE ? ESCAPE '!'");
                parameters.add("%" + escaped);
            }
            default -> {
                sql.append("= ?");
                parameters.add(value);
            }
        }
    }
}
