package io.dioring.reap;

import io.dioring.ffi.Errno;
import io.dioring.ffi.linux.io_uring_h;
import io.dioring.ring.IoRing;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded stand-in for the kernel's ring, with the same interface as {@link io.dioring.ring.Ring}.
 *
 * <p>"Files" are byte arrays keyed by fd. SQEs are executed against them when they
 * complete, reading and writing the caller's native memory at the raw addresses of the SQE
 * (READ/WRITE, their FIXED variants, and READV/WRITEV over an iovec array). On each
 * {@link #submit} the ring takes the prepared SQEs (sometimes only some of them, as the
 * kernel does under EAGAIN), then completes a random subset of what it holds in a random
 * order. Each file can be given faults: a transient short transfer at a byte position, a
 * "wall" where transfers stop and make no progress, EIO on any SQE covering a byte, and
 * random EAGAIN. It can also post stale and unknown CQEs, which the engine must ignore.
 *
 * <p>It checks the bound the engine promises: SQEs held plus CQEs not yet reaped never
 * exceed the CQ size (a real kernel would overflow the CQ); a breach throws.
 */
public final class SimulatedRing implements IoRing {
    static final int OP_READ = io_uring_h.IORING_OP_READ();
    static final int OP_WRITE = io_uring_h.IORING_OP_WRITE();
    static final int OP_READ_FIXED = io_uring_h.IORING_OP_READ_FIXED();
    static final int OP_WRITE_FIXED = io_uring_h.IORING_OP_WRITE_FIXED();
    static final int OP_READV = io_uring_h.IORING_OP_READV();
    static final int OP_WRITEV = io_uring_h.IORING_OP_WRITEV();
    static final int OP_FSYNC = io_uring_h.IORING_OP_FSYNC();

    /** One SQE as the ring saw it. */
    public record Sqe(long seq, int opcode, int fd, long offset, long address, int length, long userData) {
        boolean isRead() {
            return opcode == OP_READ || opcode == OP_READ_FIXED || opcode == OP_READV;
        }

        boolean isVectored() {
            return opcode == OP_READV || opcode == OP_WRITEV;
        }
    }

    /** One CQE posted, with the SQE it answers (null for injected stale or unknown ones). */
    public record Cqe(Sqe sqe, long userData, int result) {}

    /** An in-memory file with optional faults. */
    public static final class SimFile {
        byte[] data = new byte[0];
        long size;
        /** Transient short: the first SQE strictly spanning this position stops there, once. */
        long shortAt = -1;
        boolean shortUsed;
        /** Transfers stop at this position: an SQE from before stops there, one starting there moves 0 bytes. */
        long wallAt = -1;
        /** Any SQE covering one of these bytes fails with EIO. */
        long[] eioAt = new long[0];
        /** Chance that an SQE on this file completes with EAGAIN instead. */
        double eagain;
        int eagainPosted;
        int shortPosted;
        /** SQEs of this file completed in an order other than issue order. */
        boolean reordered;
        long lastSeqDone = -1;
        final List<Cqe> log = new ArrayList<>();

        public byte[] contents() {
            return Arrays.copyOf(data, (int) size);
        }

        public void setContents(byte[] bytes) {
            data = bytes.clone();
            size = bytes.length;
        }

        public List<Cqe> log() {
            return log;
        }

        public int eagainPosted() {
            return eagainPosted;
        }

        public int shortPosted() {
            return shortPosted;
        }

        public boolean reordered() {
            return reordered;
        }

        void ensure(long end) {
            if (end > data.length) {
                data = Arrays.copyOf(data, (int) Math.max(end, 2L * data.length));
            }
        }
    }

    private final Random random;
    private final int sqEntries;
    private final int cqEntries;
    private final Map<Integer, SimFile> files = new HashMap<>();
    private final List<Sqe> prepared = new ArrayList<>();
    private final List<Sqe> held = new ArrayList<>();
    private final long[] cqUserData;
    private final int[] cqResult;
    private int cqHead;
    private int cqCount;
    private final List<Long> deliveredUserData = new ArrayList<>();
    private long seq;
    private int toPost;
    private boolean closed;

    /** Chance that one submit takes only some of the prepared SQEs. */
    double partialSubmit = 0.15;
    /** Chance that an SQE the ring holds completes during a given submit. */
    double completeChance = 0.6;
    /** Chance, per CQE posted, of also posting a replay of an earlier CQE's user_data. */
    double staleChance;
    /** Chance, per CQE posted, of also posting a user_data no slot ever had. */
    double unknownChance;
    /** Submits left before io_uring_enter fails for good (RingFailedException, EBADF); -1 never. */
    volatile int failSubmitAfter = -1;
    private int staleInjected;
    private int partialSubmits;
    private long sqesTaken;

    public SimulatedRing(long seed, int sqEntries, int cqEntries) {
        if (sqEntries < 1 || cqEntries < sqEntries) {
            throw new IllegalArgumentException("sq " + sqEntries + ", cq " + cqEntries + ": need 1 <= sq <= cq");
        }
        this.random = new Random(seed);
        this.sqEntries = sqEntries;
        this.cqEntries = cqEntries;
        this.cqUserData = new long[cqEntries];
        this.cqResult = new int[cqEntries];
    }

    /** The file behind {@code fd}, created empty on first use. */
    public SimFile file(int fd) {
        return files.computeIfAbsent(fd, k -> new SimFile());
    }

    /** Stale and unknown CQEs posted so far. */
    public int staleInjected() {
        return staleInjected;
    }

    /** Submits that took fewer SQEs than were prepared. */
    public int partialSubmits() {
        return partialSubmits;
    }

    public long sqesTaken() {
        return sqesTaken;
    }

    /** SQEs submitted and not yet completed. */
    public int held() {
        return held.size();
    }

    /** SQEs on {@code fd} prepared or held: memory the "kernel" may still touch. */
    public int inFlightFor(int fd) {
        int n = 0;
        for (Sqe s : prepared) {
            n += s.fd() == fd ? 1 : 0;
        }
        for (Sqe s : held) {
            n += s.fd() == fd ? 1 : 0;
        }
        return n;
    }

    @Override
    public int sqEntries() {
        return sqEntries;
    }

    @Override
    public int cqEntries() {
        return cqEntries;
    }

    @Override
    public int sqSpace() {
        return sqEntries - prepared.size();
    }

    @Override
    public void prepare(int opcode, int sqeFlags, int fd, long fileOffset, long address, int length, int opFlags,
            int bufIndex, long userData) {
        checkOpen();
        if (prepared.size() >= sqEntries) {
            throw new IllegalStateException("SQ overrun: " + prepared.size() + " SQEs prepared in an SQ of "
                    + sqEntries + " (the caller must check sqSpace)");
        }
        prepared.add(new Sqe(seq++, opcode, fd, fileOffset, address, length, userData));
    }

    @Override
    public int submit(boolean waitForOne) {
        checkOpen();
        if (failSubmitAfter >= 0 && failSubmitAfter-- == 0) {
            throw new io.dioring.ring.RingFailedException("io_uring_enter (simulated)", Errno.EBADF);
        }
        int take = prepared.size();
        if (take > 0 && random.nextDouble() < partialSubmit) {
            take = random.nextInt(take);
            partialSubmits++;
        }
        for (int i = 0; i < take; i++) {
            held.add(prepared.remove(0));
        }
        sqesTaken += take;
        if (held.size() + cqCount > cqEntries) {
            throw new IllegalStateException("CQ bound broken: " + held.size() + " SQEs in flight and " + cqCount
                    + " CQEs unreaped exceed the CQ size " + cqEntries);
        }
        List<Sqe> done = new ArrayList<>();
        for (int i = held.size() - 1; i >= 0; i--) {
            if (random.nextDouble() < completeChance) {
                done.add(held.remove(i));
            }
        }
        if (waitForOne && done.isEmpty() && cqCount == 0) {
            if (held.isEmpty()) {
                if (!prepared.isEmpty()) {
                    return take; // the kernel took nothing this time (EAGAIN): the caller retries
                }
                throw new IllegalStateException("submit(wait) with nothing in flight would block forever");
            }
            done.add(held.remove(random.nextInt(held.size())));
        }
        Collections.shuffle(done, random);
        toPost = done.size();
        for (Sqe s : done) {
            toPost--;
            post(s, execute(s));
        }
        return take;
    }

    private void post(Sqe s, int result) {
        push(s.userData(), result);
        SimFile f = file(s.fd());
        f.log.add(new Cqe(s, s.userData(), result));
        if (s.seq() < f.lastSeqDone) {
            f.reordered = true;
        }
        f.lastSeqDone = Math.max(f.lastSeqDone, s.seq());
        deliveredUserData.add(s.userData());
        if (random.nextDouble() < staleChance && room()) {
            // A replay of a CQE already posted (this one, or one long gone).
            long old = random.nextBoolean() ? s.userData()
                    : deliveredUserData.get(random.nextInt(deliveredUserData.size()));
            push(old, random.nextBoolean() ? 0 : -Errno.EIO);
            staleInjected++;
        }
        if (random.nextDouble() < unknownChance && room()) {
            long unknown = ((long) (random.nextInt(1 << 20) + 1) << 32) | (1 << 20) + random.nextInt(1000);
            push(unknown, -Errno.EIO);
            staleInjected++;
        }
    }

    /** Room for one more CQE beyond every SQE still owed one. */
    private boolean room() {
        return held.size() + toPost + cqCount < cqEntries;
    }

    private void push(long userData, int result) {
        if (cqCount == cqEntries) {
            throw new IllegalStateException("CQ overflow: " + cqEntries + " CQEs unreaped");
        }
        int i = (cqHead + cqCount) % cqEntries;
        cqUserData[i] = userData;
        cqResult[i] = result;
        cqCount++;
    }

    /** Carries out one SQE against its file, with the file's faults; returns the CQE's res. */
    private int execute(Sqe s) {
        SimFile f = file(s.fd());
        if (s.opcode() == OP_FSYNC) {
            return 0;
        }
        long[] bases;
        long[] lengths;
        if (s.isVectored()) {
            MemorySegment iov = MemorySegment.ofAddress(s.address()).reinterpret(16L * s.length());
            bases = new long[s.length()];
            lengths = new long[s.length()];
            for (int i = 0; i < s.length(); i++) {
                bases[i] = iov.get(ValueLayout.JAVA_LONG, 16L * i);
                lengths[i] = iov.get(ValueLayout.JAVA_LONG, 16L * i + 8);
            }
        } else {
            bases = new long[] {s.address()};
            lengths = new long[] {s.length()};
        }
        long total = 0;
        for (long l : lengths) {
            total += l;
        }
        long start = s.offset();
        long end = start + total;
        if (f.eagain > 0 && random.nextDouble() < f.eagain) {
            f.eagainPosted++;
            return -Errno.EAGAIN;
        }
        for (long p : f.eioAt) {
            if (p >= start && p < end) {
                return -Errno.EIO;
            }
        }
        long n = total;
        if (f.wallAt >= 0 && start <= f.wallAt && f.wallAt < end) {
            n = f.wallAt - start;
        }
        if (f.shortAt > start && f.shortAt < end && !f.shortUsed) {
            f.shortUsed = true;
            f.shortPosted++;
            n = Math.min(n, f.shortAt - start);
        }
        if (s.isRead()) {
            n = Math.max(0, Math.min(n, f.size - start));
        }
        long moved = 0;
        for (int i = 0; i < bases.length && moved < n; i++) {
            int chunk = (int) Math.min(lengths[i], n - moved);
            MemorySegment mem = MemorySegment.ofAddress(bases[i]).reinterpret(chunk);
            if (s.isRead()) {
                MemorySegment.copy(f.data, (int) (start + moved), mem, ValueLayout.JAVA_BYTE, 0, chunk);
            } else {
                f.ensure(start + moved + chunk);
                MemorySegment.copy(mem, ValueLayout.JAVA_BYTE, 0, f.data, (int) (start + moved), chunk);
                f.size = Math.max(f.size, start + moved + chunk);
            }
            moved += chunk;
        }
        return (int) n;
    }

    @Override
    public int reap(long[] userData, int[] result, int max) {
        checkOpen();
        int n = Math.min(cqCount, max);
        for (int i = 0; i < n; i++) {
            userData[i] = cqUserData[cqHead];
            result[i] = cqResult[cqHead];
            cqHead = (cqHead + 1) % cqEntries;
        }
        cqCount -= n;
        return n;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("simulated ring closed");
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
