package dev.shepherd.directory;

import dev.shepherd.api.device.DeviceId;
import dev.shepherd.api.device.Platform;
import dev.shepherd.device.DeviceChanges;
import dev.shepherd.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

import static dev.shepherd.testing.TestKernel.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The built-in directory of the people devices belong to. */
class DirectoryServiceTest {

    @TempDir
    Path home;
    private TestKernel test;
    private DirectoryService directory;

    @BeforeEach
    void open() {
        test = TestKernel.open(home);
        directory = test.kernel().directory();
    }

    @AfterEach
    void close() {
        test.close();
    }

    @Test
    void peopleAreAddedFoundAndSearched() {
        DirectoryUser ana = directory.create(ADMIN, DirectoryService.LOCAL, "ana", "Ana Lima", "ana@example.com");
        directory.create(ADMIN, DirectoryService.LOCAL, "bo", "Bo Chen", "bo@example.com");

        assertThat(directory.find("local", "ana")).hasValue(ana);
        assertThat(directory.search("an", Optional.empty(), 10)).extracting(DirectoryUser::username).containsExactly("ana");
        assertThat(directory.search("", Optional.of("ana"), 10)).extracting(DirectoryUser::username).containsExactly("bo");
        assertThatThrownBy(() -> directory.create(ADMIN, DirectoryService.LOCAL, "ana", "Another", ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already");
        assertThatThrownBy(() -> directory.create(ADMIN, DirectoryService.LOCAL, "bad name", "X", ""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void devicesAreAssignedOnlyToKnownPeopleAndFreedWhenThePersonGoes() {
        DirectoryUser ana = directory.create(ADMIN, DirectoryService.LOCAL, "ana", "Ana Lima", "ana@example.com");
        DeviceId device = test.enrollId(Platform.IOS, "ANAS");

        test.kernel().devices().update(ADMIN, device, assignTo(ana.id()), OptionalLong.empty());
        assertThat(test.kernel().devices().get(device).orElseThrow().device().userId()).hasValue(ana.id());
        assertThatThrownBy(() -> test.kernel().devices().update(ADMIN, device, assignTo("no-such-user"), OptionalLong.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("no user no-such-user");

        assertThat(directory.delete(ADMIN, ana.id())).isTrue();

        assertThat(test.kernel().devices().get(device).orElseThrow().device().userId()).isEmpty();
    }

    private static DeviceChanges assignTo(String userId) {
        return new DeviceChanges(Optional.empty(), Optional.empty(), Optional.of(userId), Optional.empty(), Optional.empty());
    }
}
