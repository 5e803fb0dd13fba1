package io.dioring.ring;

import io.dioring.RingSetupException;
import io.dioring.RingSetup;
import io.dioring.RingOptions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.Kernel;
import io.dioring.ffi.Errno;
import io.dioring.ffi.Libc;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ffi.linux.libc_h;
import io.dioring.request.IoRequest;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel ring driven directly: no engine, no ring thread. */
class RingTest {
    private static final int NOP = io_uring_h.IORING_OP_NOP();
    private static final int READ = io_uring_h.IORING_OP_READ();
    private static final int WRITE = io_uring_h.IORING_OP_WRITE();
    private static final int ENTRIES = 8;

    @TempDir
    Path dir;
    Ring ring;

    @BeforeEach
    void setUp() throws RingSetupException {
        Kernel.assumeIoUring();
        ring = Ring.create(ENTRIES, RingOptions.defaults());
    }

    @AfterEach
    void tearDown() {
        if (ring != null) {
            ring.close();
        }
    }

    @Test
    void nopRoundTripCarriesUserDataBack() {
        ring.prepare(NOP, 0, -1, 0, 0, 0, 0, 0, 0x1234_5678_9abcL);
        assertEquals(1, ring.submit(false));
        long[] userData = new long[1];
        int[] result = new int[1];
        reapAll(ring, userData, result, 1);
        assertEquals(0x1234_5678_9abcL, userData[0]);
        assertEquals(0, result[0], "NOP result");
        assertEquals(1, ring.sqesSubmitted());
        assertEquals(0, ring.cqOverflow());
    }

    @Test
    void writeThenReadAtAnOffsetOfAnODirectFile() throws IOException {
        Path path = dir.resolve("ring-rw");
        int fd = Libc.open(path.toString(), libc_h.O_RDWR() | libc_h.O_CREAT() | libc_h.O_DIRECT()
                | libc_h.O_CLOEXEC(), 0644);
        assertTrue(fd >= 0, () -> "open " + path + " with O_DIRECT: " + Errno.describe(fd));
        int length = 8192;
        long offset = 3 * 4096;
        byte[] expected = new byte[length];
        new Random(7).nextBytes(expected);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(length, 4096);
            MemorySegment dst = arena.allocate(length, 4096);
            MemorySegment.copy(expected, 0, src, ValueLayout.JAVA_BYTE, 0, length);
            long[] userData = new long[1];
            int[] result = new int[1];

            ring.prepare(WRITE, 0, fd, offset, src.address(), length, 0, 0, 1);
            assertEquals(1, ring.submit(false));
            reapAll(ring, userData, result, 1);
            assertEquals(1, userData[0]);
            assertEquals(length, result[0], () -> "WRITE result " + Errno.describe(result[0]));

            ring.prepare(READ, 0, fd, offset, dst.address(), length, 0, 0, 2);
            assertEquals(1, ring.submit(false));
            reapAll(ring, userData, result, 1);
            assertEquals(2, userData[0]);
            assertEquals(length, result[0], () -> "READ result " + Errno.describe(result[0]));
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_BYTE));
        } finally {
            assertEquals(0, Libc.close(fd));
        }
        byte[] onDisk = Files.readAllBytes(path);
        assertEquals(offset + length, onDisk.length, "file size after the write");
        assertArrayEquals(new byte[(int) offset], Arrays.copyOfRange(onDisk, 0, (int) offset), "hole before");
        assertArrayEquals(expected, Arrays.copyOfRange(onDisk, (int) offset, onDisk.length));
    }

    @Test
    void closeTwiceIsSafe() {
        assertFalse(ring.isClosed());
        ring.close();
        assertTrue(ring.isClosed());
        ring.close();
        assertTrue(ring.isClosed());
        var e = assertThrows(IllegalStateException.class, () -> ring.submit(false));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aFullSqIsAStateThenSubmitAndReapEverything() {
        int sq = ring.sqEntries();
        assertEquals(sq, ring.sqSpace());
        Set<Long> expected = new HashSet<>();
        long next = 100;
        // Two full SQs before reaping: the CQ (twice the SQ) holds every completion.
        for (int round = 0; round < 2; round++) {
            int prepared = 0;
            while (ring.sqSpace() > 0) {
                ring.prepare(NOP, 0, -1, 0, 0, 0, 0, 0, next);
                expected.add(next++);
                prepared++;
            }
            assertEquals(sq, prepared, "a full SQ holds exactly sqEntries SQEs");
            assertEquals(0, ring.sqSpace(), "full is reported, not overrun");
            assertEquals(0, ring.sqSpace(), "and stays full until submitted");
            assertEquals(sq, ring.submit(false));
            assertEquals(sq, ring.sqSpace(), "the kernel took every SQE");
        }
        long[] userData = new long[2 * sq];
        int[] result = new int[2 * sq];
        reapAll(ring, userData, result, 2 * sq);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 2 * sq; i++) {
            assertEquals(0, result[i]);
            seen.add(userData[i]);
        }
        assertEquals(expected, seen);
        assertEquals(0, ring.cqOverflow(), "no completion dropped");
        assertEquals(0, ring.cqReady());
        assertEquals(0, ring.reap(userData, result, userData.length), "nothing left");
    }

    @Test
    void cqIsTwiceTheSq() {
        System.out.println("ring of " + ENTRIES + ": sq " + ring.sqEntries() + ", cq " + ring.cqEntries());
        assertEquals(ENTRIES, ring.sqEntries());
        assertEquals(2 * ring.sqEntries(), ring.cqEntries());
    }

    @Test
    void setupFlagsAreNegotiated() throws IOException {
        RingSetup setup = ring.setup();
        System.out.println("setup flags taken: " + RingSetup.flagNames(setup.flags()) + "; dropped: "
                + RingSetup.flagNames(setup.dropped()) + "; features: " + RingSetup.featureNames(setup.features()));
        assertTrue((setup.flags() & RingSetup.CQSIZE) != 0, "CQSIZE is always taken");
        assertEquals(0, setup.flags() & setup.dropped(), "a flag is taken or dropped, not both");
        assertTrue(RingSetup.featureNames(setup.features()).contains("SINGLE_MMAP"));
        if (kernelAtLeast(6, 1)) {
            // SINGLE_ISSUER came in 6.0, DEFER_TASKRUN in 6.1.
            assertTrue(setup.singleIssuer(), RingSetup.flagNames(setup.flags()));
            assertTrue(setup.deferTaskrun(), RingSetup.flagNames(setup.flags()));
            assertTrue(RingSetup.flagNames(setup.flags()).contains("SINGLE_ISSUER|DEFER_TASKRUN"));
        } else {
            System.out.println("kernel " + osRelease() + " predates DEFER_TASKRUN: not asserted");
        }
        try (Ring plain = Ring.create(2, RingOptions.defaults().withoutSingleIssuer())) {
            assertFalse(plain.setup().singleIssuer());
            assertFalse(plain.setup().deferTaskrun());
        }
    }

    @Test
    void probeListsTheReadAndWriteOpcodes() throws RingSetupException {
        Probe probe = ring.probe();
        System.out.println("opcodes: " + probe.supportedNames());
        assertTrue(probe.supports(io_uring_h.IORING_OP_READ_FIXED()));
        assertTrue(probe.supports(READ));
        assertTrue(probe.supports(WRITE));
        assertTrue(probe.supports(NOP));
        assertTrue(probe.supportedNames().containsAll(Set.of("NOP", "READ_FIXED", "READ", "WRITE")));
        assertFalse(probe.supports(-1));
        assertFalse(probe.supports(probe.lastOp() + 1000));
        assertEquals("READ_FIXED", Probe.name(io_uring_h.IORING_OP_READ_FIXED()));
    }

    @Test
    void registeredRingFdStillSubmitsAndReaps() {
        assertFalse(ring.ringFdRegistered());
        assertTrue(ring.registerRingFd(), "IORING_REGISTER_RING_FDS (Linux 5.18+)");
        assertTrue(ring.ringFdRegistered());
        ring.prepare(NOP, 0, -1, 0, 0, 0, 0, 0, 77);
        assertEquals(1, ring.submit(false));
        long[] userData = new long[1];
        int[] result = new int[1];
        reapAll(ring, userData, result, 1);
        assertEquals(77, userData[0]);
    }

    @Test
    void aCqeForAUserDataTheSlotsDoNotKnowIsNotMatched() {
        Slots slots = new Slots(4);
        int slot = slots.acquire(new IoRequest(), NOP, 0, 0, 0, 0, 0);
        long stale = slots.issue(slot);
        long current = slots.issue(slot); // reissued: the first user_data is now stale
        long foreign = ((long) 1 << 32) | 999; // slot index beyond the table
        long reserved = Slots.RESERVED | slot;
        long[] sent = {stale, current, foreign, reserved};
        for (long ud : sent) {
            ring.prepare(NOP, 0, -1, 0, 0, 0, 0, 0, ud);
        }
        assertEquals(sent.length, ring.submit(false));
        long[] userData = new long[sent.length];
        int[] result = new int[sent.length];
        reapAll(ring, userData, result, sent.length);
        int matched = 0;
        for (long ud : userData) {
            int found = slots.lookup(ud);
            if (ud == current) {
                assertEquals(slot, found);
                matched++;
            } else {
                assertEquals(-1, found, "user_data 0x" + Long.toHexString(ud));
            }
        }
        assertEquals(1, matched, "exactly the current generation matches");
        slots.release(slot);
        assertEquals(-1, slots.lookup(current), "a released slot matches nothing");
    }

    /** Reaps exactly {@code n} CQEs, waiting in io_uring_enter when none is ready. */
    private static void reapAll(Ring ring, long[] userData, int[] result, int n) {
        long[] ud = new long[n];
        int[] res = new int[n];
        int got = 0;
        while (got < n) {
            int k = ring.reap(ud, res, n - got);
            if (k == 0) {
                ring.submit(true);
                continue;
            }
            System.arraycopy(ud, 0, userData, got, k);
            System.arraycopy(res, 0, result, got, k);
            got += k;
        }
    }

    private static String osRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] parts = osRelease().split("[.-]");
        try {
            int ma = Integer.parseInt(parts[0]);
            int mi = Integer.parseInt(parts[1]);
            return ma > major || (ma == major && mi >= minor);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
