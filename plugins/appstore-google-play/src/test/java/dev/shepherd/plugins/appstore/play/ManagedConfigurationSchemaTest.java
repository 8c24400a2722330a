package dev.shepherd.plugins.appstore.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An app's managed properties, as Google reports them, become the JSON Schema its configurations are checked against. */
class ManagedConfigurationSchemaTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ManagedConfigurationSchema schemas = new ManagedConfigurationSchema();

    @Test
    void everyPropertyTypeBecomesTheJsonValueAmapiDocumentsForIt() throws Exception {
        JsonNode properties = JSON.readTree("""
                [
                  {"key": "offline", "type": "BOOL", "title": "Work offline", "defaultValue": true},
                  {"key": "server", "type": "STRING", "description": "The server's URL"},
                  {"key": "token", "type": "HIDDEN"},
                  {"key": "retries", "type": "INTEGER", "defaultValue": 3},
                  {"key": "theme", "type": "CHOICE", "entries": [{"name": "Light", "value": "light"}, {"name": "Dark", "value": "dark"}]},
                  {"key": "tabs", "type": "MULTISELECT", "entries": [{"name": "Mail", "value": "mail"}, {"name": "Files", "value": "files"}]},
                  {"key": "proxy", "type": "BUNDLE", "nestedProperties": [{"key": "host", "type": "STRING"}, {"key": "port", "type": "INTEGER"}]},
                  {"key": "accounts", "type": "BUNDLE_ARRAY", "nestedProperties": [
                    {"key": "account", "type": "BUNDLE", "nestedProperties": [{"key": "name", "type": "STRING"}]}]}
                ]""");

        ObjectNode schema = schemas.convert(properties).orElseThrow();

        assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(schema.path("type").asText()).isEqualTo("object");
        assertThat(schema.path("additionalProperties").asBoolean(true)).as("keys the app does not declare are refused").isFalse();
        JsonNode members = schema.path("properties");
        assertThat(members.path("offline")).isEqualTo(JSON.readTree("{\"type\":\"boolean\",\"title\":\"Work offline\",\"default\":true}"));
        assertThat(members.path("server")).isEqualTo(JSON.readTree("{\"type\":\"string\",\"description\":\"The server's URL\"}"));
        assertThat(members.path("token").path("type").asText()).isEqualTo("string");
        assertThat(members.path("retries")).isEqualTo(JSON.readTree("{\"type\":\"integer\",\"default\":3}"));
        assertThat(members.path("theme")).isEqualTo(JSON.readTree("{\"type\":\"string\",\"enum\":[\"light\",\"dark\"]}"));
        assertThat(members.path("tabs")).isEqualTo(JSON.readTree(
                "{\"type\":\"array\",\"uniqueItems\":true,\"items\":{\"type\":\"string\",\"enum\":[\"mail\",\"files\"]}}"));
        assertThat(members.path("proxy").path("type").asText()).isEqualTo("object");
        assertThat(members.path("proxy").path("properties").path("port").path("type").asText()).isEqualTo("integer");
        assertThat(members.path("accounts").path("type").asText()).isEqualTo("array");
        assertThat(members.path("accounts").path("items").path("properties").path("name").path("type").asText()).isEqualTo("string");
    }

    @Test
    void anAppWithoutManagedPropertiesHasNoSchema() throws Exception {
        assertThat(schemas.convert(JSON.readTree("[]"))).isEmpty();
        assertThat(schemas.convert(JSON.createObjectNode().path("managedProperties"))).isEmpty();
    }

    @Test
    void malformedPropertiesAreRefusedWithTheReason() throws Exception {
        assertThatThrownBy(() -> schemas.convert(JSON.readTree("[{\"key\": \"x\", \"type\": \"COLOR\"}]")))
                .isInstanceOf(ManagedConfigurationSchema.UnusableSchemaException.class).hasMessageContaining("unknown type 'COLOR'");
        assertThatThrownBy(() -> schemas.convert(JSON.readTree("[{\"key\": \"x\", \"type\": \"CHOICE\"}]")))
                .hasMessageContaining("offers no choices");
        assertThatThrownBy(() -> schemas.convert(JSON.readTree("[{\"type\": \"STRING\"}]"))).hasMessageContaining("no usable key");
        assertThatThrownBy(() -> schemas.convert(JSON.readTree("[{\"key\": \"x\", \"type\": \"STRING\"}, {\"key\": \"x\", \"type\": \"BOOL\"}]")))
                .hasMessageContaining("declared twice");
        assertThatThrownBy(() -> schemas.convert(JSON.readTree("[{\"key\": \"list\", \"type\": \"BUNDLE_ARRAY\", \"nestedProperties\": [{\"key\": \"a\", \"type\": \"STRING\"}]}]")))
                .hasMessageContaining("without its one BUNDLE");
        assertThatThrownBy(() -> schemas.convert(JSON.readTree("{\"key\": \"x\"}"))).hasMessageContaining("not a list");
    }

    @Test
    void nestingAndSizeAreBounded() throws Exception {
        ObjectNode deepest = JSON.createObjectNode().put("key", "leaf").put("type", "STRING");
        JsonNode nested = deepest;
        for (int level = 0; level < ManagedConfigurationSchema.MAX_DEPTH; level++) {
            ObjectNode bundle = JSON.createObjectNode().put("key", "level" + level).put("type", "BUNDLE");
            bundle.putArray("nestedProperties").add(nested);
            nested = bundle;
        }
        ArrayNode tooDeep = JSON.createArrayNode().add(nested);
        assertThatThrownBy(() -> schemas.convert(tooDeep)).hasMessageContaining("deeper than " + ManagedConfigurationSchema.MAX_DEPTH);

        ArrayNode many = JSON.createArrayNode();
        for (int index = 0; index <= ManagedConfigurationSchema.MAX_PROPERTIES; index++) {
            many.addObject().put("key", "p" + index).put("type", "STRING");
        }
        assertThatThrownBy(() -> schemas.convert(many)).hasMessageContaining("more than " + ManagedConfigurationSchema.MAX_PROPERTIES);
    }
}
