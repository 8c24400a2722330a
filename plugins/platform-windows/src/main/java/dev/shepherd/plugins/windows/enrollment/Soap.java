package dev.shepherd.plugins.windows.enrollment;

import dev.shepherd.api.http.DeviceResponse;
import dev.shepherd.plugins.windows.xml.SafeXml;
import dev.shepherd.plugins.windows.xml.XmlException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * SOAP 1.2 with WS-Addressing and WS-Security, as the Windows enrollment client speaks it (MS-MDE2): reading a
 * request's envelope and credentials, and writing answers and faults. Faults are the client's errors ({@code
 * s:Sender}, HTTP 400) unless the server itself failed, and carry MS-MDE2's {@code DeviceEnrollmentServiceError}
 * detail so the client can show the user why.
 */
public final class Soap {

    public static final String ENVELOPE = "http://www.w3.org/2003/05/soap-envelope";
    public static final String ADDRESSING = "http://www.w3.org/2005/08/addressing";
    public static final String SECURITY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    public static final String UTILITY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    public static final String ENROLLMENT = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment";
    public static final String CONTENT_TYPE = "application/soap+xml; charset=utf-8";

    /** Why a request was refused, in MS-MDE2's terms. */
    public enum Fault {
        /** The message is not what the service expects. */
        MESSAGE_FORMAT("s:Sender", "s:MessageFormat", "MessageFormat", 400),
        /** The credentials are missing or wrong. */
        AUTHENTICATION("s:Sender", "s:Authentication", "AuthenticationFailure", 400),
        /** The user may not enroll this device. */
        AUTHORIZATION("s:Sender", "s:Authorization", "AuthorizationFailure", 400),
        /** The certificate request cannot be signed. */
        CERTIFICATE_REQUEST("s:Sender", "s:CertificateRequest", "CertificateRequestError", 400),
        /** The server cannot enroll now. */
        ENROLLMENT_SERVER("s:Receiver", "s:EnrollmentServer", "EnrollmentServerError", 503);

        private final String code;
        private final String subcode;
        private final String errorType;
        private final int httpStatus;

        Fault(String code, String subcode, String errorType, int httpStatus) {
            this.code = code;
            this.subcode = subcode;
            this.errorType = errorType;
            this.httpStatus = httpStatus;
        }
    }

    /** A refusal, carried up to the endpoint which answers it as a SOAP fault. */
    public static final class FaultException extends RuntimeException {
        private final Fault fault;

        public FaultException(Fault fault, String message) {
            super(message);
            this.fault = requireNonNull(fault, "fault is null");
        }

        public Fault fault() {
            return fault;
        }
    }

    /** What the client presented in {@code wsse:Security}. */
    public record Credentials(Optional<String> username, Optional<String> password, Optional<String> binaryToken,
                              Optional<String> binaryTokenType) {
    }

    /** A request envelope. */
    public record Request(String action, String messageId, Element body, Credentials credentials) {
    }

    private Soap() {
    }

    /**
     * @throws FaultException {@link Fault#MESSAGE_FORMAT} when the bytes are not a SOAP 1.2 envelope with a body
     */
    public static Request parse(byte[] bytes) {
        Document document;
        try {
            document = SafeXml.parse(bytes);
        } catch (XmlException e) {
            throw new FaultException(Fault.MESSAGE_FORMAT, e.getMessage());
        }
        Element envelope = document.getDocumentElement();
        if (!ENVELOPE.equals(envelope.getNamespaceURI()) || !"Envelope".equals(envelope.getLocalName())) {
            throw new FaultException(Fault.MESSAGE_FORMAT, "not a SOAP 1.2 envelope");
        }
        Element body = SafeXml.child(envelope, ENVELOPE, "Body").flatMap(element -> SafeXml.children(element).stream().findFirst())
                .orElseThrow(() -> new FaultException(Fault.MESSAGE_FORMAT, "the envelope has no body"));
        Optional<Element> header = SafeXml.child(envelope, ENVELOPE, "Header");
        String action = header.flatMap(element -> SafeXml.childText(element, ADDRESSING, "Action")).orElse("");
        String messageId = header.flatMap(element -> SafeXml.childText(element, ADDRESSING, "MessageID")).orElse("");
        Optional<Element> security = header.flatMap(element -> SafeXml.child(element, SECURITY, "Security"));
        Optional<Element> usernameToken = security.flatMap(element -> SafeXml.child(element, SECURITY, "UsernameToken"));
        Optional<Element> binaryToken = security.flatMap(element -> SafeXml.child(element, SECURITY, "BinarySecurityToken"));
        Credentials credentials = new Credentials(
                usernameToken.flatMap(element -> SafeXml.childText(element, SECURITY, "Username")),
                usernameToken.flatMap(element -> SafeXml.childText(element, SECURITY, "Password")),
                binaryToken.map(element -> element.getTextContent().trim()).filter(text -> !text.isEmpty()),
                binaryToken.map(element -> element.getAttribute("ValueType")));
        return new Request(action, messageId, body, credentials);
    }

    /**
     * @param action the response's WS-Addressing action
     * @param relatesTo the request's message id
     * @param bodyXml the body's content, already XML
     */
    public static DeviceResponse answer(String action, String relatesTo, String bodyXml) {
        String envelope = "<s:Envelope xmlns:s=\"" + ENVELOPE + "\" xmlns:a=\"" + ADDRESSING + "\" xmlns:u=\"" + UTILITY + "\">"
                + "<s:Header><a:Action s:mustUnderstand=\"1\">" + SafeXml.escape(action) + "</a:Action>"
                + "<ActivityId xmlns=\"http://schemas.microsoft.com/2004/09/ServiceModel/Diagnostics\">" + UUID.randomUUID() + "</ActivityId>"
                + "<a:RelatesTo>" + SafeXml.escape(relatesTo) + "</a:RelatesTo></s:Header>"
                + "<s:Body xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
                + bodyXml + "</s:Body></s:Envelope>";
        // Windows reads the answer in one piece: a fixed length, never chunked.
        return DeviceResponse.of(200, CONTENT_TYPE, envelope.getBytes(StandardCharsets.UTF_8));
    }

    /** A SOAP fault with MS-MDE2's error detail; the message is shown to the user, so it says what to do. */
    public static DeviceResponse fault(Fault fault, String message, String relatesTo) {
        String traceId = UUID.randomUUID().toString();
        String envelope = "<s:Envelope xmlns:s=\"" + ENVELOPE + "\" xmlns:a=\"" + ADDRESSING + "\">"
                + "<s:Header><a:Action s:mustUnderstand=\"1\">http://www.w3.org/2005/08/addressing/soap/fault</a:Action>"
                + (relatesTo.isEmpty() ? "" : "<a:RelatesTo>" + SafeXml.escape(relatesTo) + "</a:RelatesTo>") + "</s:Header>"
                + "<s:Body><s:Fault><s:Code><s:Value>" + fault.code + "</s:Value><s:Subcode><s:Value>" + fault.subcode
                + "</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang=\"en-US\">" + SafeXml.escape(message) + "</s:Text></s:Reason>"
                + "<s:Detail><DeviceEnrollmentServiceError xmlns=\"" + ENROLLMENT + "\"><ErrorType>" + fault.errorType + "</ErrorType>"
                + "<Message>" + SafeXml.escape(message) + "</Message><TraceId>" + traceId + "</TraceId></DeviceEnrollmentServiceError>"
                + "</s:Detail></s:Fault></s:Body></s:Envelope>";
        return DeviceResponse.of(fault.httpStatus, CONTENT_TYPE, envelope.getBytes(StandardCharsets.UTF_8));
    }
}
