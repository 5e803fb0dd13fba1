package io.dioring.jmh;

import io.dioring.IoEngine;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.misc.store.DirectIODirectory;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.NIOFSDirectory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lucene term and boolean queries ({@code searcher.search(query, 10)}, query cache off)
 * from {@code vthreads} virtual threads sharing one {@link IndexSearcher}, over the index
 * of {@link LuceneIndex}, with the index's files read through:
 * <ul>
 *   <li>{@code platform}: {@link NIOFSDirectory} on the default file system: the JDK's
 *       {@code FileChannel}, buffered; the page cache holds the whole index (read once at
 *       setup),
 *   <li>{@code dioring}: the same {@link NIOFSDirectory} on a path of
 *       {@link IoEngine#fileSystem()}: dioring's {@code FileChannel}, buffered, through
 *       io_uring,
 *   <li>{@code platformDirect}: Lucene's {@link DirectIODirectory} over the platform's
 *       {@link NIOFSDirectory}, every file read with O_DIRECT ({@code useDirectIO} always
 *       true, not only for merges) in {@value #DIRECT_BUFFER}-byte aligned reads,
 *   <li>{@code dioringDirect}: the same over the dioring path: dioring's channel opened with
 *       {@code ExtendedOpenOption.DIRECT}.
 * </ul>
 * The virtual threads run for the whole trial, each searching its own random sequence of
 * {@link #QUERIES} queries in turn; each benchmark invocation waits until they have
 * finished {@link #OPS} more searches, so the score is searches per second. After each
 * iteration the platform threads are printed (as {@link VirtualThreadRandomRead} does):
 * live, peak since setup, carriers, the engine's own, and the JVM's before setup; with
 * {@code -prof io.dioring.jmh.CpuPerOp}, CPU per search; then the direct buffers not yet
 * freed, the resident memory and the GCs so far ({@link #memory()}). The index's place:
 * {@code -Ddioring.jmh.dir}; its size: {@code -Ddioring.jmh.luceneDocs}.
 *
 * <h2>The direct stores' memory</h2>
 * Lucene's {@code DirectIOIndexInput} allocates a direct buffer ({@value #DIRECT_BUFFER}
 * bytes and a block) for every input and every clone: several per search. Their memory is
 * freed by the JDK's Reference Handler thread after a GC, each through the
 * {@code jdk.internal.ref.Cleaner} list, whose class monitor every {@code allocateDirect}
 * also takes. On dioring the two carriers never block in the kernel and run searches (and
 * allocations) without pause; in stretches of tens of seconds the Reference Handler stays
 * BLOCKED on that monitor (jstack once a second; its schedstat does not move), so the
 * buffers of GC after GC stay allocated (several GiB), malloc grows its heap into fresh
 * pages, and their faults and zeroing ({@code clear_page_erms}, costlier in a VM whose
 * freed pages go back to the host) multiply the kernel CPU per search. The platform's
 * carriers spend their time in pread(2), and there the Reference Handler keeps up. The
 * {@code [memory]} line shows which regime an iteration was in.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 1, time = 3)
@Measurement(iterations = 3, time = 3)
public class LuceneQueries {
    static final int OPS = 512;
    static final int QUERIES = 1024;
    /** DirectIODirectory's read size: its default (256 KiB) is for merges' sequential reads. */
    static final int DIRECT_BUFFER = 8192;

    @Param({"platform", "dioring", "platformDirect", "dioringDirect"})
    public String store;

    @Param({"term", "boolean"})
    public String kind;

    @Param({"256"})
    public int vthreads;

    /** The dioring stores' {@code EngineConfig.cachedReads}: buffered reads the page cache holds copied on the caller. */
    @Param({"true"})
    public boolean cachedReads;

    private IoEngine engine;
    private FileSystem fileSystem;
    private Directory directory;
    private DirectoryReader reader;
    private IndexSearcher searcher;
    private List<Query> queries;
    private final List<Thread> searchers = new ArrayList<>();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();
    private volatile long target;
    private volatile Thread waiter;
    private volatile boolean stopping;
    private volatile Throwable failure;
    private final ThreadCensus threads = new ThreadCensus();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (vthreads <= 0) {
            throw new IllegalArgumentException("vthreads " + vthreads + ": must be positive");
        }
        start(LuceneIndex.directory(LuceneIndex.benchDir(), LuceneIndex.DOCS));
    }

    /** Opens {@code index} through the store and starts the searchers. */
    void start(Path index) throws IOException {
        warmPageCache(index);
        queries = LuceneIndex.queries(kind, QUERIES, 7);
        threads.start();
        directory = open(index);
        reader = DirectoryReader.open(directory);
        searcher = new IndexSearcher(reader);
        searcher.setQueryCache(null); // every search reads its postings
        for (int i = 0; i < vthreads; i++) {
            SplittableRandom random = new SplittableRandom(1000 + i);
            searchers.add(Thread.ofVirtual().name("searcher-" + i).start(() -> searchLoop(random)));
        }
    }

    /** The store's directory over {@code index}. */
    private Directory open(Path index) throws IOException {
        return switch (store) {
            case "platform" -> new NIOFSDirectory(index);
            case "platformDirect" -> new DirectReads(new NIOFSDirectory(index));
            case "dioring", "dioringDirect" -> {
                engine = IoEngine.create(BenchFiles.engineConfig().withQueueDepth(Math.max(128, vthreads))
                        .withCachedReads(cachedReads));
                fileSystem = engine.fileSystem();
                Path p = fileSystem.getPath(index.toString());
                yield store.equals("dioring") ? new NIOFSDirectory(p) : new DirectReads(new NIOFSDirectory(p));
            }
            default -> throw new IllegalArgumentException("store '" + store
                    + "': must be platform, dioring, platformDirect or dioringDirect");
        };
    }

    /** Reads every file of the index once, so buffered reads find it in the page cache. */
    static void warmPageCache(Path index) throws IOException {
        try (Stream<Path> files = Files.list(index)) {
            for (Path f : files.toList()) {
                try (var in = Files.newInputStream(f)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
        }
    }

    /**
     * Lucene's DirectIODirectory reading every file with O_DIRECT, through the
     * {@code FileChannel} its delegate's path's provider opens.
     */
    static final class DirectReads extends DirectIODirectory {
        DirectReads(FSDirectory delegate) throws IOException {
            super(delegate, DIRECT_BUFFER, 0);
        }

        @Override
        protected boolean useDirectIO(String name, IOContext context, OptionalLong fileLength) {
            return true;
        }
    }

    private void searchLoop(SplittableRandom random) {
        try {
            long sum = 0;
            while (!stopping) {
                sum += search(searcher, queries.get(random.nextInt(queries.size())));
                if (completed.incrementAndGet() >= target) {
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
            hits.addAndGet(sum);
        } catch (Throwable t) {
            failure = t;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /** One search: its total hits, and its top documents folded in, so the result depends on every read. */
    static long search(IndexSearcher searcher, Query query) throws IOException {
        TopDocs top = searcher.search(query, 10);
        long h = top.totalHits.value() * 31;
        for (ScoreDoc d : top.scoreDocs) {
            h = h * 31 + d.doc;
        }
        return h;
    }

    /** Every query of {@code queries} searched once, in order: a checksum of the answers. */
    static long answers(IndexSearcher searcher, List<Query> queries) throws IOException {
        long h = 0;
        for (Query q : queries) {
            h = h * 17 + search(searcher, q);
        }
        return h;
    }

    /** The answers of this trial's searcher to its queries (for the tests). */
    long answers() throws IOException {
        return answers(searcher, queries);
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long search() {
        waiter = Thread.currentThread();
        long goal = Math.max(target, completed.get()) + OPS;
        target = goal;
        while (completed.get() < goal) {
            LockSupport.parkNanos(this, 1_000_000);
            if (failure != null) {
                throw new IllegalStateException("search failed: " + failure, failure);
            }
        }
        return goal;
    }

    @TearDown(Level.Iteration)
    public void printThreads() {
        ThreadCensus.Count c = threads.count();
        System.out.printf("%n[platform threads] store=%s kind=%s vthreads=%d: live %d, peak %d, carriers %d,"
                + " engine %d (rings %d), others since setup %s, before setup %d%n", store, kind, vthreads,
                c.live(), c.peak(), c.carriers(), c.engine(),
                engine == null ? 0 : engine.config().rings(), c.others(), c.before());
        System.out.println(memory());
    }

    /**
     * The direct buffers not yet freed (Lucene's DirectIODirectory allocates one per input and
     * clone; their memory is freed only after a GC finds them unreachable), the process's
     * resident memory and the GCs so far: a stretch in which the direct buffers reach a new
     * peak makes the process touch fresh memory, whose page faults and zeroing cost CPU.
     */
    static String memory() {
        long count = 0;
        long bytes = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                count = pool.getCount();
                bytes = pool.getMemoryUsed();
            }
        }
        long gcs = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs += Math.max(0, gc.getCollectionCount());
        }
        String rss = "?";
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
            rss = lines.filter(l -> l.startsWith("VmRSS:")).map(l -> l.substring(6).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            // not Linux: no resident size
        }
        return String.format("[memory] direct buffers %d (%d MiB), RSS %s, GCs %d", count, bytes >> 20, rss, gcs);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        stopping = true;
        for (Thread t : searchers) {
            if (!t.join(java.time.Duration.ofSeconds(60))) {
                throw new IllegalStateException(t + " did not stop");
            }
        }
        searchers.clear();
        if (reader != null) {
            reader.close();
        }
        if (directory != null) {
            directory.close();
        }
        if (fileSystem != null) {
            fileSystem.close();
        }
        if (engine != null) {
            engine.close();
        }
        if (failure != null) {
            throw new IllegalStateException("search failed: " + failure, failure);
        }
    }
}
