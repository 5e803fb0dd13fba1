package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dioring.testing.SourceReferences;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The engine's layers as ARCHITECTURE.md draws them: a file names only files of its own layer
 * or below. A layer is a list of packages ({@code ""} is {@code io.dioring}) and of single
 * files that sit below their package (the request's parts, the public API's vocabulary).
 * {@link #KNOWN} lists the references that go against the order today, file to file; any
 * other fails the test. Remove an entry when its reference goes.
 */
class ArchitectureLayerTest {
    /** Bottom first. */
    static final List<List<String>> LAYERS = List.of(
            List.of("split.SliceCursor", "reap.Outcome", "file.WriteOrder", "deliver.Ticket", "jfr.EventSlot",
                    ".Backend", ".CompletionHandler", ".CompletionMode", ".DioAlignment", ".DirectIoException",
                    ".DirectIoPolicy", ".RingOptions", ".RingSetup", ".RingSetupException", ".Submission"),
            List.of("request"),
            List.of("jfr", "deliver", "file"),
            List.of("ring", "split"),
            List.of("reap"),
            List.of("backend"),
            List.of(""),
            List.of("channel"),
            List.of("fs"));

    /** References against the order on main today (see ARCHITECTURE.md, "Layers"). */
    static final Set<String> KNOWN = Set.of(
            "deliver.Completion -> reap.Aggregator",
            ".IoEngine -> channel.ChannelEngine",
            ".IoEngine -> channel.DirectFileChannel");

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
        List<String> unexpected = new ArrayList<>(against);
        unexpected.removeAll(KNOWN);
        assertEquals(List.of(), unexpected, "files naming a file of a higher layer (bottom first: " + LAYERS + ")");
    }

    @Test
    void everyFileHasALayer() throws IOException {
        for (String file : SourceReferences.read(ArchitectureTest.MAIN).keySet()) {
            assertTrue(layer(file) >= 0, file + " is in no layer");
        }
        assertEquals(0, layer("reap.Outcome"), "a listed file sits below its package");
        assertEquals(4, layer("reap.Aggregator"));
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
