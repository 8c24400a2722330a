package dev.shepherd.plugins.ios;

import com.dd.plist.NSArray;
import com.dd.plist.NSData;
import com.dd.plist.NSDictionary;
import dev.shepherd.apple.Plists;
import dev.shepherd.pki.ScepClient;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * An iPhone as the server sees it, speaking Apple's MDM protocol byte for byte: it gets its identity over SCEP,
 * signs every message with a detached CMS signature in {@code Mdm-Signature}, checks in (Authenticate,
 * TokenUpdate, CheckOut) and runs the command loop, answering commands as a device does.
 */
final class AppleDeviceSimulator {

    private final URI server;
    private final String udid;
    private final HttpClient http = HttpClient.newHttpClient();
    private X509Certificate certificate;
    private PrivateKey key;

    AppleDeviceSimulator(URI server, String udid) {
        this.server = server;
        this.udid = udid;
    }

    String udid() {
        return udid;
    }

    X509Certificate certificate() {
        return certificate;
    }

    /** SCEP with the challenge from the enrollment profile. */
    ScepClient.Result enrollIdentity(String challenge) throws Exception {
        ScepClient.Result result = new ScepClient(server.resolve("/scep")).enroll("CN=" + udid + ",O=Shepherd simulator", challenge);
        result.certificate().ifPresent(issued -> useIdentity(issued, result.key()));
        return result;
    }

    void useIdentity(X509Certificate identity, KeyPair keys) {
        this.certificate = identity;
        this.key = keys.getPrivate();
    }

    /** Presents another simulator's identity: a valid certificate, for the wrong device. */
    void useIdentityOf(AppleDeviceSimulator other) {
        this.certificate = other.certificate;
        this.key = other.key;
    }

    HttpResponse<String> authenticate() throws Exception {
        NSDictionary message = message("Authenticate");
        message.put("Topic", "com.apple.mgmt.External.simulator");
        message.put("SerialNumber", "SIM" + udid.substring(0, Math.min(8, udid.length())));
        message.put("ProductName", "iPhone16,2");
        message.put("Model", "MU663");
        message.put("OSVersion", "17.5.1");
        message.put("BuildVersion", "21F90");
        message.put("DeviceName", "Simulated iPhone");
        return checkIn(message);
    }

    HttpResponse<String> tokenUpdate() throws Exception {
        NSDictionary message = message("TokenUpdate");
        message.put("Topic", "com.apple.mgmt.External.simulator");
        message.put("Token", new NSData(new byte[]{1, 2, 3, 4, 5, 6, 7, 8}));
        message.put("PushMagic", "00000000-1111-2222-3333-444444444444");
        message.put("UnlockToken", new NSData(new byte[]{9, 9, 9}));
        return checkIn(message);
    }

    HttpResponse<String> checkOut() throws Exception {
        return checkIn(message("CheckOut"));
    }

    HttpResponse<String> checkIn(NSDictionary message) throws Exception {
        return put("/mdm/apple-ios/checkin", Plists.xml(message), signature(Plists.xml(message)));
    }

    /** Idle: asks for the next command; returns the command plist, or empty when there is none. */
    Optional<NSDictionary> idle() throws Exception {
        NSDictionary report = new NSDictionary();
        report.put("UDID", udid);
        report.put("Status", "Idle");
        return command(put("/mdm/apple-ios/connect", Plists.xml(report), signature(Plists.xml(report))));
    }

    /** Answers a command the way an iPhone does and returns the next one. */
    Optional<NSDictionary> answer(NSDictionary command, String status) throws Exception {
        NSDictionary report = new NSDictionary();
        report.put("UDID", udid);
        report.put("Status", status);
        report.put("CommandUUID", Plists.string(command, "CommandUUID"));
        String type = Plists.string((NSDictionary) command.objectForKey("Command"), "RequestType");
        if (status.equals("Acknowledged") && "DeviceInformation".equals(type)) {
            NSDictionary answers = new NSDictionary();
            answers.put("OSVersion", "17.6");
            answers.put("DeviceName", "Front desk iPhone");
            answers.put("SerialNumber", "SIMSERIAL01");
            answers.put("ProductName", "iPhone16,2");
            answers.put("IsSupervised", true);
            answers.put("BatteryLevel", 0.83);
            report.put("QueryResponses", answers);
        }
        if (status.equals("Error")) {
            NSDictionary error = new NSDictionary();
            error.put("ErrorCode", 12021);
            error.put("ErrorDomain", "MCMDMErrorDomain");
            error.put("LocalizedDescription", "The passcode is not compliant.");
            report.put("ErrorChain", new NSArray(error));
        }
        return command(put("/mdm/apple-ios/connect", Plists.xml(report), signature(Plists.xml(report))));
    }

    HttpResponse<String> put(String path, byte[] body, Optional<String> signature) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.resolve(path)).header("Content-Type", "application/x-apple-aspen-mdm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        signature.ifPresent(value -> request.header("Mdm-Signature", value));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private Optional<NSDictionary> command(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the server answered " + response.statusCode() + ": " + response.body());
        }
        return response.body().isEmpty() ? Optional.empty() : Optional.of(Plists.dictionary(response.body().getBytes()));
    }

    private NSDictionary message(String type) {
        NSDictionary message = new NSDictionary();
        message.put("MessageType", type);
        message.put("UDID", udid);
        return message;
    }

    /** The Mdm-Signature header: base64 of a detached CMS SignedData over the body. */
    Optional<String> signature(byte[] body) throws Exception {
        return Optional.of(sign(body, certificate, key));
    }

    static String sign(byte[] body, X509Certificate certificate, PrivateKey key) throws Exception {
        CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
        generator.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key), certificate));
        generator.addCertificates(new JcaCertStore(List.of(certificate)));
        return Base64.getEncoder().encodeToString(generator.generate(new CMSProcessableByteArray(body), false).getEncoded());
    }
}
