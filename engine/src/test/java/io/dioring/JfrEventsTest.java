package io.dioring;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.Threshold;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JFR events of a known workload: every read, write and sync shows up once as
 * io.dioring.FileRead/FileWrite/FileForce, with its path, offset, sizes, end of file and
 * backend, when a recording asks for them at threshold 0.
 */
class JfrEventsTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 4;
    private static final List<String> EVENTS = List.of("io.dioring.FileRead", "io.dioring.FileWrite",
            "io.dioring.FileForce");

    @TempDir
    Path dir;
    IoEngine engine;

    @BeforeEach
    void setUp(Backend backend) throws IOException {
        if (backend == Backend.IO_URING) {
            Kernel.assumeIoUring();
        }
        engine = IoEngine.create(BackendSuite.defaults(backend));
    }

    @AfterEach
    void tearDown() {
        if (engine != null) {
            engine.close();
        }
    }

    @BackendTest
    void aKnownWorkloadRecordsOneEventPerRequestWithItsFields(Backend backend) throws Exception {
        Path file = dir.resolve("recorded");
        Path dump = dir.resolve("workload.jfr");
        try (Recording recording = new Recording()) {
            for (String name : EVENTS) {
                recording.enable(name).withThreshold(Duration.ZERO);
            }
            recording.start();
            try (DirectFile f = engine.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE)) {
                MemorySegment buf = engine.buffers().allocateFor(f, BLOCK);
                for (int i = 0; i < BLOCKS; i++) {
                    buf.fill((byte) i);
                    assertEquals(BLOCK, f.write((long) i * BLOCK, buf).get(10, SECONDS)); // the first ones extend
                }
                assertEquals(BLOCK, f.writeDurably(0, buf, false).get(10, SECONDS));
                assertEquals(0L, f.fsync().get(10, SECONDS));
                assertEquals(0L, f.fdatasync().get(10, SECONDS));
                for (int i = 0; i < BLOCKS; i++) {
                    assertEquals(BLOCK, f.readFully((long) i * BLOCK, buf));
                }
                MemorySegment two = engine.buffers().allocateFor(f, 2L * BLOCK);
                assertEquals(BLOCK, f.read((long) (BLOCKS - 1) * BLOCK, two).get(10, SECONDS), "short at the end");
            }
            recording.stop();
            recording.dump(dump);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(dump).stream()
                .filter(e -> EVENTS.contains(e.getEventType().getName()))
                .filter(e -> file.toString().equals(e.getString("path")))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                .toList();
        events.forEach(e -> System.out.println("recorded: " + e.getEventType().getName() + " " + e.getDuration()
                + " " + e.getFields().stream().map(d -> d.getName())
                        .filter(n -> !List.of("startTime", "duration", "eventThread", "stackTrace").contains(n))
                        .map(n -> n + "=" + e.getValue(n)).toList()));

        List<RecordedEvent> writes = ofType(events, "io.dioring.FileWrite");
        assertEquals(BLOCKS + 1, writes.size(), "four writes and one durable write");
        for (int i = 0; i < BLOCKS; i++) {
            RecordedEvent w = writes.get(i);
            assertEquals((long) i * BLOCK, w.getLong("offset"));
            assertEquals(BLOCK, w.getLong("bytesAsked"));
            assertEquals(BLOCK, w.getLong("bytesWritten"));
            assertFalse(w.getBoolean("durable"));
        }
        RecordedEvent durable = writes.get(BLOCKS);
        assertTrue(durable.getBoolean("durable"), "writeDurably");
        assertEquals(BLOCK, durable.getLong("bytesWritten"));

        List<RecordedEvent> forces = ofType(events, "io.dioring.FileForce");
        assertEquals(2, forces.size(), "fsync and fdatasync");
        assertTrue(forces.get(0).getBoolean("metaData"), "fsync");
        assertFalse(forces.get(1).getBoolean("metaData"), "fdatasync");

        List<RecordedEvent> reads = ofType(events, "io.dioring.FileRead");
        assertEquals(BLOCKS + 1, reads.size());
        for (int i = 0; i < BLOCKS; i++) {
            RecordedEvent r = reads.get(i);
            assertEquals((long) i * BLOCK, r.getLong("offset"));
            assertEquals(BLOCK, r.getLong("bytesRead"));
            assertFalse(r.getBoolean("endOfFile"));
        }
        RecordedEvent last = reads.get(BLOCKS);
        assertEquals(2L * BLOCK, last.getLong("bytesAsked"));
        assertEquals(BLOCK, last.getLong("bytesRead"));
        assertTrue(last.getBoolean("endOfFile"), "a short read without error is the end of the file");

        for (RecordedEvent e : events) {
            // On io_uring the extending writes (the first BLOCKS, made from this platform thread)
            // are made with pwrite on it: "syscall".
            boolean extending = e.getEventType().getName().equals("io.dioring.FileWrite")
                    && writes.indexOf(e) < BLOCKS;
            String expected = backend == Backend.THREADS ? "threads" : extending ? "syscall" : "io_uring";
            assertEquals(expected, e.getString("backend"), e.toString());
            assertEquals(0, e.getInt("errno"));
            assertFalse(e.getDuration().isNegative(), "submission to completion");
            assertTrue(e.getStackTrace() == null, "no stack trace by default");
        }
    }

    @BackendTest
    void theDefaultThresholdIsTwentyMillisecondsLikeTheJdksFileEvents(Backend backend) {
        for (Class<?> type : List.of(io.dioring.jfr.FileReadEvent.class, io.dioring.jfr.FileWriteEvent.class,
                io.dioring.jfr.FileForceEvent.class)) {
            assertEquals("20 ms", type.getAnnotation(Threshold.class).value(), type.getName());
        }
    }

    private static List<RecordedEvent> ofType(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
    }
}
