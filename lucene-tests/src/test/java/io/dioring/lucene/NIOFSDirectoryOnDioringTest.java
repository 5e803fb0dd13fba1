package io.dioring.lucene;

import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;

/** Lucene's own directory test suite for {@link NIOFSDirectory} over {@code dioring:} paths. */
@ThreadLeakFilters(defaultFilters = true, filters = DioringThreads.class)
public class NIOFSDirectoryOnDioringTest extends BaseDirectoryTestCase {
    @Override
    protected Directory getDirectory(Path path) throws IOException {
        return new NIOFSDirectory(DioringPaths.of(path));
    }
}
