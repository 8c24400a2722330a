package dev.shepherd.plugins.identity.ldap;

import com.unboundid.ldap.sdk.Entry;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.Modification;
import com.unboundid.ldap.sdk.ModificationType;
import org.awaitility.core.ConditionTimeoutException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real OpenLDAP {@code slapd} for the tests: Debian's binary started on free loopback ports (plain LDAP, and LDAPS
 * with a server certificate from a CA generated here) with a generated {@code slapd.conf} (mdb database in a
 * temporary folder; schemas core, cosine, inetorgperson, nis), loaded with {@link #BASE} and the entries a test adds.
 * The ACLs let only the service account {@link #SERVICE_DN} read the tree and people bind as themselves.
 * Tests skip (an assumption) on a machine without slapd.
 */
final class TestSlapd implements AutoCloseable {

    static final Path SLAPD = Path.of("/usr/sbin/slapd");
    static final String BASE = "dc=example,dc=org";
    static final String PEOPLE = "ou=people," + BASE;
    static final String GROUPS = "ou=groups," + BASE;
    static final String ROOT_DN = "cn=admin," + BASE;
    static final String ROOT_PASSWORD = "root-secret";
    static final String SERVICE_DN = "cn=shepherd,ou=services," + BASE;
    static final String SERVICE_PASSWORD = "service-secret";

    private final Process process;
    private final int plainPort;
    private final int ldapsPort;
    private final Path caFile;
    private final Path otherCaFile;

    private TestSlapd(Process process, int plainPort, int ldapsPort, Path caFile, Path otherCaFile) {
        this.process = process;
        this.plainPort = plainPort;
        this.ldapsPort = ldapsPort;
        this.caFile = caFile;
        this.otherCaFile = otherCaFile;
    }

    /**
     * Starts slapd in a folder and adds the base entries and the service account.
     *
     * @param folder an empty temporary folder
     */
    static TestSlapd start(Path folder) throws Exception {
        assumeTrue(Files.isExecutable(SLAPD), "OpenLDAP's slapd is not installed (Debian package slapd)");
        Path tls = Files.createDirectories(folder.resolve("tls"));
        KeyPair caKeys = keys();
        X509Certificate ca = certificate("CN=Test LDAP CA", caKeys, "CN=Test LDAP CA", caKeys, true);
        KeyPair serverKeys = keys();
        X509Certificate server = certificate("CN=Test LDAP server", serverKeys, "CN=Test LDAP CA", caKeys, false);
        Path caFile = Files.writeString(tls.resolve("ca.pem"), pem(ca));
        Files.writeString(tls.resolve("server.pem"), pem(server));
        Files.writeString(tls.resolve("server.key"), pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null)));
        KeyPair otherKeys = keys();
        Path otherCaFile = Files.writeString(tls.resolve("other-ca.pem"),
                pem(certificate("CN=Someone else's CA", otherKeys, "CN=Someone else's CA", otherKeys, true)));
        Path database = Files.createDirectories(folder.resolve("db"));
        Path conf = Files.writeString(folder.resolve("slapd.conf"), String.join("\n",
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                "include /etc/ldap/schema/nis.schema",
                "pidfile " + folder.resolve("slapd.pid"),
                "argsfile " + folder.resolve("slapd.args"),
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "TLSCACertificateFile " + caFile,
                "TLSCertificateFile " + tls.resolve("server.pem"),
                "TLSCertificateKeyFile " + tls.resolve("server.key"),
                "database mdb",
                "maxsize 67108864",
                "suffix \"" + BASE + "\"",
                "rootdn \"" + ROOT_DN + "\"",
                "rootpw " + ROOT_PASSWORD,
                "directory " + database,
                "index objectClass eq",
                "index member,uniqueMember,memberUid eq",
                "access to attrs=userPassword",
                "  by anonymous auth",
                "  by * none",
                "access to *",
                "  by dn.exact=\"" + SERVICE_DN + "\" read",
                "  by self read",
                "  by * none",
                ""));
        int plainPort = freePort();
        int ldapsPort = freePort();
        Process process = new ProcessBuilder(SLAPD.toString(), "-f", conf.toString(),
                "-h", "ldap://127.0.0.1:" + plainPort + "/ ldaps://127.0.0.1:" + ldapsPort + "/", "-d", "stats")
                .redirectErrorStream(true).redirectOutput(folder.resolve("slapd.log").toFile()).start();
        TestSlapd slapd = new TestSlapd(process, plainPort, ldapsPort, caFile, otherCaFile);
        try {
            try {
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    if (!process.isAlive()) {
                        return true;
                    }
                    try (LDAPConnection connection = new LDAPConnection("127.0.0.1", plainPort)) {
                        return connection.isConnected();
                    } catch (LDAPException notYet) {
                        return false;
                    }
                });
            } catch (ConditionTimeoutException e) {
                throw new IllegalStateException("slapd did not answer: " + Files.readString(folder.resolve("slapd.log")), e);
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("slapd exited: " + Files.readString(folder.resolve("slapd.log")));
            }
            slapd.add(
                    new Entry("dn: " + BASE, "objectClass: dcObject", "objectClass: organization", "dc: example", "o: Example"),
                    new Entry("dn: " + PEOPLE, "objectClass: organizationalUnit", "ou: people"),
                    new Entry("dn: " + GROUPS, "objectClass: organizationalUnit", "ou: groups"),
                    new Entry("dn: ou=services," + BASE, "objectClass: organizationalUnit", "ou: services"),
                    new Entry("dn: " + SERVICE_DN, "objectClass: person", "cn: shepherd", "sn: Shepherd", "userPassword: " + SERVICE_PASSWORD));
        } catch (Exception | Error e) {
            slapd.close();
            throw e;
        }
        return slapd;
    }

    /** @return {@code ldap://127.0.0.1:port} for plain LDAP and StartTLS */
    String ldapUrl() {
        return "ldap://127.0.0.1:" + plainPort;
    }

    /** @return {@code ldaps://127.0.0.1:port}, the address the server's certificate names */
    String ldapsUrl() {
        return "ldaps://127.0.0.1:" + ldapsPort;
    }

    /** @return plain LDAP (for StartTLS) by a name the server's certificate does not hold (it names 127.0.0.1 only) */
    String ldapUrlNotInCertificate() {
        return "ldap://localhost:" + plainPort;
    }

    /** @return LDAPS by a name the server's certificate does not hold (it names 127.0.0.1 only) */
    String ldapsUrlNotInCertificate() {
        return "ldaps://localhost:" + ldapsPort;
    }

    /** @return the CA that issued the server's certificate, as a PEM file */
    Path caFile() {
        return caFile;
    }

    /** @return a CA that did not issue it */
    Path otherCaFile() {
        return otherCaFile;
    }

    /** Adds entries as the directory's root. */
    void add(Entry... entries) throws LDAPException {
        try (LDAPConnection connection = root()) {
            for (Entry entry : entries) {
                connection.add(entry);
            }
        }
    }

    /** Replaces an attribute's values as the directory's root. */
    void replace(String dn, String attribute, String... values) throws LDAPException {
        try (LDAPConnection connection = root()) {
            connection.modify(dn, new Modification(ModificationType.REPLACE, attribute, values));
        }
    }

    /** Deletes an entry as the directory's root. */
    void delete(String dn) throws LDAPException {
        try (LDAPConnection connection = root()) {
            connection.delete(dn);
        }
    }

    /** An {@code inetOrgPerson} below {@link #PEOPLE}. */
    static Entry person(String uid, String displayName, String password) {
        Entry entry = new Entry(personDn(uid));
        entry.addAttribute("objectClass", "inetOrgPerson");
        entry.addAttribute("uid", uid);
        entry.addAttribute("cn", displayName);
        entry.addAttribute("sn", uid);
        entry.addAttribute("displayName", displayName);
        entry.addAttribute("mail", uid + "@example.org");
        entry.addAttribute("userPassword", password);
        return entry;
    }

    /** A {@code groupOfNames} below {@link #GROUPS} with members by DN. */
    static Entry group(String cn, String... memberDns) {
        Entry entry = new Entry(groupDn(cn));
        entry.addAttribute("objectClass", "groupOfNames");
        entry.addAttribute("cn", cn);
        entry.addAttribute("member", memberDns);
        return entry;
    }

    static String personDn(String uid) {
        return "uid=" + uid + "," + PEOPLE;
    }

    static String groupDn(String cn) {
        return "cn=" + cn + "," + GROUPS;
    }

    private LDAPConnection root() throws LDAPException {
        return new LDAPConnection("127.0.0.1", plainPort, ROOT_DN, ROOT_PASSWORD);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean ca)
            throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), new X500Name(subject),
                subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA")
                .build(issuerKeys.getPrivate())));
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }
}
