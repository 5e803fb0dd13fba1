package io.dioring.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The training run for the JDK's AOT cache ({@code -XX:AOTCacheOutput}, JEP 483/514): the
 * launcher runs this once per jar and JDK, and the classes it loads and links start every
 * later run already parsed, verified and linked. It does what people run most, in one JVM:
 * version and help, {@code info}, a 1 MiB {@code dd} and a short {@code bench}; not
 * {@code plot}, whose AWT classes would only grow the cache.
 *
 * <p>Arguments: a scratch directory (created; its files are left for the caller to remove).
 * Exit status 0 when every command ran as it should, else 1 (the launcher then runs without
 * a cache).
 */
public final class AotTraining {
    static final int DD_INPUT_BYTES = 1 << 20;

    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: AotTraining SCRATCH_DIR");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        Path input = dir.resolve("dd-input");
        Files.write(input, randomBytes(DD_INPUT_BYTES));
        List<String[]> runs = new ArrayList<>();
        runs.add(new String[] {"--version"});
        runs.add(new String[] {"--help"});
        runs.add(new String[] {"info", dir.toString()});
        runs.add(new String[] {"dd", "if=" + input, "of=" + dir.resolve("dd-output"), "bs=64k"});
        runs.add(new String[] {"dd", "if=" + input, "of=" + dir.resolve("dd-output"), "bs=4k", "status=none",
            "conv=notrunc"});
        runs.add(new String[] {"bench", "--file", dir.resolve("bench.dat").toString(), "--size", "4m", "--rw",
            "randread", "--bs", "4k", "--qd", "4", "--runtime", "0.3"});
        runs.add(new String[] {"bench", "--file", dir.resolve("bench.dat").toString(), "--size", "4m", "--rw",
            "randwrite", "--bs", "4k", "--qd", "4", "--runtime", "0.2", "--json"});
        int failed = 0;
        for (String[] run : runs) {
            int status = Main.commandLine(run).setOut(new PrintWriter(OutputStream.nullOutputStream()))
                    .execute(run);
            if (status != 0) {
                System.err.println("training: dioring " + String.join(" ", run) + " exited " + status);
                failed++;
            }
        }
        System.out.flush();
        System.exit(failed == 0 ? 0 : 1);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(n).nextBytes(b);
        return b;
    }
}
