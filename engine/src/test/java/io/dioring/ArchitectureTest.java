package io.dioring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine's main sources form no cycle of references: each file names only files below it
 * on the data path or beside it in a lower layer. A file refers to another when it imports
 * it, names it by its qualified name, or names a class of its own package (comments and
 * string literals left out). Read from the source tree, so it runs where the build runs.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/io/dioring");
    private static final Pattern QUALIFIED = Pattern.compile("io\\.dioring\\.((?:[a-z]\\w*\\.)*)([A-Z]\\w*)");
    private static final Pattern WORD = Pattern.compile("\\b([A-Z]\\w*)\\b");

    @Test
    void engineSourcesFormNoReferenceCycle() throws IOException {
        Map<String, String> sources = sources();
        Map<String, Set<String>> refs = references(sources);
        List<List<String>> cycles = cycles(refs);
        System.out.println("engine main files: " + sources.size() + ", reference cycles: " + cycles.size());
        assertTrue(sources.size() > 50, "read the engine's sources from " + MAIN.toAbsolutePath());
        assertEquals(List.of(), cycles, "files that refer to each other, directly or through others");
    }

    @Test
    void theCheckFindsACycleThroughAPackageAndOneThroughAnImport() {
        Map<String, String> sources = new TreeMap<>();
        sources.put("a.A", strip("class A { B b; /* C */ String s = \"C\"; }"));
        sources.put("a.B", strip("import io.dioring.c.C; class B { C c; }"));
        sources.put("c.C", strip("class C { io.dioring.a.A a; }"));
        sources.put("c.D", strip("class D { io.dioring.a.A a; }"));
        assertEquals(List.of(List.of("a.A", "a.B", "c.C")), cycles(references(sources)));
        sources.put("c.C", strip("class C { // io.dioring.a.A\n }"));
        assertEquals(List.of(), cycles(references(sources)), "comments do not count");
    }

    /** Qualified name (package below io.dioring + "." + class, "" for io.dioring itself) to stripped text. */
    private static Map<String, String> sources() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".java") || name.equals("package-info.java") || name.equals("module-info.java")) {
                    continue;
                }
                String pkg = MAIN.relativize(p.getParent()).toString().replace('/', '.');
                out.put(pkg + "." + name.substring(0, name.length() - 5), strip(Files.readString(p)));
            }
        }
        return out;
    }

    /** The text without comments and string and character literals. */
    static String strip(String s) {
        StringBuilder b = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
            } else if (c == '"' && s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = end < 0 ? s.length() : end + 3;
                b.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < s.length() && s.charAt(i) != c && s.charAt(i) != '\n') {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                b.append(c).append(c);
            } else {
                b.append(c);
                i++;
            }
        }
        return b.toString();
    }

    private static Map<String, Set<String>> references(Map<String, String> sources) {
        Map<String, Set<String>> refs = new HashMap<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            String self = e.getKey();
            String pkg = self.substring(0, self.lastIndexOf('.'));
            Set<String> to = new HashSet<>();
            Matcher q = QUALIFIED.matcher(e.getValue());
            while (q.find()) {
                String p = q.group(1).isEmpty() ? "" : q.group(1).substring(0, q.group(1).length() - 1);
                to.add(p + "." + q.group(2));
            }
            Set<String> words = new HashSet<>();
            Matcher w = WORD.matcher(e.getValue());
            while (w.find()) {
                words.add(w.group(1));
            }
            for (String other : sources.keySet()) {
                String otherPkg = other.substring(0, other.lastIndexOf('.'));
                if (otherPkg.equals(pkg) && words.contains(other.substring(other.lastIndexOf('.') + 1))) {
                    to.add(other);
                }
            }
            to.remove(self);
            to.retainAll(sources.keySet());
            refs.put(self, to);
        }
        return refs;
    }

    /** Strongly connected components of more than one file (Tarjan). */
    private static List<List<String>> cycles(Map<String, Set<String>> refs) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String root : new TreeMap<>(refs).keySet()) {
            if (!index.containsKey(root)) {
                connect(root, refs, index, low, stack, onStack, out, next);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> refs, Map<String, Integer> index,
            Map<String, Integer> low, Deque<String> stack, Set<String> onStack, List<List<String>> out, int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : refs.get(v)) {
            if (!index.containsKey(w)) {
                connect(w, refs, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                component.sort(null);
                out.add(component);
            }
        }
    }
}
