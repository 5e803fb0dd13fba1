package io.dioring.lucene;

import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;

/**
 * Lucene's own directory test suite for {@link MMapDirectory} over {@code dioring:} paths:
 * its mappings are made through the platform's channel on the same open file, its writes
 * go through the engine.
 */
@ThreadLeakFilters(defaultFilters = true, filters = DioringThreads.class)
public class MMapDirectoryOnDioringTest extends BaseDirectoryTestCase {
    @Override
    protected Directory getDirectory(Path path) throws IOException {
        return new MMapDirectory(DioringPaths.of(path));
    }
}
