package io.dioring.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Line counts of a source tree's Java files (as {@code wc -l} counts them), for the size checks. */
public final class SourceSizes {
    private SourceSizes() {}

    /** A file and its line count. */
    public record Size(Path file, long lines) {
        @Override
        public String toString() {
            return lines + " " + file;
        }
    }

    /** Every {@code .java} file below {@code root}, largest first. */
    public static List<Size> largestFirst(Path root) throws IOException {
        List<Size> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(".java")) {
                    out.add(new Size(root.relativize(p), lines(Files.readString(p))));
                }
            }
        }
        out.sort(Comparator.comparingLong(Size::lines).reversed().thenComparing(s -> s.file().toString()));
        return out;
    }

    /** The files of {@code sizes} longer than {@code limit} lines, after printing the {@code top} largest. */
    public static List<Size> over(List<Size> sizes, long limit, int top, String what) {
        System.out.println(what + ", largest of " + sizes.size() + " (limit " + limit + " lines):");
        sizes.stream().limit(top).forEach(s -> System.out.println("  " + s));
        return sizes.stream().filter(s -> s.lines() > limit).toList();
    }

    /** Newlines, as {@code wc -l} counts lines. */
    static long lines(String text) {
        return text.chars().filter(c -> c == '\n').count();
    }
}
