package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.SourceReferences;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The engine's layers as ARCHITECTURE.md draws them: a file names only files of its own layer
 * or below. A layer is a list of packages ({@code ""} is {@code io.dioring}) and of single
 * files that sit apart from their package (the request's parts and the public API's
 * vocabulary below it, the aggregator's rules, the channel's view of the engine, the facade).
 */
class ArchitectureLayerTest {
    /** Bottom first. */
    static final List<List<String>> LAYERS = List.of(
            List.of("split.SliceCursor", "reap.Outcome", "file.WriteOrder", "file.DeliveryHold", "deliver.Ticket",
                    "jfr.EventSlot", ".Backend", ".CompletionHandler", ".CompletionMode", ".DioAlignment",
                    ".DirectIoException", ".DirectIoPolicy", ".RingOptions", ".RingSetup", ".RingSetupException",
                    ".Submission"),
            List.of("request"),
            // The aggregator's rules are functions of a request's parts (no ring, no thread): the
            // completion path in deliver/ concludes with them.
            List.of("jfr", "deliver", "file", "reap.Aggregator"),
            List.of("ring", "split"),
            List.of("reap"),
            List.of("backend"),
            // ChannelEngine is the narrow view of the engine the channel is given (EngineCore
            // implements it), so it sits with the engine's files, below the channel.
            List.of("", "channel.ChannelEngine"),
            List.of("channel"),
            // The facade: opens channels (openChannel) over everything below it.
            List.of(".IoEngine"),
            List.of("fs"));

    @Test
    void everyFileNamesOnlyItsLayerOrBelow() throws IOException {
        Map<String, String> sources = SourceReferences.read(ArchitectureTest.MAIN);
        Map<String, Set<String>> refs = SourceReferences.references(sources, "io.dioring");
        Set<String> against = new TreeSet<>();
        for (Map.Entry<String, Set<String>> e : refs.entrySet()) {
            for (String to : e.getValue()) {
                if (layer(to) > layer(e.getKey())) {
                    against.add(e.getKey() + " -> " + to);
                }
            }
        }
        System.out.println("references against the layer order: " + against);
        assertTrue(sources.size() > 50, "read the engine's sources");
        assertEquals(Set.of(), against, "files naming a file of a higher layer (bottom first: " + LAYERS + ")");
    }

    @Test
    void everyFileHasALayer() throws IOException {
        for (String file : SourceReferences.read(ArchitectureTest.MAIN).keySet()) {
            assertTrue(layer(file) >= 0, file + " is in no layer");
        }
        assertEquals(0, layer("reap.Outcome"), "a listed file sits below its package");
        assertEquals(2, layer("reap.Aggregator"));
        assertEquals(4, layer("reap.RingLoop"));
    }

    private static int layer(String file) {
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(file)) {
                return i;
            }
        }
        String pkg = SourceReferences.packageOf(file);
        for (int i = 0; i < LAYERS.size(); i++) {
            if (LAYERS.get(i).contains(pkg)) {
                return i;
            }
        }
        return -1;
    }
}
