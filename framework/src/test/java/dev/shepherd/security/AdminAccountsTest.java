package dev.shepherd.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shepherd.audit.AuditEntry;
import dev.shepherd.audit.AuditFilter;
import dev.shepherd.testing.QrCodes;
import dev.shepherd.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Admin accounts through the running server: admins change their own password (proving the current one), admins
 * who manage admins reset others' and lift lockouts, common and trivial passwords are refused, failed sign-ins and
 * lockouts are audited, and a lockout says when to come back; an admin may add a TOTP second factor, after which a
 * sign-in needs a current code (once) or a recovery code (once), and an admin who manages admins can reset it.
 */
class AdminAccountsTest {

    @TempDir
    static Path home;
    private static TestServer server;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() {
        server = TestServer.start(home);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anAdminChangesTheirOwnPasswordWithTheCurrentOneAndTheirOtherSessionsEnd() throws Exception {
        server.server().adminUsers().create("mira", "first-Password-of-mira".toCharArray(), AdminRole.OPERATOR);
        Session here = signIn("mira", "first-Password-of-mira");
        Session elsewhere = signIn("mira", "first-Password-of-mira");

        HttpResponse<String> wrongCurrent = here.post("/api/v1/auth/password",
                "{\"currentPassword\":\"not-her-password\",\"newPassword\":\"lantern-Quartz-meadow\"}");
        HttpResponse<String> common = here.post("/api/v1/auth/password",
                "{\"currentPassword\":\"first-Password-of-mira\",\"newPassword\":\"Qwertyuiop2024!\"}");
        HttpResponse<String> changed = here.post("/api/v1/auth/password",
                "{\"currentPassword\":\"first-Password-of-mira\",\"newPassword\":\"lantern-Quartz-meadow\"}");

        assertThat(wrongCurrent.statusCode()).isEqualTo(403);
        assertThat(common.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(common.body()).path("detail").asText()).contains("most commonly used");
        assertThat(JSON.readTree(common.body()).path("errors").get(0).asText()).as("the field at fault, as a JSON Pointer")
                .startsWith("/newPassword: this password is one of the most commonly used ones");
        assertThat(changed.statusCode()).as(changed.body()).isEqualTo(204);
        assertThat(here.get("/api/v1/auth/me").statusCode()).as("the session that changed it goes on").isEqualTo(200);
        assertThat(elsewhere.get("/api/v1/auth/me").statusCode()).as("every other session ends").isEqualTo(401);
        assertThat(signInStatus("mira", "first-Password-of-mira")).isEqualTo(401);
        assertThat(signInStatus("mira", "lantern-Quartz-meadow")).isEqualTo(200);
        assertThat(audit("admin.password_change", "mira")).hasSize(1)
                .allSatisfy(entry -> assertThat(entry.after().orElse("") + entry.before().orElse("")).doesNotContain("lantern"));
    }

    @Test
    void anAdminWhoManagesAdminsResetsAnothersPasswordAndTheHelpDeskCannot() throws Exception {
        server.server().adminUsers().create("noor", "noors-original-secret".toCharArray(), AdminRole.HELPDESK);
        Session noor = signIn("noor", "noors-original-secret");
        Session admin = signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);

        HttpResponse<String> byHelpDesk = noor.post("/api/v1/admins/admin/password", "{\"newPassword\":\"taken-over-by-noor\"}");
        HttpResponse<String> trivial = admin.post("/api/v1/admins/noor/password", "{\"newPassword\":\"abcdefghijklmn\"}");
        HttpResponse<String> reset = admin.post("/api/v1/admins/noor/password", "{\"newPassword\":\"velvet-Harbour-91-kiln\"}");

        assertThat(byHelpDesk.statusCode()).isEqualTo(403);
        assertThat(trivial.statusCode()).isEqualTo(400);
        assertThat(reset.statusCode()).as(reset.body()).isEqualTo(204);
        assertThat(noor.get("/api/v1/auth/me").statusCode()).as("a reset ends the account's sessions").isEqualTo(401);
        assertThat(signInStatus("noor", "noors-original-secret")).isEqualTo(401);
        assertThat(signInStatus("noor", "velvet-Harbour-91-kiln")).isEqualTo(200);
        assertThat(admin.post("/api/v1/admins/nobody/password", "{\"newPassword\":\"velvet-Harbour-91-kiln\"}").statusCode()).isEqualTo(404);
        assertThat(audit("admin.password_reset", "noor")).singleElement()
                .satisfies(entry -> assertThat(entry.actorId()).isEqualTo(TestServer.ADMIN));
    }

    @Test
    void failedSignInsAreAuditedALockoutSaysWhenToComeBackAndAnAdminCanLiftIt() throws Exception {
        server.server().adminUsers().create("lou", "lous-right-password".toCharArray(), AdminRole.AUDITOR);
        for (int attempt = 0; attempt < 5; attempt++) {
            assertThat(signInStatus("lou", "a-wrong-guess-" + attempt)).isEqualTo(401);
        }

        HttpResponse<String> locked = login("lou", "lous-right-password");
        HttpResponse<String> lockedBasic = server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/me"))
                .header("Authorization", TestServer.basic("lou", "lous-right-password")).GET().build());

        assertThat(locked.statusCode()).isEqualTo(429);
        assertThat(locked.headers().firstValue("Retry-After")).hasValueSatisfying(seconds -> assertThat(Long.parseLong(seconds)).isPositive());
        assertThat(lockedBasic.statusCode()).isEqualTo(429);
        assertThat(lockedBasic.headers().firstValue("Retry-After")).isPresent();
        List<AuditEntry> failures = audit("auth.failed", "lou");
        assertThat(failures).hasSize(5).allSatisfy(entry -> assertThat(entry.after().orElseThrow()).contains("\"remote\":\"127.0.0.1\""));
        assertThat(audit("auth.locked", "lou")).hasSize(1);

        Session admin = signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        HttpResponse<String> unlocked = admin.post("/api/v1/admins/lou/unlock", null);
        assertThat(unlocked.statusCode()).as(unlocked.body()).isEqualTo(200);
        assertThat(JSON.readTree(unlocked.body()).path("wasLocked").asBoolean()).isTrue();
        assertThat(signInStatus("lou", "lous-right-password")).isEqualTo(200);
        assertThat(audit("admin.unlock", "lou")).hasSize(1);
    }

    @Test
    void commonAndTrivialPasswordsAreRefusedWhereverAPasswordIsSet() throws Exception {
        Session admin = signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        for (String weak : List.of("password1234", "iloveyou2024!!", "Shepherd2024!", "aaaaaaaaaaaaaa", "123456789012",
                "zyxwvutsrqpo", "patterson-2024", "2024-patterson!")) {
            HttpResponse<String> created = admin.post("/api/v1/admins",
                    "{\"username\":\"patterson\",\"password\":\"" + weak + "\",\"role\":\"AUDITOR\"}");
            assertThat(created.statusCode()).as(weak + ": " + created.body()).isEqualTo(400);
            assertThat(created.body()).doesNotContain(weak);
        }
        assertThat(admin.post("/api/v1/admins", "{\"username\":\"patterson\",\"password\":\"pebble-Orchard-kestrel\",\"role\":\"AUDITOR\"}")
                .statusCode()).isEqualTo(201);

        PasswordRules rules = PasswordRules.standard();
        assertThatThrownBy(() -> rules.check("someone", "football2024".toCharArray())).hasMessageContaining("commonly used");
        rules.check("someone", "correct horse battery staple".toCharArray());
        rules.check(TestServer.ADMIN, TestServer.ADMIN_PASSWORD.toCharArray());
    }

    @Test
    void anAdminEnrollsTotpAndThenSignsInWithThePasswordAndACurrentCodeWhichWorksOnce() throws Exception {
        server.server().adminUsers().create("tess", "tess-Password-of-old".toCharArray(), AdminRole.OPERATOR);
        Session tess = signIn("tess", "tess-Password-of-old");
        HttpResponse<String> started = tess.post("/api/v1/auth/totp", null);
        assertThat(started.statusCode()).as(started.body()).isEqualTo(201);
        JsonNode enrollment = JSON.readTree(started.body());
        byte[] key = Totp.fromBase32(enrollment.path("secret").asText());
        assertThat(enrollment.path("otpauthUri").asText()).startsWith("otpauth://totp/Shepherd%3Atess?secret=");
        assertThat(QrCodes.readDataUri(enrollment.path("qrCode").asText())).as("the QR code holds the link").isEqualTo(enrollment.path("otpauthUri").asText());
        assertThat(signInStatus("tess", "tess-Password-of-old")).as("not active before it is confirmed").isEqualTo(200);

        HttpResponse<String> wrong = tess.post("/api/v1/auth/totp/confirm", "{\"code\":\"" + wrongCode(key) + "\"}");
        long confirmedStep = currentStep();
        HttpResponse<String> confirmed = tess.post("/api/v1/auth/totp/confirm", "{\"code\":\"" + code(key, confirmedStep) + "\"}");

        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(confirmed.statusCode()).as(confirmed.body()).isEqualTo(200);
        assertThat(JSON.readTree(confirmed.body()).path("recoveryCodes")).hasSize(10);
        assertThat(JSON.readTree(tess.get("/api/v1/auth/totp").body()).path("active").asBoolean()).isTrue();

        HttpResponse<String> password = login("tess", "tess-Password-of-old");
        assertThat(password.statusCode()).as("the password alone starts no session").isEqualTo(202);
        assertThat(password.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(JSON.readTree(password.body()).has("csrfToken")).isFalse();
        String signInCode = code(key, Math.max(currentStep(), confirmedStep + 1));
        Session withCode = secondStep(password, "{\"code\":\"" + signInCode + "\"}");
        assertThat(withCode.get("/api/v1/auth/me").statusCode()).isEqualTo(200);
        HttpResponse<String> replayed = secondStepResponse(login("tess", "tess-Password-of-old"), "{\"code\":\"" + signInCode + "\"}");
        assertThat(replayed.statusCode()).as("a code is accepted once").isEqualTo(401);
        assertThat(secondStepResponse(password, "{\"code\":\"" + signInCode + "\"}").statusCode())
                .as("a pending sign-in is used once").isEqualTo(401);

        HttpResponse<String> token = withCode.post("/api/v1/api-tokens", "{\"name\":\"script\"}");
        HttpResponse<String> byToken = server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/me"))
                .header("Authorization", "Bearer " + JSON.readTree(token.body()).path("secret").asText()).GET().build());
        assertThat(byToken.statusCode()).as("API tokens need no code").isEqualTo(200);
        HttpResponse<String> byBasic = server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/me"))
                .header("Authorization", TestServer.basic("tess", "tess-Password-of-old")).GET().build());
        assertThat(byBasic.statusCode()).as("the password alone opens nothing, Basic credentials included").isEqualTo(401);

        assertThat(withCode.post("/api/v1/auth/totp/remove", "{\"password\":\"not-tess-password\"}").statusCode()).isEqualTo(403);
        assertThat(withCode.post("/api/v1/auth/totp/remove", "{\"password\":\"tess-Password-of-old\"}").statusCode()).isEqualTo(204);
        assertThat(signInStatus("tess", "tess-Password-of-old")).isEqualTo(200);
        JsonNode signInResponses = JSON.readTree(server.get("/api/openapi.json").body()).path("paths").path("/api/v1/auth/login")
                .path("post").path("responses");
        assertThat(signInResponses.path("202").path("content").path("application/json").path("schema").path("$ref").asText())
                .as("the OpenAPI document gives the answer that asks for the code").endsWith("SecondFactorRequired");
        assertThat(audit("admin.totp_enroll", "tess")).hasSize(1);
        assertThat(audit("auth.second_factor_required", "tess")).hasSize(2);
        assertThat(audit("admin.totp_remove", "tess")).hasSize(1);
        String secret = enrollment.path("secret").asText();
        assertThat(server.server().kernel().audit().read(new AuditFilter(Optional.empty(), Optional.empty(), Optional.of("tess"),
                Optional.empty(), Optional.empty(), Optional.empty()), 0, 100))
                .allSatisfy(entry -> assertThat(entry.after().orElse("") + entry.before().orElse("")).doesNotContain(secret, signInCode));
    }

    @Test
    void wrongCodesLockTheSecondStepAndEachRecoveryCodeWorksOnce() throws Exception {
        server.server().adminUsers().create("ravi", "ravi-Password-sturdy".toCharArray(), AdminRole.AUDITOR);
        Session ravi = signIn("ravi", "ravi-Password-sturdy");
        byte[] key = Totp.fromBase32(JSON.readTree(ravi.post("/api/v1/auth/totp", null).body()).path("secret").asText());
        long confirmedStep = currentStep();
        JsonNode recovery = JSON.readTree(ravi.post("/api/v1/auth/totp/confirm", "{\"code\":\"" + code(key, confirmedStep) + "\"}").body())
                .path("recoveryCodes");

        String recoveryCode = "{\"recoveryCode\":\"" + recovery.get(0).asText() + "\"}";
        assertThat(secondStepResponse(login("ravi", "ravi-Password-sturdy"), recoveryCode).statusCode()).isEqualTo(200);
        assertThat(secondStepResponse(login("ravi", "ravi-Password-sturdy"), recoveryCode).statusCode()).as("used up").isEqualTo(401);
        assertThat(audit("auth.recovery_code_used", "ravi")).hasSize(1);

        for (int attempt = 1; attempt < 5; attempt++) {
            assertThat(secondStepResponse(login("ravi", "ravi-Password-sturdy"), "{\"code\":\"" + wrongCode(key) + "\"}").statusCode())
                    .isEqualTo(401);
        }
        HttpResponse<String> locked = secondStepResponse(login("ravi", "ravi-Password-sturdy"),
                "{\"code\":\"" + code(key, Math.max(currentStep(), confirmedStep + 1)) + "\"}");

        assertThat(locked.statusCode()).as("five failures, the right code among them after four wrong ones and a used recovery code")
                .isEqualTo(429);
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
        assertThat(audit("auth.locked", "ravi")).hasSize(1);
    }

    @Test
    void anAdminResetsAnothersSecondFactorAndOtherRolesCannot() throws Exception {
        server.server().adminUsers().create("kai", "kai-Password-harbour".toCharArray(), AdminRole.HELPDESK);
        server.server().adminUsers().create("zoe", "zoe-Password-meadow".toCharArray(), AdminRole.OPERATOR);
        Session kai = signIn("kai", "kai-Password-harbour");
        byte[] key = Totp.fromBase32(JSON.readTree(kai.post("/api/v1/auth/totp", null).body()).path("secret").asText());
        assertThat(kai.post("/api/v1/auth/totp/confirm", "{\"code\":\"" + code(key, currentStep()) + "\"}").statusCode()).isEqualTo(200);
        assertThat(signInStatus("kai", "kai-Password-harbour")).isEqualTo(202);

        HttpResponse<String> byOperator = signIn("zoe", "zoe-Password-meadow").delete("/api/v1/admins/kai/totp");
        HttpResponse<String> byHimself = kai.delete("/api/v1/admins/kai/totp");
        Session admin = signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        HttpResponse<String> reset = admin.delete("/api/v1/admins/kai/totp");

        assertThat(byOperator.statusCode()).isEqualTo(403);
        assertThat(byHimself.statusCode()).isEqualTo(403);
        assertThat(reset.statusCode()).as(reset.body()).isEqualTo(204);
        assertThat(admin.delete("/api/v1/admins/kai/totp").statusCode()).as("nothing left to reset").isEqualTo(404);
        assertThat(signInStatus("kai", "kai-Password-harbour")).isEqualTo(200);
        assertThat(audit("admin.totp_reset", "kai")).singleElement()
                .satisfies(entry -> assertThat(entry.actorId()).isEqualTo(TestServer.ADMIN));
    }

    @Test
    void nobodyGrantsWhatTheyDoNotHoldAndNoChangeLeavesNobodyToManageAdmins() throws Exception {
        Session admin = signIn(TestServer.ADMIN, TestServer.ADMIN_PASSWORD);
        String keeperRole = id(admin.send("POST", "/api/v1/roles",
                "{\"name\":\"Account keeper\",\"permissions\":[\"ADMIN_MANAGE\",\"API_TOKEN_OWN\",\"DEVICE_READ\"]}"), 201);
        assertThat(admin.post("/api/v1/admins", "{\"username\":\"keeper\",\"password\":\"keeper-Password-willow\",\"role\":\""
                + keeperRole + "\"}").statusCode()).isEqualTo(201);
        Session keeper = signIn("keeper", "keeper-Password-willow");

        assertThat(keeper.send("POST", "/api/v1/roles", "{\"name\":\"Wiper\",\"permissions\":[\"DEVICE_READ\",\"DEVICE_WIPE\"]}")
                .statusCode()).as("a permission the keeper lacks").isEqualTo(403);
        String lookup = id(keeper.send("POST", "/api/v1/roles", "{\"name\":\"Lookup\",\"permissions\":[\"DEVICE_READ\"]}"), 201);
        assertThat(keeper.send("PUT", "/api/v1/roles/" + keeperRole,
                "{\"name\":\"Account keeper\",\"permissions\":[\"ADMIN_MANAGE\",\"API_TOKEN_OWN\",\"DEVICE_READ\",\"PLUGIN_MANAGE\"]}")
                .statusCode()).as("raising one's own role").isEqualTo(403);
        assertThat(keeper.post("/api/v1/admins", "{\"username\":\"ops-by-keeper\",\"password\":\"ops-Password-juniper\",\"role\":\"OPERATOR\"}")
                .statusCode()).as("assigning a role above one's own").isEqualTo(403);
        assertThat(keeper.post("/api/v1/admins", "{\"username\":\"looker\",\"password\":\"looker-Password-juniper\",\"role\":\"" + lookup + "\"}")
                .statusCode()).isEqualTo(201);
        assertThat(keeper.send("PATCH", "/api/v1/admins/" + TestServer.ADMIN, "{\"role\":\"" + lookup + "\"}").statusCode())
                .as("changing an account more powerful than oneself").isEqualTo(403);
        assertThat(admin.post("/api/v1/roles", "{\"name\":\"x\",\"permissions\":[\"NOT_A_PERMISSION\"]}").statusCode()).isEqualTo(400);
        assertThat(admin.send("DELETE", "/api/v1/roles/" + lookup, null).statusCode()).as("looker holds it").isEqualTo(409);
        assertThat(audit("role.create", lookup)).hasSize(1);

        String full = id(admin.send("POST", "/api/v1/roles", "{\"name\":\"Full\",\"permissions\":"
                + JSON.writeValueAsString(AdminRole.ADMIN.permissions()) + "}"), 201);
        assertThat(admin.post("/api/v1/admins", "{\"username\":\"chief\",\"password\":\"chief-Password-harbour\",\"role\":\"" + full + "\"}")
                .statusCode()).isEqualTo(201);
        Session chief = signIn("chief", "chief-Password-harbour");
        try {
            assertThat(chief.send("PATCH", "/api/v1/admins/keeper", "{\"disabled\":true}").statusCode()).isEqualTo(200);
            assertThat(chief.send("PATCH", "/api/v1/admins/" + TestServer.ADMIN, "{\"disabled\":true}").statusCode()).isEqualTo(200);

            HttpResponse<String> lockOut = chief.send("PUT", "/api/v1/roles/" + full, "{\"name\":\"Full\",\"permissions\":[\"DEVICE_READ\"]}");

            assertThat(lockOut.statusCode()).as("chief is the last who can manage admins").isEqualTo(409);
            assertThat(JSON.readTree(lockOut.body()).path("detail").asText()).contains("manage admins");
        } finally {
            server.server().adminUsers().update(TestServer.ADMIN, Optional.empty(), Optional.of(false));
        }
        assertThat(chief.send("PUT", "/api/v1/roles/" + full, "{\"name\":\"Full\",\"permissions\":[\"DEVICE_READ\"]}").statusCode())
                .as("the admin is back, so chief's role may shrink").isEqualTo(200);
        assertThat(chief.get("/api/v1/admins").statusCode()).as("in force on chief's next request").isEqualTo(403);
    }

    private static String id(HttpResponse<String> response, int status) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return JSON.readTree(response.body()).path("id").asText();
    }

    private static long currentStep() {
        return Totp.AUTHENTICATOR_APPS.stepAt(Instant.now());
    }

    private static String code(byte[] key, long step) {
        return Totp.AUTHENTICATOR_APPS.code(key, step);
    }

    /** A code of none of the steps the server could accept around now. */
    private static String wrongCode(byte[] key) {
        long step = currentStep();
        Set<String> near = Set.of(code(key, step - 2), code(key, step - 1), code(key, step), code(key, step + 1), code(key, step + 2));
        int candidate = 0;
        while (near.contains(String.format("%06d", candidate))) {
            candidate++;
        }
        return String.format("%06d", candidate);
    }

    private static HttpResponse<String> secondStepResponse(HttpResponse<String> password, String proof) throws Exception {
        assertThat(password.statusCode()).as(password.body()).isEqualTo(202);
        String pending = JSON.readTree(password.body()).path("pendingToken").asText();
        String body = "{\"pendingToken\":\"" + pending + "\"," + proof.substring(1);
        return server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login/second-factor")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static Session secondStep(HttpResponse<String> password, String proof) throws Exception {
        return session(secondStepResponse(password, proof));
    }

    private static List<AuditEntry> audit(String action, String target) {
        return server.server().kernel().audit().read(new AuditFilter(Optional.empty(), Optional.empty(), Optional.of(target),
                Optional.of(action), Optional.empty(), Optional.empty()), 0, 100);
    }

    private static HttpResponse<String> login(String username, String password) throws Exception {
        return server.send(HttpRequest.newBuilder(server.uri("/api/v1/auth/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("username", username, "password", password))))
                .build());
    }

    private static int signInStatus(String username, String password) throws Exception {
        return login(username, password).statusCode();
    }

    /** Signs in with a session, as the console does. */
    private static Session signIn(String username, String password) throws Exception {
        return session(login(username, password));
    }

    private static Session session(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        return new Session(response.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0], body.path("csrfToken").asText());
    }

    private record Session(String cookie, String csrf) {
        HttpResponse<String> get(String path) {
            return server.send(HttpRequest.newBuilder(server.uri(path)).header("Cookie", cookie).GET().build());
        }

        HttpResponse<String> send(String method, String path, String body) {
            HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).header("Cookie", cookie).header("X-CSRF-Token", csrf);
            if (body != null) {
                request.header("Content-Type", "application/json");
            }
            return server.send(request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
        }

        HttpResponse<String> delete(String path) {
            return server.send(HttpRequest.newBuilder(server.uri(path)).header("Cookie", cookie).header("X-CSRF-Token", csrf).DELETE().build());
        }

        HttpResponse<String> post(String path, String body) {
            HttpRequest.Builder request = HttpRequest.newBuilder(server.uri(path)).header("Cookie", cookie).header("X-CSRF-Token", csrf);
            if (body != null) {
                request.header("Content-Type", "application/json");
            }
            return server.send(request.POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
        }
    }
}
