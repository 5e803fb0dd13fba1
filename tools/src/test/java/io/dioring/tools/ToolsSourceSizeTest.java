package io.dioring.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.SourceSizes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** No tools main source is longer than 450 lines (issue 22). Prints the largest files. */
class ToolsSourceSizeTest {
    static final int LIMIT = 450;
    private static final Path MAIN = Path.of("src/main/java");

    @Test
    void noToolsSourceIsLongerThanTheLimit() throws IOException {
        List<SourceSizes.Size> sizes = SourceSizes.largestFirst(MAIN);
        assertTrue(sizes.size() > 30, "read the tools' sources from " + MAIN.toAbsolutePath());
        assertEquals(List.of(), SourceSizes.over(sizes, LIMIT, 10, "tools main sources"),
                "tools sources longer than " + LIMIT + " lines");
    }
}
