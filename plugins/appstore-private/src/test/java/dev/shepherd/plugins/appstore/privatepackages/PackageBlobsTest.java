package dev.shepherd.plugins.appstore.privatepackages;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Uploads the kernel wrote to files are taken over by a move, or by a copy from another file system, and hashed. */
class PackageBlobsTest {

    @TempDir
    Path directory;
    @TempDir
    Path kernelFiles;
    private Path otherFileSystem;

    @AfterEach
    void removeOtherFileSystemFiles() throws IOException {
        if (otherFileSystem != null) {
            try (Stream<Path> files = Files.walk(otherFileSystem)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    @Test
    void anUploadOnTheSameFileSystemIsMovedAndHashedAndKeptUnderItsDigest() throws Exception {
        PackageBlobs blobs = new PackageBlobs(directory);
        byte[] content = bytes(300_000);
        Path upload = Files.write(kernelFiles.resolve("body.part"), content);

        PackageBlobs.Incoming taken = blobs.take(upload, content.length);

        assertThat(upload).doesNotExist();
        assertThat(taken.blob()).isEqualTo(new PackageBlobs.Blob(PrivatePackagesTest.sha256(content), content.length));
        PackageBlobs.Blob kept = blobs.keep(taken);
        assertThat(blobs.find(kept.sha256())).hasValueSatisfying(file -> assertThat(file).hasBinaryContent(content));
        assertThat(list(directory.resolve("incoming"))).isEmpty();
    }

    @Test
    void anUploadOnAnotherFileSystemIsCopiedWhileItIsHashed() throws Exception {
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(directory)),
                "needs a second file system at /dev/shm");
        otherFileSystem = Files.createTempDirectory(shm, "kernel-files-");
        PackageBlobs blobs = new PackageBlobs(directory);
        byte[] content = bytes(300_000);
        Path upload = Files.write(otherFileSystem.resolve("body.part"), content);

        PackageBlobs.Incoming taken = blobs.take(upload, content.length);

        assertThat(upload).doesNotExist();
        assertThat(taken.blob()).isEqualTo(new PackageBlobs.Blob(PrivatePackagesTest.sha256(content), content.length));
        assertThat(taken.file()).startsWith(directory.resolve("incoming")).hasBinaryContent(content);
    }

    @Test
    void anUploadPastTheLimitIsRefusedAndNothingIsTakenOver() throws Exception {
        PackageBlobs blobs = new PackageBlobs(directory);
        Path upload = Files.write(kernelFiles.resolve("body.part"), bytes(1001));

        assertThatThrownBy(() -> blobs.take(upload, 1000)).isInstanceOf(PackageBlobs.TooLargeException.class)
                .hasMessageContaining("at most 1000 bytes");
        assertThat(upload).exists();
        assertThat(list(directory.resolve("incoming"))).isEmpty();
    }

    private static List<Path> list(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.toList();
        }
    }

    private static byte[] bytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }
}
