package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;
import static io.dioring.misuse.Fixture.SHORT;

import io.dioring.CompletionHandler;
import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Case d, extending writes: on an {@link OwnedRing}, 1000 appends to an empty file, each
 * issued by the previous one's handler. A thread-local flag marks "inside {@code write()}";
 * a handler that finds it set was delivered inside the call that submitted it. Records
 * {@code deliveredInsideWrite}, the stack depth at handler entry ({@code depthGrowth}: the
 * deepest minus the shallowest), {@code handlerRuns}, whether the final {@code drain()}
 * returned, the file's size and how many blocks hold their own pattern in order
 * ({@code blocksInOrder}).
 */
public final class ExtendingChainSubject {
    private static final int APPENDS = 1000;
    private static final ThreadLocal<Boolean> INSIDE_WRITE = ThreadLocal.withInitial(() -> false);

    private ExtendingChainSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path path = Path.of(args[0]).resolve("appended");
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create();
            DirectFile file = engine.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            OwnedRing ring = engine.ownedRing();
            MemorySegment blocks = engine.buffers().allocate((long) APPENDS * BLOCK);
            Fixture.fill(blocks, 0);
            Chain chain = new Chain(ring, file, blocks);
            chain.append(0);
            report.within(CLOSE_LIMIT, "drain() of the append chain", ring::drain);
            report.put("handlerRuns", chain.runs).put("deliveredInsideWrite", chain.insideWrite)
                    .put("depthGrowth", chain.maxDepth - chain.minDepth).put("wrongResults", chain.wrongResults)
                    .put("chainError", chain.error);
            report.put("size", file.size());
            MemorySegment back = engine.buffers().allocate((long) APPENDS * BLOCK);
            report.within(SHORT, "reading the appended file back", () -> {
                long n = file.readFully(0, back);
                int inOrder = 0;
                for (int i = 0; i < APPENDS && (long) (i + 1) * BLOCK <= n; i++) {
                    if (Fixture.holds(back.asSlice((long) i * BLOCK, BLOCK), i)) {
                        inOrder++;
                    }
                }
                report.put("blocksInOrder", inOrder);
            });
            report.within(SHORT, "ring.close()", ring::close);
            report.within(SHORT, "file.close()", file::close);
            report.within(CLOSE_LIMIT, "engine.close()", engine::close);
            Fds.compare(report, before);
        });
    }

    /** Each append's handler issues the next; all state is the owner thread's. */
    private static final class Chain implements CompletionHandler<Integer> {
        private final OwnedRing ring;
        private final DirectFile file;
        private final MemorySegment blocks;
        int runs;
        int insideWrite;
        int wrongResults;
        long minDepth = Long.MAX_VALUE;
        long maxDepth;
        String error = "none";

        Chain(OwnedRing ring, DirectFile file, MemorySegment blocks) {
            this.ring = ring;
            this.file = file;
            this.blocks = blocks;
        }

        void append(int i) {
            INSIDE_WRITE.set(true);
            try {
                ring.write(file, (long) i * BLOCK, blocks.asSlice((long) i * BLOCK, BLOCK), i, this);
            } finally {
                INSIDE_WRITE.set(false);
            }
        }

        @Override
        public void completed(long bytes, Integer i) {
            if (INSIDE_WRITE.get()) {
                insideWrite++;
            }
            long depth = StackWalker.getInstance().walk(Stream::count);
            minDepth = Math.min(minDepth, depth);
            maxDepth = Math.max(maxDepth, depth);
            runs++;
            if (bytes != BLOCK) {
                wrongResults++;
            }
            if (i + 1 < APPENDS) {
                try {
                    append(i + 1);
                } catch (Throwable t) {
                    error = "append " + (i + 1) + ": " + Fixture.describe(t);
                }
            }
        }

        @Override
        public void failed(Throwable failure, Integer i) {
            runs++;
            error = "append " + i + " failed: " + Fixture.describe(failure);
        }
    }
}
