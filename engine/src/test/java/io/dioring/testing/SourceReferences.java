package io.dioring.testing;

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

/**
 * Which source file of a tree names which, read from the source text, for the architecture
 * checks of the engine and the tools. A file refers to another when it imports it, names it
 * by its qualified name, or names a class of its own package; comments and string literals
 * are left out. A file is known by its package below the tree's root package and its class
 * name ({@code "reap.RingLoop"}; {@code ".IoEngine"} for the root package itself).
 */
public final class SourceReferences {
    private static final Pattern WORD = Pattern.compile("\\b([A-Z]\\w*)\\b");

    private SourceReferences() {}

    /** The files below {@code root} (the root package's folder), each as its stripped text. */
    public static Map<String, String> read(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".java") || name.equals("package-info.java") || name.equals("module-info.java")) {
                    continue;
                }
                String pkg = root.relativize(p.getParent()).toString().replace('/', '.');
                out.put(pkg + "." + name.substring(0, name.length() - 5), strip(Files.readString(p)));
            }
        }
        return out;
    }

    /** The text without comments and string and character literals. */
    public static String strip(String s) {
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

    /** For each file of {@code sources} (rooted at package {@code rootPackage}), the files of it that it names. */
    public static Map<String, Set<String>> references(Map<String, String> sources, String rootPackage) {
        Pattern qualified = Pattern.compile(Pattern.quote(rootPackage) + "\\.((?:[a-z]\\w*\\.)*)([A-Z]\\w*)");
        Map<String, Set<String>> refs = new HashMap<>();
        for (Map.Entry<String, String> e : sources.entrySet()) {
            String self = e.getKey();
            String pkg = packageOf(self);
            Set<String> to = new HashSet<>();
            Matcher q = qualified.matcher(e.getValue());
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
                if (packageOf(other).equals(pkg) && words.contains(other.substring(other.lastIndexOf('.') + 1))) {
                    to.add(other);
                }
            }
            to.remove(self);
            to.retainAll(sources.keySet());
            refs.put(self, to);
        }
        return refs;
    }

    /** The package part of a file's name ({@code ""} for the root package). */
    public static String packageOf(String file) {
        return file.substring(0, file.lastIndexOf('.'));
    }

    /** Strongly connected components of more than one file (Tarjan), each sorted, in order of discovery. */
    public static List<List<String>> cycles(Map<String, Set<String>> refs) {
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
