package io.dioring.child;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The calling process's open descriptors, from {@code /proc/self/fd}: what each points at,
 * so a leak is reported by what leaked (a file, an io_uring, an eventfd), not only a count.
 */
public final class Fds {
    private static final Path PROC_FD = Path.of("/proc/self/fd");

    private Fds() {}

    /** fd number to its link target; the descriptor this listing itself opens is left out. */
    public static Map<Integer, String> open() throws IOException {
        Map<Integer, String> open = new TreeMap<>();
        try (Stream<Path> entries = Files.list(PROC_FD)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                try {
                    open.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                } catch (IOException gone) {
                    // the listing's own directory descriptor, closed by the time we look
                }
            }
        }
        open.values().removeIf(target -> target.equals(PROC_FD.toString()) || target.startsWith("/proc/")
                && target.endsWith("/fd"));
        return open;
    }

    /** What {@code fd} points at now, or null when it is not open. */
    public static String target(int fd) {
        try {
            return Files.readSymbolicLink(PROC_FD.resolve(Integer.toString(fd))).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Records {@code fdsBefore}, {@code fdsAfter} and the difference ({@code fdsLeaked},
     * {@code fdsGone}) between {@code before} and now.
     */
    public static void compare(Report report, Map<Integer, String> before) throws IOException {
        Map<Integer, String> after = open();
        Map<Integer, String> leaked = new TreeMap<>(after);
        leaked.entrySet().removeAll(before.entrySet());
        Map<Integer, String> gone = new TreeMap<>(before);
        gone.entrySet().removeAll(after.entrySet());
        report.put("fdsBefore", before.size()).put("fdsAfter", after.size())
                .put("fdsLeaked", leaked).put("fdsGone", gone);
    }
}
