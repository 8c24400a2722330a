package dev.shepherd.plugins.windows.enrollment;

import dev.shepherd.api.http.DeviceResponse;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * MS-XCEP {@code GetPolicies}: the certificate template the client builds its key pair and request from. One policy:
 * an RSA key of at least 2048 bits and SHA-256, for a certificate valid as long as the server issues them. The
 * caller authenticates the request first, as MS-MDE2 asks.
 */
public final class CertificatePolicies {

    static final String ACTION = "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies";
    static final String RESPONSE_ACTION = ACTION + "Response";
    private static final String NAMESPACE = "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy";
    static final int MINIMAL_KEY_LENGTH = 2048;

    private final Duration certificateValidity;

    public CertificatePolicies(Duration certificateValidity) {
        this.certificateValidity = requireNonNull(certificateValidity, "certificateValidity is null");
    }

    /** Answers a GetPolicies request. */
    public DeviceResponse answer(Soap.Request soap) {
        if (!ACTION.equals(soap.action()) || !"GetPolicies".equals(soap.body().getLocalName())) {
            throw new Soap.FaultException(Soap.Fault.MESSAGE_FORMAT, "expected a GetPolicies request, got action '" + soap.action() + "'");
        }
        long validity = certificateValidity.toSeconds();
        // Renewal may start in the last fifth of the certificate's life.
        long renewal = validity / 5;
        String nil = " xsi:nil=\"true\"/>";
        String body = "<GetPoliciesResponse xmlns=\"" + NAMESPACE + "\"><response><policyID/>"
                + "<policyFriendlyName" + nil + "<nextUpdateHours" + nil + "<policiesNotChanged" + nil
                + "<policies><policy><policyOIDReference>0</policyOIDReference><cAs" + nil + "<attributes>"
                + "<commonName>Shepherd device identity</commonName><policySchema>3</policySchema>"
                + "<certificateValidity><validityPeriodSeconds>" + validity + "</validityPeriodSeconds>"
                + "<renewalPeriodSeconds>" + renewal + "</renewalPeriodSeconds></certificateValidity>"
                + "<permission><enroll>true</enroll><autoEnroll>false</autoEnroll></permission>"
                + "<privateKeyAttributes><minimalKeyLength>" + MINIMAL_KEY_LENGTH + "</minimalKeyLength><keySpec" + nil
                + "<keyUsageProperty" + nil + "<permissions" + nil + "<algorithmOIDReference" + nil + "<cryptoProviders" + nil
                + "</privateKeyAttributes><revision><majorRevision>101</majorRevision><minorRevision>0</minorRevision></revision>"
                + "<supersededPolicies" + nil + "<privateKeyFlags" + nil + "<subjectNameFlags" + nil + "<enrollmentFlags" + nil
                + "<generalFlags" + nil + "<hashAlgorithmOIDReference>0</hashAlgorithmOIDReference><rARequirements" + nil
                + "<keyArchivalAttributes" + nil + "<extensions" + nil + "</attributes></policy></policies></response>"
                + "<cAs" + nil + "<oIDs><oID><value>2.16.840.1.101.3.4.2.1</value><group>1</group><oIDReferenceID>0</oIDReferenceID>"
                + "<defaultName>szOID_NIST_sha256</defaultName></oID></oIDs></GetPoliciesResponse>";
        return Soap.answer(RESPONSE_ACTION, soap.messageId(), body);
    }
}
