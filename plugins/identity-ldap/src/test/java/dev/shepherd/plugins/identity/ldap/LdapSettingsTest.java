package dev.shepherd.plugins.identity.ldap;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the plugin's settings accept, and what they refuse before any connection is made. */
class LdapSettingsTest {

    @Test
    void withoutUrlThePluginRunsUnconfigured() {
        LdapSettings settings = LdapSettings.from(TestConfig.of(Map.of()));
        assertThat(settings.configured()).isFalse();
        assertThat(settings.providerId()).isEqualTo("ldap");
    }

    @Test
    void ldapUrlsUseStartTlsByDefaultAndLdapsUrlsTlsFromTheFirstByte() {
        assertThat(LdapSettings.from(TestConfig.of(Map.of("url", "ldap://ldap.example.org", "userBaseDn", "dc=example,dc=org")))
                .transport()).isEqualTo(LdapSettings.Transport.START_TLS);
        LdapSettings ldaps = LdapSettings.from(TestConfig.of(Map.of("url", "ldaps://a.example.org, ldaps://b.example.org:1636",
                "userBaseDn", "dc=example,dc=org")));
        assertThat(ldaps.transport()).isEqualTo(LdapSettings.Transport.LDAPS);
        assertThat(ldaps.servers()).containsExactly(new LdapSettings.LdapServer("a.example.org", 636),
                new LdapSettings.LdapServer("b.example.org", 1636));
        assertThat(ldaps.groupBaseDn()).as("groups are searched below the users' base unless told").isEqualTo("dc=example,dc=org");
        assertThat(ldaps.syncInterval()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void plainLdapOnlyWhenAskedAndOnlyToLoopback() {
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(Map.of("url", "ldap://127.0.0.1:3890", "startTls", "false",
                "userBaseDn", "dc=example,dc=org")))).hasMessageContaining("in the clear");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(Map.of("url", "ldap://ldap.example.org", "startTls", "false",
                "allowPlaintext", "true", "userBaseDn", "dc=example,dc=org")))).hasMessageContaining("loopback");
        assertThat(LdapSettings.from(TestConfig.of(Map.of("url", "ldap://127.0.0.1:3890", "startTls", "false", "allowPlaintext", "true",
                "userBaseDn", "dc=example,dc=org"))).transport()).isEqualTo(LdapSettings.Transport.PLAIN);
    }

    @Test
    void malformedSettingsAreRefusedNamingTheirKey() {
        Map<String, String> base = Map.of("url", "ldaps://ldap.example.org", "userBaseDn", "dc=example,dc=org");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "userFilter", "(objectClass=person"))))
                .hasMessageContaining("'userFilter'");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "userBaseDn", "not a dn"))))
                .hasMessageContaining("'userBaseDn'");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "usernameAttribute", "cn"))))
                .hasMessageContaining("'usernameAttribute'");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "memberAttribute", "owner"))))
                .hasMessageContaining("'memberAttribute'");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "url", "http://ldap.example.org"))))
                .hasMessageContaining("'url'");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "url", "ldaps://a.example.org ldap://b.example.org"))))
                .hasMessageContaining("mixes");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "pageSize", "0")))).hasMessageContaining("'pageSize'");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(with(base, "id", "local")))).hasMessageContaining("'id'");
        assertThatThrownBy(() -> LdapSettings.from(TestConfig.of(Map.of("url", "ldaps://ldap.example.org"))))
                .hasMessageContaining("'userBaseDn' is required");
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        HashMap<String, String> settings = new HashMap<>(base);
        settings.put(key, value);
        return settings;
    }
}
