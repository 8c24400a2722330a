package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.Filter;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Active Directory parts, without an Active Directory: byte orders, flags and filters as AD documents them. */
class ActiveDirectoryTest {

    @Test
    void objectGuidBytesReadWithTheFirstThreeFieldsLittleEndian() {
        // Microsoft's Guid.ToByteArray example: 35918bc9-196d-40ea-9779-889d79b753f0 is C9 8B 91 35 6D 19 EA 40 97 79 88 9D 79 B7 53 F0.
        assertThat(ActiveDirectory.guidToString(HexFormat.of().parseHex("c98b91356d19ea409779889d79b753f0")))
                .isEqualTo("35918bc9-196d-40ea-9779-889d79b753f0");
        assertThat(ActiveDirectory.guidToString(HexFormat.of().parseHex("03020100050407060809" + "0a0b0c0d0e0f")))
                .isEqualTo("00010203-0405-0607-0809-0a0b0c0d0e0f");
    }

    @Test
    void anObjectGuidIsSixteenBytes() {
        assertThatThrownBy(() -> ActiveDirectory.guidToString(new byte[15])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void userAccountControlDisabledIsBitTwo() {
        Map<String, Boolean> disabledByValue = Map.of(
                "512", false,        // NORMAL_ACCOUNT
                "514", true,         // NORMAL_ACCOUNT | ACCOUNTDISABLE
                "66048", false,      // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
                "66050", true,       // … | ACCOUNTDISABLE
                "544", false,        // NORMAL_ACCOUNT | PASSWD_NOTREQD
                " 2 ", true);
        disabledByValue.forEach((value, disabled) -> assertThat(ActiveDirectory.UserAccountControl.parse(value))
                .as(value).get().extracting(ActiveDirectory.UserAccountControl::accountDisabled).isEqualTo(disabled));
        assertThat(ActiveDirectory.UserAccountControl.parse("not a number")).isEmpty();
        assertThat(ActiveDirectory.UserAccountControl.parse(null)).isEmpty();
    }

    @Test
    void disabledAccountsAreFoundWithTheBitwiseAndMatchingRule() throws Exception {
        assertThat(ActiveDirectory.ACCOUNT_DISABLED_FILTER).isEqualTo("(userAccountControl:1.2.840.113556.1.4.803:=2)");
        Filter parsed = Filter.create(ActiveDirectory.ACCOUNT_DISABLED_FILTER);
        assertThat(parsed.getMatchingRuleID()).isEqualTo("1.2.840.113556.1.4.803");
        assertThat(parsed.getAttributeName()).isEqualTo("userAccountControl");
    }

    @Test
    void nestedGroupsAreAskedOfAdWithTheInChainMatchingRuleAndTheDnEscaped() {
        Filter filter = ActiveDirectory.inChainMemberFilter("member", "CN=Smith\\, Ann (IT),OU=Staff,DC=corp,DC=example");
        assertThat(filter.toString()).isEqualTo("(member:1.2.840.113556.1.4.1941:=CN=Smith\\5c, Ann \\28IT\\29,OU=Staff,DC=corp,DC=example)");
    }

    @Test
    void largeGroupsAreReadInRangesUntilTheRangeThatEndsInAStar() {
        // MS-ADTS 3.1.1.3.1.3.3: "member;range=0-1499" is a first part of 1500 values, "member;range=1500-*" the last.
        assertThat(ActiveDirectory.nextRangeStart("member;range=0-1499", "member")).hasValue(1500);
        assertThat(ActiveDirectory.nextRangeStart("Member;Range=1500-2999", "member")).hasValue(3000);
        assertThat(ActiveDirectory.nextRangeStart("member;range=3000-*", "member")).isEmpty();
        assertThat(ActiveDirectory.nextRangeStart("member", "member")).as("sent whole").isEmpty();
        assertThat(ActiveDirectory.nextRangeStart("uniqueMember;range=0-1499", "member")).isEmpty();
        assertThat(ActiveDirectory.nextRangeStart("member;range=0-x", "member")).isEmpty();
        assertThat(ActiveDirectory.rangeFrom("member", 1500)).isEqualTo("member;range=1500-*");
    }

    @Test
    void activeDirectoryDefaultsReadSamAccountNameAndObjectGuidAndFindDisabledAccounts() {
        LdapSettings settings = LdapSettings.from(TestConfig.of(Map.of("url", "ldaps://dc1.corp.example", "activeDirectory", "true",
                "userBaseDn", "DC=corp,DC=example")));
        assertThat(settings.usernameAttribute()).isEqualTo("sAMAccountName");
        assertThat(settings.idAttribute()).isEqualTo("objectGUID");
        assertThat(settings.userFilter()).isEqualTo("(&(objectCategory=person)(objectClass=user))");
        assertThat(settings.groupFilter()).isEqualTo("(objectClass=group)");
        assertThat(settings.disabledFilter()).contains(ActiveDirectory.ACCOUNT_DISABLED_FILTER);
    }
}
