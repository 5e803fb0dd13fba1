package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KernelProbe}: what {@code dioring info} shows, through the public API. */
class KernelProbeTest {
    @TempDir
    Path dir;

    @Test
    void aRingReportsItsQueuesFlagsAndOpcodes() throws Exception {
        Kernel.assumeIoUring();
        KernelProbe.RingFacts ring = KernelProbe.ring(8, RingOptions.defaults());
        assertTrue(ring.sqEntries() >= 8, "sq " + ring.sqEntries());
        assertTrue(ring.cqEntries() >= ring.sqEntries(), "cq " + ring.cqEntries());
        assertNull(ring.opcodesUnknown());
        assertTrue(ring.opcodes().contains("READ") && ring.opcodes().contains("WRITEV"), ring.opcodes().toString());
        assertTrue(ring.lastOpcode() >= ring.opcodes().size() - 1, "last op " + ring.lastOpcode());
        assertFalse(RingSetup.featureNames(ring.setup().features()).isEmpty());
    }

    @Test
    void aFileReportsItsSizeFilesystemAndAlignment() throws IOException {
        Path file = dir.resolve("data");
        Files.write(file, new byte[12288]);
        KernelProbe.FileFacts facts = KernelProbe.file(file);
        assertEquals(12288, facts.size());
        assertFalse(facts.filesystem().isEmpty());
        assertTrue(facts.alignment().memory() >= 1 && facts.alignment().offset() >= 1, facts.alignment().toString());
    }

    @Test
    void aMissingFileIsAnIOExceptionNamingThePathAndErrno() {
        Path missing = dir.resolve("missing");
        IOException e = assertThrows(IOException.class, () -> KernelProbe.file(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("ENOENT"), e.getMessage());
    }
}
