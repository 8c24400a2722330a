package dev.shepherd.pki;

import dev.shepherd.api.pki.ServerSigner;
import dev.shepherd.security.TlsMaterial.ServerIdentity;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;

import static java.util.Objects.requireNonNull;

/** Signs with the server's TLS identity as CMS SignedData, content attached. */
public final class CmsServerSigner implements ServerSigner {

    private final ServerIdentity identity;

    public CmsServerSigner(ServerIdentity identity) {
        this.identity = requireNonNull(identity, "identity is null");
    }

    @Override
    public List<X509Certificate> chain() {
        return identity.chain();
    }

    @Override
    public byte[] signAttached(byte[] content) {
        requireNonNull(content, "content is null");
        String algorithm = switch (identity.privateKey().getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            default -> "SHA256withRSA";
        };
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder(algorithm).build(identity.privateKey()), identity.chain().get(0)));
            generator.addCertificates(new JcaCertStore(identity.chain()));
            return generator.generate(new CMSProcessableByteArray(content), true).getEncoded("DER");
        } catch (OperatorCreationException | CertificateEncodingException | CMSException | IOException e) {
            throw new IllegalStateException("Cannot sign with the server identity: " + e.getMessage(), e);
        }
    }
}
