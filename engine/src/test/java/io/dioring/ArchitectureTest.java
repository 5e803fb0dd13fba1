package io.dioring;

import static io.dioring.testing.SourceReferences.cycles;
import static io.dioring.testing.SourceReferences.references;
import static io.dioring.testing.SourceReferences.strip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.SourceReferences;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The engine's main sources form no cycle of references: each file names only files below it
 * on the data path or beside it in a lower layer. A file refers to another when it imports
 * it, names it by its qualified name, or names a class of its own package (comments and
 * string literals left out; see {@link SourceReferences}). Read from the source tree, so it
 * runs where the build runs.
 */
class ArchitectureTest {
    static final Path MAIN = Path.of("src/main/java/io/dioring");

    @Test
    void engineSourcesFormNoReferenceCycle() throws IOException {
        Map<String, String> sources = SourceReferences.read(MAIN);
        Map<String, Set<String>> refs = references(sources, "io.dioring");
        List<List<String>> cycles = cycles(refs);
        System.out.println("engine main files: " + sources.size() + ", reference cycles: " + cycles.size());
        assertTrue(sources.size() > 50, "read the engine's sources from " + MAIN.toAbsolutePath());
        assertEquals(List.of(), cycles, "files that refer to each other, directly or through others");
    }

    @Test
    void theCheckFindsACycleThroughAPackageAndOneThroughAnImport() {
        Map<String, String> sources = new TreeMap<>();
        sources.put("a.A", strip("class A { B b; /* C */ String s = \"C\"; }"));
        sources.put("a.B", strip("import io.dioring.c.C; class B { C c; }"));
        sources.put("c.C", strip("class C { io.dioring.a.A a; }"));
        sources.put("c.D", strip("class D { io.dioring.a.A a; }"));
        assertEquals(List.of(List.of("a.A", "a.B", "c.C")), cycles(references(sources, "io.dioring")));
        sources.put("c.C", strip("class C { // io.dioring.a.A\n }"));
        assertEquals(List.of(), cycles(references(sources, "io.dioring")), "comments do not count");
    }
}
