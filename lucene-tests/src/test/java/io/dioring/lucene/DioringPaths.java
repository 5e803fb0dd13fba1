package io.dioring.lucene;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.apache.lucene.tests.mockfile.FilterPath;
import org.apache.lucene.tests.mockfile.VirusCheckingFS;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.apache.lucene.tests.util.TestUtil;

/** {@code dioring:} paths for the tests' platform paths. */
final class DioringPaths {
    private DioringPaths() {}

    /**
     * The {@code dioring:} path of {@code p}, a path Lucene's test framework made: its file
     * system is a stack of Lucene's mock file systems over the platform's. The new path is
     * dioring's, so those are dropped, except a virus checker, which is put back on top: tests
     * such as {@code testPendingDeletions} loop until it refuses a delete (without it they spun
     * forever creating and deleting files, while the provider's delete did as asked).
     */
    static Path of(Path p) {
        Path platform = FilterPath.unwrap(p).toAbsolutePath();
        Path dioring;
        try {
            dioring = Path.of(new URI("dioring", null, platform.toString(), null));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
        }
        if (TestUtil.hasVirusChecker(p)) {
            dioring = new VirusCheckingFS(dioring.getFileSystem(), LuceneTestCase.random().nextLong())
                    .wrapPath(dioring);
        }
        return dioring;
    }
}
