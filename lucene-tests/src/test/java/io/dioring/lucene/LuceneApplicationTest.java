package io.dioring.lucene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.child.ChildJvm;
import io.dioring.child.ChildResult;
import io.dioring.lucene.app.LuceneSearchApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unmodified Lucene application ({@link LuceneSearchApp}: index a few thousand documents
 * with {@code NIOFSDirectory}, search, print) run twice in child JVMs: on the platform's
 * file system, and with {@code -Djava.nio.file.spi.DefaultFileSystemProvider} naming
 * dioring's provider and a JFR recording ({@code dioring-io.jfc}: dioring's reads at
 * threshold 0). Both print the same results, and the recordings show the index read
 * through dioring: {@code io.dioring.FileRead} events on the index's files, and no
 * {@code jdk.FileRead} event on them, where the platform run (recorded alike, the
 * reference) has only {@code jdk.FileRead} events.
 */
class LuceneApplicationTest {
    private static final int DOCS = 3000;
    private static final Duration LIMIT = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    @Test
    void anUnmodifiedLuceneApplicationGetsTheSameResultsOnDioringAndItsReadsGoThroughTheEngine() throws Exception {
        DefaultProviderLuceneTest.assumeIoUring();
        Path platformIndex = tmp.resolve("platform-index");
        Path dioringIndex = tmp.resolve("dioring-index");
        Path jfr = tmp.resolve("app.jfr");
        Path platformJfr = tmp.resolve("platform.jfr");
        Path settings = Path.of(LuceneApplicationTest.class.getResource("dioring-io.jfc").toURI());

        ChildResult platform = ChildJvm.of("lucene-app-platform", LuceneSearchApp.class)
                .jvmArgs("-XX:StartFlightRecording:filename=" + platformJfr + ",settings=" + settings)
                .args(platformIndex.toString(), Integer.toString(DOCS)).timeout(LIMIT).run();
        ChildResult dioring = ChildJvm.of("lucene-app-dioring", LuceneSearchApp.class)
                .jvmArgs(DefaultProviderLuceneTest.DEFAULT_PROVIDER,
                        "-XX:StartFlightRecording:filename=" + jfr + ",settings=" + settings)
                .args(dioringIndex.toString(), Integer.toString(DOCS)).timeout(LIMIT).run();

        Map<String, String> p = platform.assertReported();
        Map<String, String> d = dioring.assertReported();
        assertEquals(0, platform.exitCode(), platform.diagnostics());
        assertEquals(0, dioring.exitCode(), dioring.diagnostics());
        assertEquals(Integer.toString(DOCS), p.get("docs"), platform.diagnostics());
        assertEquals(p, d, "the same index shape");
        assertTrue(platform.stdout().contains("provider sun.nio.fs.LinuxFileSystemProvider"), platform.stdout());
        assertTrue(dioring.stdout().contains("provider io.dioring.fs.DioringFileSystemProvider"), dioring.stdout());
        List<String> expected = queryLines(platform);
        assertEquals(Integer.parseInt(p.get("queries")), expected.size(), platform.stdout());
        assertTrue(expected.stream().filter(l -> !l.contains("total=0 hits")).count() >= 4,
                "the queries find documents: " + expected);
        assertEquals(expected, queryLines(dioring), "the same hits and scores on dioring");

        assertTrue(Files.size(jfr) > 0, "the recording was written: " + jfr);
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        List<RecordedEvent> dioringReads = reads(events, "io.dioring.FileRead", dioringIndex);
        List<RecordedEvent> jdkReads = reads(events, "jdk.FileRead", dioringIndex);
        List<RecordedEvent> reference = RecordingFile.readAllEvents(platformJfr);
        int platformJdkReads = reads(reference, "jdk.FileRead", platformIndex).size();
        assertTrue(platformJdkReads > 10, "the reference run records the JDK's reads of its index: " + platformJdkReads);
        assertEquals(0, reads(reference, "io.dioring.FileRead", platformIndex).size());
        long bytes = dioringReads.stream().mapToLong(e -> e.getLong("bytesRead")).sum();
        Map<String, Long> byExtension = dioringReads.stream().collect(Collectors.groupingBy(
                e -> extension(e.getString("path")), Collectors.counting()));
        System.out.println("Lucene application on dioring: " + dioringReads.size() + " io.dioring.FileRead events ("
                + bytes + " bytes) on the index, by file type " + byExtension + "; jdk.FileRead on it: "
                + jdkReads.size() + " (platform run: " + platformJdkReads + " jdk.FileRead); results " + d);
        assertTrue(dioringReads.size() > 10, "NIOFSDirectory's reads went through dioring: " + byExtension);
        assertTrue(bytes > 0);
        assertEquals(List.of(), jdkReads.stream().map(e -> e.getString("path")).distinct().toList(),
                "no index file read by the JDK's channel");
    }

    /** {@code type} events on files under {@code dir}. */
    private static List<RecordedEvent> reads(List<RecordedEvent> events, String type, Path dir) {
        String prefix = dir.toString();
        return events.stream()
                .filter(e -> e.getEventType().getName().equals(type))
                .filter(e -> e.getString("path") != null && e.getString("path").startsWith(prefix))
                .toList();
    }

    private static List<String> queryLines(ChildResult r) {
        return Arrays.stream(r.stdout().split("\n")).filter(l -> l.startsWith("query\t")).toList();
    }

    private static String extension(String path) {
        String name = Path.of(path).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name.replaceAll("_\\d+$", "") : name.substring(dot + 1);
    }
}
