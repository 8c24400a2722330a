package dev.shepherd.plugins.windows.syncml;

import dev.shepherd.plugins.windows.syncml.SyncCommand.Alert;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Atomic;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Malformed;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Operation;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Results;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Status;
import dev.shepherd.plugins.windows.syncml.SyncCommand.Verb;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyncMlTest {

    /** The first message of a session as Microsoft documents it (MS-MDM 4.1), with the Final a PC sends. */
    private static final String FIRST_MESSAGE = """
            <SyncML xmlns="SYNCML:SYNCML1.2">
              <SyncHdr>
                <VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID>
                <Target><LocURI>https://mdm.example.com/mdm/windows/ManagementServer/MDM.svc</LocURI></Target>
                <Source><LocURI>A1B2C3D4E5F60718293A4B5C6D7E8F90</LocURI></Source>
                <Meta><MaxMsgSize xmlns="syncml:metinf">65536</MaxMsgSize></Meta>
              </SyncHdr>
              <SyncBody>
                <Alert><CmdID>1</CmdID><Data>1201</Data></Alert>
                <Alert><CmdID>2</CmdID><Data>1224</Data><Item><Meta><Type xmlns="syncml:metinf">com.microsoft/MDM/LoginStatus</Type></Meta><Data>user</Data></Item></Alert>
                <Replace><CmdID>3</CmdID>
                  <Item><Source><LocURI>./DevInfo/DevId</LocURI></Source><Data>A1B2C3D4E5F60718293A4B5C6D7E8F90</Data></Item>
                  <Item><Source><LocURI>./DevInfo/Man</LocURI></Source><Data>Microsoft Corporation</Data></Item>
                </Replace>
                <Final/>
              </SyncBody>
            </SyncML>""";

    @Test
    void readsAPcsFirstMessage() {
        SyncMl message = SyncMlReader.read(FIRST_MESSAGE.getBytes(StandardCharsets.UTF_8));
        assertThat(message.header()).isEqualTo(new SyncHdr("1", "1", "https://mdm.example.com/mdm/windows/ManagementServer/MDM.svc",
                "A1B2C3D4E5F60718293A4B5C6D7E8F90", Optional.of(65536)));
        assertThat(message.fin()).isTrue();
        assertThat(message.commands()).hasSize(3);
        assertThat(message.commands().get(0)).isEqualTo(new Alert("1", "1201", List.of()));
        Alert login = (Alert) message.commands().get(1);
        assertThat(login.items().get(0).type()).hasValue("com.microsoft/MDM/LoginStatus");
        assertThat(login.items().get(0).data()).hasValue("user");
        Operation replace = (Operation) message.commands().get(2);
        assertThat(replace.verb()).isEqualTo(Verb.REPLACE);
        assertThat(replace.items()).extracting(Item::locUri).containsExactly(Optional.of("./DevInfo/DevId"), Optional.of("./DevInfo/Man"));
    }

    @Test
    void whatIsWrittenReadsBackTheSame() {
        SyncMl message = new SyncMl(new SyncHdr("1F", "2", "A1B2", "https://mdm.example.com/x", Optional.of(65536)), List.of(
                new Status("1", "2", "0", "SyncHdr", "200"),
                new Results("2", "1", "4", List.of(Item.source("./DevDetail/SwV", Optional.of("chr"), "10.0.22631.3880"))),
                new Alert("3", "1226", List.of(new Item(Optional.empty(), Optional.empty(), Optional.of("int"),
                        Optional.of("com.microsoft:mdm.unenrollment.userrequest"), Optional.of("1")))),
                new Operation(Verb.GET, "4", List.of(Item.target("./DevDetail/SwV"))),
                new Atomic("5", List.of(
                        new Operation(Verb.REPLACE, "6", List.of(Item.target("./Device/Vendor/MSFT/Policy/Config/DeviceLock/DevicePasswordEnabled",
                                Optional.of("int"), Optional.of("0")))),
                        new Operation(Verb.DELETE, "7", List.of(Item.target("./Device/Vendor/MSFT/Policy/Config/DeviceLock/DevicePasswordHistory"))))),
                new Operation(Verb.EXEC, "8", List.of(Item.target("./Device/Vendor/MSFT/Reboot/RebootNow"))),
                new Operation(Verb.ADD, "9", List.of(Item.target("./Device/Vendor/MSFT/Accounts/Domain/ComputerName",
                        Optional.of("chr"), Optional.of("PC-0042"))))), true);

        assertThat(SyncMlReader.read(SyncMlWriter.write(message))).isEqualTo(message);
    }

    @Test
    void writesMetaInTheMetinfNamespaceAsWindowsExpects() {
        String written = SyncMlWriter.write(new Operation(Verb.REPLACE, "6", List.of(Item.target("./Vendor/MSFT/X", Optional.of("int"),
                Optional.of("0")))));
        assertThat(written).isEqualTo("<Replace><CmdID>6</CmdID><Item><Target><LocURI>./Vendor/MSFT/X</LocURI></Target><Meta>"
                + "<Format xmlns=\"syncml:metinf\">int</Format><Type xmlns=\"syncml:metinf\">text/plain</Type></Meta>"
                + "<Data>0</Data></Item></Replace>");
    }

    @Test
    void escapesValuesSoXmlDataTravelsAsText() {
        String job = "<MsiInstallJob id=\"{AF9257BA}\"><Product Version=\"1.0\"/></MsiInstallJob> & 'more'";
        SyncMl message = new SyncMl(new SyncHdr("1", "1", "dev<ice>", "https://x/?a=1&b=2", Optional.empty()), List.of(
                new Operation(Verb.EXEC, "2", List.of(Item.target("./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7BAF%7D/DownloadInstall",
                        Optional.of("xml"), Optional.of(job))))), true);
        String xml = new String(SyncMlWriter.write(message), StandardCharsets.UTF_8);

        assertThat(xml).contains("<Data>&lt;MsiInstallJob id=&quot;{AF9257BA}&quot;&gt;").contains("<LocURI>https://x/?a=1&amp;b=2</LocURI>");
        Operation exec = (Operation) SyncMlReader.read(xml.getBytes(StandardCharsets.UTF_8)).commands().get(0);
        assertThat(exec.items().get(0).data()).hasValue(job);
        assertThat(SyncMlReader.read(xml.getBytes(StandardCharsets.UTF_8)).header().target()).isEqualTo("dev<ice>");
    }

    @Test
    void xmlAClientNestsInsideDataIsKeptAsText() {
        String xml = FIRST_MESSAGE.replace("<Data>Microsoft Corporation</Data>", "<Data><Info a=\"1\">x</Info></Data>");
        Operation replace = (Operation) SyncMlReader.read(xml.getBytes(StandardCharsets.UTF_8)).commands().get(2);
        assertThat(replace.items().get(1).data()).hasValueSatisfying(data -> assertThat(data).contains("<Info").contains("a=\"1\"").contains(">x</Info>"));
    }

    @Test
    void aCommandWithoutCmdIdOrUnknownToOmaDmIsMarkedMalformedAndTheRestIsRead() {
        String xml = FIRST_MESSAGE.replace("<Alert><CmdID>1</CmdID><Data>1201</Data></Alert>",
                "<Alert><Data>1201</Data></Alert><Frobnicate><CmdID>9</CmdID></Frobnicate>");
        List<SyncCommand> commands = SyncMlReader.read(xml.getBytes(StandardCharsets.UTF_8)).commands();
        assertThat(commands.get(0)).isEqualTo(new Malformed("", "Alert", "a command without a CmdID"));
        assertThat(commands.get(1)).isEqualTo(new Malformed("9", "Frobnicate", "not an OMA-DM command"));
        assertThat(commands).hasSize(4);
    }

    @Test
    void aNestedAtomicIsMalformed() {
        String xml = FIRST_MESSAGE.replace("<Final/>", "<Atomic><CmdID>7</CmdID><Atomic><CmdID>8</CmdID></Atomic></Atomic><Final/>");
        Atomic atomic = (Atomic) SyncMlReader.read(xml.getBytes(StandardCharsets.UTF_8)).commands().get(3);
        assertThat(atomic.commands()).containsExactly(new Malformed("8", "Atomic", "Atomic commands cannot be nested"));
    }

    @Test
    void somethingThatIsNotSyncMlHasNoHeaderToAnswer() {
        assertThatThrownBy(() -> SyncMlReader.read("<a><b></a>".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SyncMlException.class, e -> assertThat(e.header()).isEmpty())
                .hasMessageContaining("malformed XML");
        assertThatThrownBy(() -> SyncMlReader.read("<SyncML xmlns=\"urn:other\"/>".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SyncMlException.class, e -> assertThat(e.header()).isEmpty())
                .hasMessageContaining("SYNCML:SYNCML1.2");
        assertThatThrownBy(() -> SyncMlReader.read(FIRST_MESSAGE.replace("<SessionID>1</SessionID>", "").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SyncMlException.class, e -> assertThat(e.header()).isEmpty())
                .hasMessageContaining("SessionID");
    }

    @Test
    void aWrongVersionOrAMissingBodyIsRefusedWithTheHeaderToAnswerIn() {
        assertThatThrownBy(() -> SyncMlReader.read(FIRST_MESSAGE.replace("DM/1.2", "DM/1.1").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SyncMlException.class, e -> assertThat(e.header()).hasValueSatisfying(
                        header -> assertThat(header.source()).isEqualTo("A1B2C3D4E5F60718293A4B5C6D7E8F90")))
                .hasMessageContaining("VerProto DM/1.2");
        String noBody = FIRST_MESSAGE.substring(0, FIRST_MESSAGE.indexOf("<SyncBody>")) + "</SyncML>";
        assertThatThrownBy(() -> SyncMlReader.read(noBody.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SyncMlException.class, e -> assertThat(e.header()).isPresent())
                .hasMessageContaining("SyncBody");
    }

    @Test
    void externalEntitiesAreRefusedBeforeAnythingIsResolved() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + FIRST_MESSAGE.replace("<Data>Microsoft Corporation</Data>", "<Data>&x;</Data>");
        assertThatThrownBy(() -> SyncMlReader.read(xxe.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SyncMlException.class, e -> assertThat(e.header()).isEmpty())
                .hasMessageContaining("DTD");
    }

    @Test
    void aRawCommandIsReadWithoutNamespaceOrCmdId() {
        SyncCommand command = SyncMlReader.readCommand("<Get><Item><Target><LocURI>./DevDetail/SwV</LocURI></Target></Item></Get>");
        assertThat(command).isEqualTo(new Operation(Verb.GET, "0", List.of(Item.target("./DevDetail/SwV"))));
        assertThatThrownBy(() -> SyncMlReader.readCommand("<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>1</CmdRef><Cmd>Get</Cmd><Data>200</Data></Status>"))
                .isInstanceOf(SyncMlException.class).hasMessageContaining("answers a command");
        assertThatThrownBy(() -> SyncMlReader.readCommand("<Bogus/>")).isInstanceOf(SyncMlException.class).hasMessageContaining("Bogus");
    }

    @Test
    void successIs2xxButNotCanceledOrRolledBack() {
        assertThat(List.of(200, 202, 212, 214)).allMatch(StatusCodes::succeeded);
        assertThat(List.of(215, 216, 400, 404, 405, 500, 507)).noneMatch(StatusCodes::succeeded);
        assertThat(StatusCodes.describe(405)).isEqualTo("405 Command not allowed");
    }
}
