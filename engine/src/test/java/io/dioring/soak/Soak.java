package io.dioring.soak;

import io.dioring.Backend;
import io.dioring.DirectFile;
import io.dioring.EngineConfig;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import io.dioring.testing.FaultFs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A mixed load over every door of the engine at once, on both backends, every byte checked
 * against a model: {@code scripts/soak.sh --minutes N}. Per backend an engine with four files
 * (one on the FUSE fault filesystem when it can be mounted: delays, short reads, EIO), and
 * one worker per door (futures, callbacks, blocking calls from two virtual threads, an
 * owner-driven ring, the channel view) on random lanes of random files; a maintenance
 * thread does fsync, fdatasync, truncate, close and reopen, and restarts an engine, checking
 * whole files after each. Resources are sampled every 30 s ({@link Samples}); the last line
 * is the verdict, exit 0 only on PASS.
 */
public final class Soak {
    private static final int FILES_PER_SLOT = 4;

    /** One backend's engine and its files; the write lock is held while the engine restarts. */
    static final class Slot {
        final Backend backend;
        final List<SoakFile> files = new ArrayList<>();
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        volatile IoEngine engine;
        volatile int generation;

        Slot(Backend backend) {
            this.backend = backend;
        }

        void start() throws IOException {
            engine = IoEngine.create(EngineConfig.defaults().withBackend(backend));
            generation++;
            for (SoakFile f : files) {
                f.open(engine);
            }
        }
    }

    private final Tally tally = new Tally();
    private final Doors doors = new Doors(tally);
    private final List<Slot> slots = new ArrayList<>();
    private volatile boolean stop;

    public static void main(String[] args) throws Exception {
        double seconds = 60;
        long sampleSeconds = 30;
        Path dir = Path.of("target/soak");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--minutes" -> seconds = 60 * Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--sample-seconds" -> sampleSeconds = Long.parseLong(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: Soak [--minutes N | --seconds N] [--sample-seconds S] [--dir D]; "
                            + "unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (seconds <= 0 || sampleSeconds <= 0) {
            System.err.println("soak: duration " + seconds + " s and sample period " + sampleSeconds
                    + " s must be positive");
            System.exit(2);
        }
        System.exit(new Soak().run((long) (seconds * 1000), sampleSeconds, dir) ? 0 : 1);
    }

    boolean run(long millis, long sampleSeconds, Path dir) throws Exception {
        Files.createDirectories(dir);
        FaultFs fuse = mountFuse();
        try {
            for (Backend b : List.of(Backend.IO_URING, Backend.THREADS)) {
                if (b == Backend.IO_URING && IoEngine.unavailabilityCause() != null) {
                    System.out.println("SKIPPED: io_uring backend: " + IoEngine.unavailabilityCause());
                    continue;
                }
                Slot s = new Slot(b);
                for (int i = 0; i < FILES_PER_SLOT; i++) {
                    boolean onFuse = fuse != null && i == FILES_PER_SLOT - 1;
                    String name = b.name().toLowerCase() + "-" + i + (onFuse ? "-fuse" : "");
                    Path p = (onFuse ? fuse.root() : dir).resolve(name);
                    Files.deleteIfExists(p);
                    s.files.add(new SoakFile(name, p, onFuse, slots.size()));
                }
                s.start();
                slots.add(s);
            }
            System.out.println("soak: " + millis / 1000 + " s on " + slots.stream().map(s -> s.backend.name()).toList()
                    + ", files in " + dir.toAbsolutePath() + (fuse != null ? " and " + fuse.root() : ""));
            return load(millis, sampleSeconds);
        } finally {
            for (Slot s : slots) {
                for (SoakFile f : s.files) {
                    f.close();
                    Files.deleteIfExists(f.path);
                }
                s.engine.close();
            }
            if (fuse != null) {
                fuse.close();
            }
        }
    }

    private static FaultFs mountFuse() {
        String reason = FaultFs.unavailableReason();
        if (reason != null) {
            System.out.println("SKIPPED: the FUSE share of the files: " + reason);
            return null;
        }
        try {
            FaultFs fs = FaultFs.mountOrSkip();
            fs.configure(FaultFs.delayMs(1), FaultFs.cut(100_000), FaultFs.cut(300_000),
                    FaultFs.writeEio(SoakFile.POISON, SoakFile.CAPACITY));
            return fs;
        } catch (Throwable e) { // mountOrSkip's assumption failure included: no JUnit here
            System.out.println("SKIPPED: the FUSE share of the files: " + e);
            return null;
        }
    }

    private boolean load(long millis, long sampleSeconds) throws Exception {
        List<Thread> workers = new ArrayList<>();
        int seed = 0;
        for (Slot s : slots) {
            for (Doors.Door door : Doors.Door.values()) {
                int copies = door == Doors.Door.VIRTUAL_BLOCKING ? 2 : 1;
                for (int c = 0; c < copies; c++) {
                    long workerSeed = ++seed;
                    Runnable body = () -> work(s, door, workerSeed);
                    String name = "soak-" + s.backend + "-" + door + "-" + c;
                    workers.add(door == Doors.Door.VIRTUAL_BLOCKING
                            ? Thread.ofVirtual().name(name).unstarted(body)
                            : Thread.ofPlatform().name(name).unstarted(body));
                }
            }
        }
        Samples samples = new Samples(tally, slots);
        long warmUp = Math.min(TimeUnit.SECONDS.toMillis(sampleSeconds), millis / 4);
        workers.forEach(Thread::start);
        Thread maintenance = Thread.ofPlatform().name("soak-maintenance").start(() -> maintain(millis));
        long start = System.currentTimeMillis();
        long end = start + millis;
        Thread.sleep(warmUp);
        Samples.Sample first = samples.take("start (after " + warmUp / 1000 + " s warm-up)");
        long next = System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(sampleSeconds);
        while (System.currentTimeMillis() < end) {
            Thread.sleep(Math.max(1, Math.min(end, next) - System.currentTimeMillis()));
            if (System.currentTimeMillis() >= next) {
                samples.take("t=" + (System.currentTimeMillis() - start) / 1000 + "s");
                next += TimeUnit.SECONDS.toMillis(sampleSeconds);
            }
        }
        // The last sample while the load still runs: the same threads and files as the first.
        Samples.Sample last = samples.take("end");
        stop = true;
        for (Thread t : workers) {
            if (!t.join(java.time.Duration.ofSeconds(Doors.TIMEOUT_S * 2))) {
                tally.lost("worker " + t.getName() + " did not finish its operation in " + 2 * Doors.TIMEOUT_S + " s");
            }
        }
        if (!maintenance.join(java.time.Duration.ofSeconds(Doors.TIMEOUT_S * 2))) {
            tally.lost("the maintenance thread did not finish in " + 2 * Doors.TIMEOUT_S + " s");
        }
        for (Slot s : slots) {
            for (SoakFile f : s.files) {
                report(f.fullCheck("final check"));
            }
        }
        return samples.verdict(first, last);
    }

    private void work(Slot s, Doors.Door door, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        OwnedRing ring = null;
        int ringGeneration = -1;
        try (Arena arena = Arena.ofShared()) {
            Doors.Buffers buffers = new Doors.Buffers(arena);
            while (!stop) {
                SoakFile f = s.files.get(rnd.nextInt(s.files.size()));
                int lane = rnd.nextInt(SoakFile.LANES);
                s.lock.readLock().lock();
                try {
                    if (door == Doors.Door.OWNED_RING && ringGeneration != s.generation) {
                        closeQuietly(ring);
                        ring = s.engine.ownedRing();
                        ringGeneration = s.generation;
                    }
                    OwnedRing current = ring;
                    if (!inLane(f, lane, false, () -> doors.run(door, f, lane, rnd, buffers, current, false))) {
                        inLane(f, lane, true, () -> doors.run(door, f, lane, rnd, buffers, current, true));
                    }
                } catch (Exception e) {
                    tally.lost(f.name + " lane " + lane + " (offset " + (long) lane * SoakFile.LANE + ") " + door
                            + ": " + e);
                } finally {
                    s.lock.readLock().unlock();
                }
            }
        } finally {
            closeQuietly(ring);
        }
    }

    interface LaneOp {
        boolean run() throws Exception;
    }

    /** Runs {@code op} holding the lane and the file's read (or, exclusive, write) lock; true if the lane was busy. */
    private static boolean inLane(SoakFile f, int lane, boolean exclusive, LaneOp op) throws Exception {
        var fileLock = exclusive ? f.lock.writeLock() : f.lock.readLock();
        fileLock.lock();
        try {
            if (!f.lanes[lane].tryLock()) {
                return true;
            }
            try {
                return op.run();
            } finally {
                f.lanes[lane].unlock();
            }
        } finally {
            fileLock.unlock();
        }
    }

    private static void closeQuietly(OwnedRing ring) {
        if (ring != null) {
            try {
                ring.close();
            } catch (RuntimeException e) {
                // the ring of an engine closed since: nothing left to release
            }
        }
    }

    /** fsync, fdatasync, truncate, close/reopen and engine restarts, at random, until stopped. */
    private void maintain(long millis) {
        SplittableRandom rnd = new SplittableRandom(-1);
        long restartEvery = Math.max(10_000, millis / 6);
        long nextRestart = System.currentTimeMillis() + restartEvery;
        int restarts = 0;
        while (!stop) {
            Slot s = slots.get(rnd.nextInt(slots.size()));
            SoakFile f = s.files.get(rnd.nextInt(s.files.size()));
            String op = "?";
            try {
                Thread.sleep(50 + rnd.nextInt(200));
                if (System.currentTimeMillis() >= nextRestart) {
                    Slot r = slots.get(restarts++ % slots.size());
                    op = "restart of the " + r.backend + " engine";
                    restart(r);
                    nextRestart = System.currentTimeMillis() + restartEvery;
                    continue;
                }
                int pick = rnd.nextInt(10);
                s.lock.readLock().lock();
                try {
                    if (pick < 6) {
                        op = pick < 3 ? "fsync" : "fdatasync";
                        DirectFile file = f.file;
                        (pick < 3 ? file.fsync() : file.fdatasync()).get(Doors.TIMEOUT_S, TimeUnit.SECONDS);
                    } else {
                        f.lock.writeLock().lock();
                        try {
                            if (pick < 8) {
                                long size = (long) rnd.nextInt(SoakFile.LANES) * SoakFile.LANE + 4096L * rnd.nextInt(3);
                                op = "truncate to " + size;
                                f.file.truncate(size);
                                f.truncated(size);
                                // The channel's file tracks a size of its own: it is reopened after truncate.
                                f.channel.close();
                                f.channel = s.engine.openChannel(f.path, java.nio.file.StandardOpenOption.READ,
                                        java.nio.file.StandardOpenOption.WRITE);
                            } else {
                                op = "close and reopen";
                                f.close();
                                f.open(s.engine);
                            }
                            report(f.fullCheck("after " + op));
                        } finally {
                            f.lock.writeLock().unlock();
                        }
                    }
                    tally.ops(1);
                } finally {
                    s.lock.readLock().unlock();
                }
            } catch (Exception e) {
                tally.lost(f.name + " offset 0 " + op + ": " + e);
            }
        }
    }

    private void restart(Slot s) throws Exception {
        s.lock.writeLock().lock();
        try {
            for (SoakFile f : s.files) {
                f.close();
            }
            s.engine.close();
            s.start();
            for (SoakFile f : s.files) {
                report(f.fullCheck("after restarting the " + s.backend + " engine"));
            }
            tally.ops(1);
            System.out.println("soak: restarted the " + s.backend + " engine (generation " + s.generation + ")");
        } finally {
            s.lock.writeLock().unlock();
        }
    }

    private void report(String wrong) {
        if (wrong != null) {
            tally.corrupt(wrong);
        }
    }
}
