package io.dioring.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.dioring.Kernel;
import io.dioring.child.ChildJvm;
import io.dioring.child.ChildResult;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The conformance scenarios through the third door: dioring as the JVM's default provider, in a child JVM. */
class DefaultProviderConformanceTest {
    @Test
    void everyScenarioPassesWithDioringAsTheDefaultProvider() throws Exception {
        Kernel.assumeIoUring();
        ChildResult r = ChildJvm.of("default-provider-conformance", DefaultProviderScenarios.class)
                .jvmArgs("-Djava.nio.file.spi.DefaultFileSystemProvider=io.dioring.fs.DioringFileSystemProvider")
                .timeout(Duration.ofSeconds(120))
                .run();
        Map<String, String> f = r.assertReported();
        assertEquals("io.dioring.fs.DioringFileSystemProvider", f.get("provider"), r.diagnostics());
        assertEquals("", f.get("failures"), r.diagnostics());
        assertEquals(String.valueOf(ChannelScenarios.all().size()), f.get("passed"), r.diagnostics());
    }
}
