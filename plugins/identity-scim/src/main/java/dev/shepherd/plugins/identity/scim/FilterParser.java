package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.shepherd.plugins.identity.scim.Filter.Operator;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses the RFC 7644 §3.4.2.2 filter grammar: {@code attrPath pr}, {@code attrPath op value} with the nine
 * operators, {@code and}, {@code or} ({@code and} binds tighter), {@code not (…)}, grouping with parentheses and
 * value paths ({@code emails[type eq "work" and value co "@example.com"]}). Keywords and operators are matched in any
 * case; {@code emails[type eq "work"].value eq "…"} (outside the RFC's grammar, but a matching attribute Entra ID may
 * probe with) is read as the value path {@code emails[type eq "work" and value eq "…"]}. Filters longer than
 * {@link #MAX_LENGTH} characters or nested deeper than {@link #MAX_DEPTH} are refused
 * before they can cost anything; every refusal is a {@link ScimException} {@code invalidFilter}.
 */
final class FilterParser {

    static final int MAX_LENGTH = 4096;
    static final int MAX_DEPTH = 16;

    private enum Kind { WORD, STRING, OPEN_PAREN, CLOSE_PAREN, OPEN_BRACKET, CLOSE_BRACKET, END }

    private record Token(Kind kind, String text, int position) {
    }

    private final String source;
    private final List<Token> tokens;
    private int next;
    private int depth;

    private FilterParser(String source) {
        this.source = source;
        this.tokens = tokenize(source);
    }

    /**
     * @param filter the filter text, as decoded from the query
     * @return the filter
     * @throws ScimException {@code invalidFilter} when it is not a filter this service evaluates
     */
    static Filter parse(String filter) {
        if (filter.length() > MAX_LENGTH) {
            throw ScimException.invalidFilter("The filter is longer than " + MAX_LENGTH + " characters.");
        }
        FilterParser parser = new FilterParser(filter);
        Filter parsed = parser.or();
        parser.expect(Kind.END, "the end of the filter");
        return parsed;
    }

    private Filter or() {
        Filter left = and();
        while (keyword("or")) {
            left = new Filter.Or(left, and());
        }
        return left;
    }

    private Filter and() {
        Filter left = unary();
        while (keyword("and")) {
            left = new Filter.And(left, unary());
        }
        return left;
    }

    private Filter unary() {
        if (++depth > MAX_DEPTH) {
            throw ScimException.invalidFilter("The filter is nested deeper than " + MAX_DEPTH + " levels.");
        }
        try {
            if (keyword("not")) {
                expect(Kind.OPEN_PAREN, "'(' after 'not'");
                Filter inner = or();
                expect(Kind.CLOSE_PAREN, "')'");
                return new Filter.Not(inner);
            }
            if (peek().kind() == Kind.OPEN_PAREN) {
                next++;
                Filter inner = or();
                expect(Kind.CLOSE_PAREN, "')'");
                return inner;
            }
            return attributeExpression();
        } finally {
            depth--;
        }
    }

    private Filter attributeExpression() {
        Token pathToken = expect(Kind.WORD, "an attribute path");
        AttributePath path = path(pathToken);
        if (peek().kind() == Kind.OPEN_BRACKET) {
            next++;
            Filter inner = or();
            expect(Kind.CLOSE_BRACKET, "']'");
            if (peek().kind() == Kind.WORD && peek().text().startsWith(".")) {
                // emails[type eq "work"].value eq "…": the matching attribute Entra ID may probe with, read as
                // a value of emails that is of type work and whose value is "…".
                Token subToken = advance();
                AttributePath sub = path(new Token(Kind.WORD, subToken.text().substring(1), subToken.position() + 1));
                if (sub.schema().isPresent() || sub.subAttribute().isPresent()) {
                    throw refused(subToken, "after ']' comes one sub-attribute");
                }
                return new Filter.ValuePath(path, new Filter.And(inner, test(sub, subToken)));
            }
            return new Filter.ValuePath(path, inner);
        }
        return test(path, pathToken);
    }

    /** The rest of an attribute expression: {@code pr}, or an operator and a value. */
    private Filter test(AttributePath path, Token pathToken) {
        Token operatorToken = expect(Kind.WORD, "an operator after " + pathToken.text());
        String operator = operatorToken.text().toLowerCase(Locale.ROOT);
        if (operator.equals("pr")) {
            return new Filter.Present(path);
        }
        Operator comparison;
        try {
            comparison = Operator.valueOf(operator.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw refused(operatorToken, "'" + operatorToken.text() + "' is not an operator (eq ne co sw ew gt ge lt le pr)");
        }
        return new Filter.Comparison(path, comparison, value(advance()));
    }

    private JsonNode value(Token token) {
        if (token.kind() == Kind.STRING) {
            return JsonNodeFactory.instance.textNode(token.text());
        }
        if (token.kind() != Kind.WORD) {
            throw refused(token, "expected a value");
        }
        switch (token.text()) {
            case "true":
                return JsonNodeFactory.instance.booleanNode(true);
            case "false":
                return JsonNodeFactory.instance.booleanNode(false);
            case "null":
                return JsonNodeFactory.instance.nullNode();
            default:
                try {
                    if (token.text().length() > 64) {
                        throw new NumberFormatException();
                    }
                    return JsonNodeFactory.instance.numberNode(new BigDecimal(token.text()));
                } catch (NumberFormatException e) {
                    throw refused(token, "'" + token.text() + "' is not a value: quote strings, and use true, false, null or a number");
                }
        }
    }

    private AttributePath path(Token token) {
        try {
            return AttributePath.parse(token.text());
        } catch (IllegalArgumentException e) {
            throw refused(token, e.getMessage());
        }
    }

    private boolean keyword(String word) {
        Token token = peek();
        if (token.kind() == Kind.WORD && token.text().equalsIgnoreCase(word)) {
            next++;
            return true;
        }
        return false;
    }

    private Token peek() {
        return tokens.get(next);
    }

    private Token advance() {
        Token token = tokens.get(next);
        if (token.kind() != Kind.END) {
            next++;
        }
        return token;
    }

    private Token expect(Kind kind, String what) {
        Token token = advance();
        if (token.kind() != kind) {
            throw refused(token, "expected " + what);
        }
        return token;
    }

    private ScimException refused(Token token, String why) {
        String at = token.kind() == Kind.END ? "at the end" : "at character " + (token.position() + 1);
        return ScimException.invalidFilter("The filter '" + source + "' is not valid " + at + ": " + why + ".");
    }

    private static List<Token> tokenize(String source) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                i++;
            } else if (c == '(' || c == ')' || c == '[' || c == ']') {
                Kind kind = switch (c) {
                    case '(' -> Kind.OPEN_PAREN;
                    case ')' -> Kind.CLOSE_PAREN;
                    case '[' -> Kind.OPEN_BRACKET;
                    default -> Kind.CLOSE_BRACKET;
                };
                tokens.add(new Token(kind, String.valueOf(c), i));
                i++;
            } else if (c == '"') {
                int start = i;
                StringBuilder text = new StringBuilder();
                i++;
                while (true) {
                    if (i >= source.length()) {
                        throw ScimException.invalidFilter("The filter '" + source + "' has a string that is not closed.");
                    }
                    char d = source.charAt(i++);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\') {
                        i = unescape(source, i, text);
                    } else {
                        text.append(d);
                    }
                }
                tokens.add(new Token(Kind.STRING, text.toString(), start));
            } else {
                int start = i;
                while (i < source.length() && " \t\n\r()[]\"".indexOf(source.charAt(i)) < 0) {
                    i++;
                }
                tokens.add(new Token(Kind.WORD, source.substring(start, i), start));
            }
        }
        tokens.add(new Token(Kind.END, "", source.length()));
        return tokens;
    }

    /** Reads one JSON escape (RFC 8259 §7) after its backslash; returns the index after it. */
    private static int unescape(String source, int index, StringBuilder text) {
        if (index >= source.length()) {
            throw ScimException.invalidFilter("The filter '" + source + "' ends inside an escape.");
        }
        char escaped = source.charAt(index);
        switch (escaped) {
            case '"', '\\', '/' -> text.append(escaped);
            case 'b' -> text.append('\b');
            case 'f' -> text.append('\f');
            case 'n' -> text.append('\n');
            case 'r' -> text.append('\r');
            case 't' -> text.append('\t');
            case 'u' -> {
                if (index + 5 > source.length()) {
                    throw ScimException.invalidFilter("The filter '" + source + "' has a broken \\u escape.");
                }
                try {
                    text.append((char) Integer.parseInt(source.substring(index + 1, index + 5), 16));
                } catch (NumberFormatException e) {
                    throw ScimException.invalidFilter("The filter '" + source + "' has a broken \\u escape.");
                }
                return index + 5;
            }
            default -> throw ScimException.invalidFilter("The filter '" + source + "' has an unknown escape \\" + escaped + ".");
        }
        return index + 1;
    }
}
