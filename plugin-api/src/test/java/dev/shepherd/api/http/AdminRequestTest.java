package dev.shepherd.api.http;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AdminRequestTest {

    @Test
    void anAdminRequestCarriesItsBodyInMemoryOrAsAFileNeverBoth() {
        AdminRequest inMemory = new AdminRequest("POST", "/upload", Map.of(), Map.of(), new byte[]{1, 2}, "alice", "ADMIN");
        AdminRequest asFile = new AdminRequest("POST", "/upload", Map.of(), Map.of(), new byte[0], "alice", "ADMIN",
                Optional.of(Path.of("body.part")));

        assertEquals(Optional.empty(), inMemory.bodyFile());
        assertEquals(Optional.of(Path.of("body.part")), asFile.bodyFile());
        assertThrows(IllegalArgumentException.class, () -> new AdminRequest("POST", "/upload", Map.of(), Map.of(), new byte[]{1},
                "alice", "ADMIN", Optional.of(Path.of("body.part"))));
    }
}
