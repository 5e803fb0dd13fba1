package io.dioring.lucene;

import com.carrotsearch.randomizedtesting.annotations.ThreadLeakFilters;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.tests.store.BaseDirectoryTestCase;

/**
 * Lucene's directory test suite for a plain {@link NIOFSDirectory} on the default file
 * system: run in a child JVM where dioring is the default provider
 * ({@link DefaultProviderLuceneTest}); not a test of its own (the name keeps it out of the
 * build's test run).
 */
@ThreadLeakFilters(defaultFilters = true, filters = DioringThreads.class)
public class NIOFSDefaultProviderSubject extends BaseDirectoryTestCase {
    @Override
    protected Directory getDirectory(Path path) throws IOException {
        return new NIOFSDirectory(path);
    }
}
