package io.dioring.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.SourceReferences;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tools' main sources form no cycle of references, by the engine's rule
 * ({@code io.dioring.ArchitectureTest}, {@link SourceReferences}): a file names only files it
 * does not reach back from.
 */
class ToolsArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/io/dioring/tools");

    @Test
    void toolsSourcesFormNoReferenceCycle() throws IOException {
        Map<String, String> sources = SourceReferences.read(MAIN);
        List<List<String>> cycles = SourceReferences.cycles(SourceReferences.references(sources, "io.dioring.tools"));
        System.out.println("tools main files: " + sources.size() + ", reference cycles: " + cycles.size());
        assertTrue(sources.size() > 30, "read the tools' sources from " + MAIN.toAbsolutePath());
        assertEquals(List.of(), cycles, "files that refer to each other, directly or through others");
    }
}
