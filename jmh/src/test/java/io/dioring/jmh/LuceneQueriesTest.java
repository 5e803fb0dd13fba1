package io.dioring.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.nio.file.ExtendedOpenOption;
import io.dioring.IoEngine;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@link LuceneQueries}: every store answers the queries as Lucene does on the platform,
 * while the benchmark's searchers run, and the benchmark runs under JMH (in a child JVM,
 * briefly, on a small index).
 */
class LuceneQueriesTest {
    private static final int DOCS = 5_000;

    @BeforeAll
    static void needsIoUring() {
        String cause = IoEngine.unavailabilityCause();
        if (cause != null) {
            System.out.println("SKIPPED: io_uring unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring unavailable: " + cause);
    }

    @Test
    void everyStoreGivesTheSameAnswers(@TempDir Path dir) throws Exception {
        Path index = LuceneIndex.directory(dir, DOCS);
        boolean direct = supportsDirect(dir);
        if (!direct) {
            System.out.println("SKIPPED: the direct stores: O_DIRECT unsupported under " + dir);
        }
        for (String kind : List.of("term", "boolean")) {
            long expected;
            try (FSDirectory d = FSDirectory.open(index); DirectoryReader r = DirectoryReader.open(d)) {
                IndexSearcher s = new IndexSearcher(r);
                List<Query> queries = LuceneIndex.queries(kind, LuceneQueries.QUERIES, 7);
                expected = LuceneQueries.answers(s, queries);
                long matching = 0;
                for (Query q : queries) {
                    matching += s.count(q) > 0 ? 1 : 0;
                }
                assertTrue(matching > queries.size() / 2, matching + " of " + queries.size() + " " + kind
                        + " queries match something: the answers would not tell the stores apart");
            }
            Map<String, Long> answers = new LinkedHashMap<>();
            for (String store : List.of("platform", "dioring", "platformDirect", "dioringDirect")) {
                if (!direct && store.endsWith("Direct")) {
                    continue;
                }
                LuceneQueries bench = new LuceneQueries();
                bench.store = store;
                bench.kind = kind;
                bench.vthreads = 8;
                try {
                    bench.start(index); // its searchers run meanwhile
                    answers.put(store, bench.answers());
                    bench.search(); // the searchers make progress
                } finally {
                    bench.tearDown();
                }
            }
            for (Map.Entry<String, Long> e : answers.entrySet()) {
                assertEquals(expected, e.getValue(), kind + " queries on store " + e.getKey()
                        + " answer otherwise than on FSDirectory.open");
            }
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void runsUnderJmh(@TempDir Path dir) throws Exception {
        // JMH's one-run-per-machine lock (/tmp/jmh.lock) would fail this test while a benchmark
        // runs; this run is a check, not a measurement.
        System.setProperty("jmh.ignoreLock", "true");
        Options options = new OptionsBuilder()
                .include(LuceneQueries.class.getName() + ".search")
                .param("store", "dioring")
                .param("kind", "boolean")
                .param("vthreads", "16")
                .forks(1)
                .jvmArgsAppend("-Ddioring.jmh.dir=" + dir, "-Ddioring.jmh.luceneDocs=" + DOCS, "-Xmx512m")
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.seconds(1))
                .addProfiler(CpuPerOp.class)
                .shouldFailOnError(true)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertEquals(1, results.size(), "runs: " + results);
        RunResult result = results.iterator().next();
        assertTrue(result.getPrimaryResult().getScore() > 0, "searches/s " + result.getPrimaryResult());
        Map<String, Result> secondary = result.getSecondaryResults();
        assertFalse(secondary.isEmpty(), "no CpuPerOp results");
        assertTrue(secondary.get("threads.peak").getScore() > 0, "threads.peak " + secondary);
        assertTrue(Files.exists(dir.resolve("lucene-" + DOCS)), "the index was not made under " + dir);
    }

    private static boolean supportsDirect(Path dir) throws IOException {
        Path probe = dir.resolve("direct-probe");
        Files.write(probe, new byte[4096]);
        try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            Files.delete(probe);
        }
    }

    @Test
    void memoryCountsTheDirectBuffersNotYetFreed() {
        java.nio.ByteBuffer held = java.nio.ByteBuffer.allocateDirect(1 << 20);
        String line = LuceneQueries.memory();
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\\[memory\\] direct buffers (\\d+) \\((\\d+) MiB\\), RSS (.+), GCs (\\d+)").matcher(line);
        assertTrue(m.matches(), line);
        assertTrue(Long.parseLong(m.group(1)) >= 1, line);
        assertTrue(Long.parseLong(m.group(2)) >= 1, line);
        assertTrue(m.group(3).endsWith("kB"), line + ": the resident size from /proc/self/status");
        assertEquals(1 << 20, held.capacity());
    }
}
