package io.dioring.lucene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.IoEngine;
import io.dioring.child.ChildJvm;
import io.dioring.child.ChildResult;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lucene's BaseDirectoryTestCase for NIOFSDirectory, in a child JVM with dioring as the default provider. */
class DefaultProviderLuceneTest {
    static final String DEFAULT_PROVIDER =
            "-Djava.nio.file.spi.DefaultFileSystemProvider=io.dioring.fs.DioringFileSystemProvider";

    static void assumeIoUring() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }

    /** This JVM's {@code -Dtests.*} (the build's bounds on Lucene's randomized tests), for a child. */
    static String[] luceneTestProperties() {
        return System.getProperties().stringPropertyNames().stream()
                .filter(name -> name.startsWith("tests."))
                .sorted()
                .map(name -> "-D" + name + "=" + System.getProperty(name))
                .toArray(String[]::new);
    }

    @Test
    void niofsDirectoryPassesLucenesSuiteWithDioringAsTheDefaultProvider() throws Exception {
        assumeIoUring();
        ChildResult r = ChildJvm.of("lucene-niofs-default-provider", RunJUnit.class)
                .jvmArgs(DEFAULT_PROVIDER, "-Xmx512m", "-XX:TieredStopAtLevel=4")
                .jvmArgs(luceneTestProperties())
                .args(NIOFSDefaultProviderSubject.class.getName())
                .timeout(Duration.ofSeconds(300))
                .run();
        Map<String, String> f = r.assertReported();
        assertEquals("io.dioring.fs.DioringFileSystemProvider", f.get("provider"), r.diagnostics());
        assertEquals("0", f.get("failed"), r.diagnostics());
        assertTrue(Integer.parseInt(f.get("succeeded")) > 20, "Lucene's tests ran: " + f);
        System.out.println("NIOFSDirectory with dioring as the default provider: " + f);
    }
}
