package dev.shepherd.plugins.identity.scim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RFC 7644 §3.4.2.2 filters: the grammar, its bounds, and what matches under the User schema's rules. */
class FilterTest {

    private static final ObjectNode USER = json("""
            {"id": "2819c223-7f76-453a-919d-413861904646", "userName": "Bjensen@Example.com", "externalId": "bjensen",
             "name": {"familyName": "Jensen", "givenName": "Barbara"}, "title": "Tour Guide", "active": true, "userType": "Employee",
             "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Tour Operations"},
             "meta": {"resourceType": "User", "created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49.793Z"}}
            """);

    @Test
    void userNameIsComparedInAnyCaseAsTheSchemaSaysAndAttributeNamesAndOperatorsTooWhileIdIsCaseExact() {
        assertThat(matches("userName eq \"bjensen@example.com\"")).isTrue();
        assertThat(matches("USERNAME EQ \"BJENSEN@EXAMPLE.COM\"")).isTrue();
        assertThat(matches("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"bjen\"")).isTrue();
        assertThat(matches("externalId eq \"BJENSEN\"")).as("externalId is caseExact").isFalse();
        assertThat(matches("id eq \"2819C223-7F76-453A-919D-413861904646\"")).as("id is caseExact").isFalse();
    }

    @Test
    void everyOperatorLogicalOperatorGroupingAndNegationFollowsTheGrammar() {
        assertThat(matches("title pr")).isTrue();
        assertThat(matches("nickName pr")).isFalse();
        assertThat(matches("name.familyName co \"ens\"")).isTrue();
        assertThat(matches("userName ew \"example.com\"")).isTrue();
        assertThat(matches("userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")")).isFalse();
        assertThat(matches("userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")")).isTrue();
        assertThat(matches("title eq \"x\" or title eq \"Tour Guide\" and userType eq \"Employee\"")).as("and binds tighter than or").isTrue();
        assertThat(matches("(title eq \"x\" or title eq \"Tour Guide\") and userType eq \"Intern\"")).isFalse();
        assertThat(matches("meta.lastModified gt \"2011-05-13T04:42:34Z\"")).isTrue();
        assertThat(matches("meta.lastModified lt \"2011-08-01T20:29:49+02:00\"")).as("instants, not strings").isFalse();
        assertThat(matches("active eq true and not (active eq false)")).isTrue();
        assertThat(matches("title gt \"Tour\" and title le \"Tour Guide\"")).isTrue();
    }

    @Test
    void valuePathsSelectValuesOfAMultiValuedAttributeAndExtensionAttributesAreNamedByTheirUrn() {
        assertThat(matches("emails[type eq \"work\" and value co \"@example.com\"]")).isTrue();
        assertThat(matches("emails[type eq \"home\" and value co \"@example.com\"]")).isFalse();
        assertThat(matches("emails[not (type eq \"work\")]")).isTrue();
        assertThat(matches("emails[type eq \"work\"].value eq \"BJENSEN@example.com\"")).as("Entra ID's work e-mail probe").isTrue();
        assertThat(matches("emails[type eq \"home\"].value eq \"bjensen@example.com\"")).isFalse();
        assertThat(matches("emails[type eq \"home\"].value pr and userName pr")).isTrue();
        assertThat(matches("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq \"701984\"")).isTrue();
        assertThat(matches("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"tour operations\"")).isTrue();
        assertThat(matches("undefinedAttribute eq \"x\"")).as("an attribute the schema lacks matches nothing").isFalse();
    }

    @Test
    void stringsCarryJsonEscapes() {
        Filter filter = FilterParser.parse("displayName eq \"Quote \\\" backslash \\\\ \\u00e9\"");
        assertThat(((Filter.Comparison) filter).value().textValue()).isEqualTo("Quote \" backslash \\ é");
    }

    @Test
    void malformedAndUnboundedFiltersAreRefusedAsInvalidFilter() {
        for (String bad : new String[] {"userName eq", "userName xx \"a\"", "userName eq \"open", "(userName pr", "userName pr)",
                "not userName pr", "emails[type eq \"work\"", "userName eq bare",
                "emails[type eq \"work\"].value", "emails[type eq \"work\"].a.b eq \"x\"", "\"a\" eq userName", "userName eq \"a\" and", ""}) {
            assertThatThrownBy(() -> FilterParser.parse(bad)).as(bad).isInstanceOfSatisfying(ScimException.class,
                    e -> assertThat(e.scimType()).isEqualTo("invalidFilter"));
        }
        String deep = "(".repeat(FilterParser.MAX_DEPTH + 1) + "userName pr" + ")".repeat(FilterParser.MAX_DEPTH + 1);
        assertThatThrownBy(() -> FilterParser.parse(deep)).isInstanceOfSatisfying(ScimException.class,
                e -> assertThat(e.detail()).contains("nested deeper"));
        String nested = "not (".repeat(10_000) + "userName pr" + ")".repeat(10_000);
        assertThatThrownBy(() -> FilterParser.parse(nested)).isInstanceOf(ScimException.class);
        assertThatThrownBy(() -> FilterParser.parse("userName eq \"" + "a".repeat(FilterParser.MAX_LENGTH) + "\""))
                .isInstanceOfSatisfying(ScimException.class, e -> assertThat(e.detail()).contains("longer than"));
    }

    @Test
    void comparisonsTheSchemaRulesOutAreRefusedBeforeAnyResourceIsRead() {
        for (String bad : new String[] {"active gt true", "name eq \"Barbara Jensen\"", "active co \"tr\"", "userName[value eq \"x\"]",
                "meta.created sw \"2011\""}) {
            assertThatThrownBy(() -> FilterEvaluator.check(FilterParser.parse(bad), ResourceType.USER)).as(bad)
                    .isInstanceOfSatisfying(ScimException.class, e -> assertThat(e.scimType()).isEqualTo("invalidFilter"));
        }
    }

    private static boolean matches(String filter) {
        Filter parsed = FilterParser.parse(filter);
        FilterEvaluator.check(parsed, ResourceType.USER);
        return FilterEvaluator.matches(parsed, USER, ResourceType.USER);
    }

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) ScimJson.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
