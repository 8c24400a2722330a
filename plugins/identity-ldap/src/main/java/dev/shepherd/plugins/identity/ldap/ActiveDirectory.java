package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.Filter;

import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * What Active Directory does differently from other LDAP directories: its stable id is the binary {@code objectGUID},
 * a disabled account is a bit of {@code userAccountControl}, and it resolves nested groups itself with the
 * {@code LDAP_MATCHING_RULE_IN_CHAIN} matching rule.
 */
public final class ActiveDirectory {

    /** {@code LDAP_MATCHING_RULE_BIT_AND}: true when all bits of the assertion are set in the attribute. */
    public static final String BIT_AND_RULE = "1.2.840.113556.1.4.803";
    /** {@code LDAP_MATCHING_RULE_IN_CHAIN}: walks the attribute's DN values transitively, on the server. */
    public static final String IN_CHAIN_RULE = "1.2.840.113556.1.4.1941";
    /** The {@code userAccountControl} flag of a disabled account. */
    public static final int ACCOUNTDISABLE = 0x2;
    /** The accounts AD has disabled, without reading their {@code userAccountControl}. */
    public static final String ACCOUNT_DISABLED_FILTER = "(userAccountControl:" + BIT_AND_RULE + ":=" + ACCOUNTDISABLE + ")";

    private ActiveDirectory() {
    }

    /**
     * Turns an {@code objectGUID} into the form AD shows it in ({@code Get-ADUser}, {@code [guid]}): the GUID's first
     * three fields are stored little-endian, the last two as they are.
     *
     * @param objectGuid the attribute's 16 bytes
     * @return the GUID in lower case, such as {@code 5ac9e4b1-d4e4-4b7d-a5d4-1d4b4ec2b4a5}
     * @throws IllegalArgumentException when it is not 16 bytes long
     */
    public static String guidToString(byte[] objectGuid) {
        requireNonNull(objectGuid, "objectGuid is null");
        if (objectGuid.length != 16) {
            throw new IllegalArgumentException("an objectGUID is 16 bytes, not " + objectGuid.length);
        }
        byte[] ordered = new byte[16];
        int[] fromWire = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
        for (int i = 0; i < 16; i++) {
            ordered[i] = objectGuid[fromWire[i]];
        }
        String hex = HexFormat.of().formatHex(ordered);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20)
                + "-" + hex.substring(20);
    }

    /**
     * The filter of the groups a DN is in, directly or through any depth of nested groups, resolved by AD.
     *
     * @param memberAttribute the groups' member attribute, normally {@code member}
     * @param dn the user's or group's DN
     * @return the filter
     */
    public static Filter inChainMemberFilter(String memberAttribute, String dn) {
        return Filter.createExtensibleMatchFilter(requireNonNull(memberAttribute, "memberAttribute is null"), IN_CHAIN_RULE, false,
                requireNonNull(dn, "dn is null"));
    }

    /**
     * Where the next part of a multi-valued attribute starts, for AD's ranged retrieval: AD answers at most
     * {@code MaxValRange} (1500) values of an attribute at once, named with a range option such as
     * {@code member;range=0-1499}; the last part's range ends in {@code *} ({@code member;range=1500-*}).
     *
     * @param attributeName the name the directory answered, options included
     * @param baseName the attribute asked for, such as {@code member}
     * @return the first index of the next part; empty when this was the last part, or the name has no range option
     */
    public static OptionalInt nextRangeStart(String attributeName, String baseName) {
        requireNonNull(attributeName, "attributeName is null");
        requireNonNull(baseName, "baseName is null");
        String prefix = baseName.toLowerCase(Locale.ROOT) + ";range=";
        String name = attributeName.toLowerCase(Locale.ROOT);
        if (!name.startsWith(prefix)) {
            return OptionalInt.empty();
        }
        String range = name.substring(prefix.length());
        int dash = range.indexOf('-');
        if (dash < 1 || range.endsWith("-*")) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Math.addExact(Integer.parseInt(range.substring(dash + 1)), 1));
        } catch (NumberFormatException | ArithmeticException e) {
            return OptionalInt.empty();
        }
    }

    /**
     * The attribute to ask for the values of an attribute from an index on, for AD's ranged retrieval.
     *
     * @param baseName the attribute, such as {@code member}
     * @param start the first index wanted
     * @return such as {@code member;range=1500-*}
     */
    public static String rangeFrom(String baseName, int start) {
        return requireNonNull(baseName, "baseName is null") + ";range=" + start + "-*";
    }

    /**
     * The parsed {@code userAccountControl} of an account.
     *
     * @param flags the flags
     */
    public record UserAccountControl(int flags) {

        /**
         * @param value the attribute's value, a decimal integer (AD writes it signed when the top bit is set)
         * @return the flags, or empty when the value is not an integer
         */
        public static Optional<UserAccountControl> parse(String value) {
            if (value == null) {
                return Optional.empty();
            }
            try {
                return Optional.of(new UserAccountControl((int) Long.parseLong(value.trim())));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        /** @return whether the account is disabled ({@code ACCOUNTDISABLE}) */
        public boolean accountDisabled() {
            return (flags & ACCOUNTDISABLE) != 0;
        }
    }
}
