package io.dioring.misuse;

import static io.dioring.misuse.Fixture.BLOCK;
import static io.dioring.misuse.Fixture.CLOSE_LIMIT;
import static io.dioring.misuse.Fixture.SHORT;

import io.dioring.DirectFile;
import io.dioring.IoEngine;
import io.dioring.OwnedRing;
import io.dioring.child.Fds;
import io.dioring.child.Report;
import io.dioring.testing.Callbacks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Case a: a segment whose arena was closed before the call is handed to a read or write.
 * Args: dir, {@link Call}, SHARED|CONFINED. Records {@code thrown} (class) and
 * {@code message} of what the call threw ("nothing" if it threw nothing, then the request's
 * {@code outcome}), {@code roundTrip} afterwards, and the fd comparison.
 */
public final class ClosedArenaSubject {
    /** The call the dead segment goes to. */
    public enum Call { FUTURE_READ, CALLBACK_READ, READ_FULLY, WRITE, WRITE_FULLY, OWNED_RING_READ }

    private ClosedArenaSubject() {}

    public static void main(String[] args) {
        Report.run(report -> {
            Path dir = Path.of(args[0]);
            Call call = Call.valueOf(args[1]);
            boolean shared = args[2].equals("SHARED");
            Path data = Fixture.patternFile(dir, "data", 4);
            Map<Integer, String> before = Fixture.fdsBeforeEngine(report);
            IoEngine engine = IoEngine.create();
            DirectFile file = engine.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE);

            Arena arena = shared ? Arena.ofShared() : Arena.ofConfined();
            MemorySegment dead = arena.allocate(BLOCK, BLOCK);
            Fixture.fill(dead, 7);
            arena.close();

            report.within(SHORT, call.name() + " with a closed arena's segment", () -> {
                try {
                    String outcome = attempt(call, engine, file, dead);
                    report.put("thrown", "nothing").put("outcome", outcome);
                } catch (Throwable t) {
                    report.put("thrown", t.getClass().getName()).put("message", t.getMessage());
                }
            });
            Fixture.roundTrip(report, engine, file, 1);
            report.within(SHORT, "file.close()", file::close);
            report.within(CLOSE_LIMIT, "engine.close()", engine::close);
            Fds.compare(report, before);
        });
    }

    /** Makes the call; returns the request's outcome if the call itself did not throw. */
    private static String attempt(Call call, IoEngine engine, DirectFile file, MemorySegment dead) throws Exception {
        switch (call) {
            case FUTURE_READ -> {
                return Fixture.outcome(file.read(0, dead));
            }
            case CALLBACK_READ -> {
                CompletableFuture<Long> f = new CompletableFuture<>();
                file.read(0, dead, f, Callbacks.toFuture());
                return Fixture.outcome(f);
            }
            case READ_FULLY -> {
                return "returned " + file.readFully(0, dead);
            }
            case WRITE -> {
                return Fixture.outcome(file.write(2 * BLOCK, dead));
            }
            case WRITE_FULLY -> {
                return "returned " + file.writeFully(2 * BLOCK, dead);
            }
            case OWNED_RING_READ -> {
                try (OwnedRing ring = engine.ownedRing()) {
                    CompletableFuture<Long> f = new CompletableFuture<>();
                    ring.read(file, 0, dead, f, Callbacks.toFuture());
                    ring.drain();
                    return Fixture.outcome(f);
                }
            }
            default -> throw new AssertionError(call);
        }
    }
}
