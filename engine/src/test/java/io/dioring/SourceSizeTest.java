package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.SourceSizes;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * No engine main source is longer than 400 lines (issue 22: a file a reader can hold in mind,
 * one job each). Every file under {@code src/main/java} is hand-written; the generated bindings
 * live in {@code native-bindings}. Prints the largest files.
 */
class SourceSizeTest {
    static final int LIMIT = 400;

    @Test
    void noEngineSourceIsLongerThanTheLimit() throws IOException {
        List<SourceSizes.Size> sizes = SourceSizes.largestFirst(ArchitectureTest.MAIN);
        assertTrue(sizes.size() > 50, "read the engine's sources from " + ArchitectureTest.MAIN.toAbsolutePath());
        assertEquals(List.of(), SourceSizes.over(sizes, LIMIT, 10, "engine main sources"),
                "engine sources longer than " + LIMIT + " lines");
    }
}
