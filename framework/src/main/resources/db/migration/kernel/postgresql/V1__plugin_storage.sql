-- Key/value storage private to each plugin (dev.shepherd.api.config.PluginStorage).
CREATE TABLE plugin_kv (
    plugin_id   VARCHAR(64)  NOT NULL,
    entry_key   VARCHAR(200) NOT NULL,
    entry_value BYTEA        NOT NULL,
    updated_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_plugin_kv PRIMARY KEY (plugin_id, entry_key)
);
