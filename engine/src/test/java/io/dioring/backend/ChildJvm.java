package io.dioring.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a child JVM (this JVM's java and class path) under the io_uring-denying
 * seccomp filter ({@link SeccompLauncher}), with a timeout. Skips the calling test, printing
 * why, when the filter cannot be installed here.
 */
public final class ChildJvm {
    /** What the child did. */
    public record Result(int status, String out, String err) {}

    private ChildJvm() {}

    /** Runs {@code mainClass args} with io_uring denied with {@code errno} ("EPERM" or "ENOSYS"). */
    public static Result runDenyingIoUring(String errno, Path workDir, long timeoutSeconds, String mainClass,
            String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), SeccompLauncher.class.getName(), errno, mainClass));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(workDir, "child", ".out");
        Path err = Files.createTempFile(workDir, "child", ".err");
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        boolean exited = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        Result r = new Result(exited ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        System.out.print(r.out());
        System.out.print(r.err());
        assertTrue(exited, "the child JVM did not finish in " + timeoutSeconds + " s: " + command);
        if (r.status() == SeccompLauncher.EXIT_NO_SECCOMP) {
            String why = r.err().lines().filter(l -> l.startsWith(SeccompLauncher.NO_SECCOMP)).findFirst()
                    .orElse("seccomp unavailable");
            System.out.println("SKIPPED: " + why);
            assumeTrue(false, why);
        }
        return r;
    }
}
