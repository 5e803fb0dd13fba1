package io.dioring.child;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test-scope class's {@code main} in a fresh JVM: the same java binary and class
 * path as this one, native access on, assertions on. Whatever the subject does to its JVM
 * (a SIGSEGV from memory the kernel wrote after it was freed, a hang) stays in the child:
 * the test that launched it fails, the build's JVM goes on.
 *
 * <p>Output goes to files under {@code target/child-jvm/<case>/} (no pipe can fill and
 * stall the child), where the JVM's own crash report ({@code hs_err}) lands too. A child
 * still running at the timeout is sent SIGQUIT (its thread dump goes to its stdout), then
 * killed; the result says so.
 */
public final class ChildJvm {
    /** How long a killed child gets to print its thread dump. */
    private static final Duration DUMP_GRACE = Duration.ofSeconds(1);

    private final String caseName;
    private final Class<?> mainClass;
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> args = new ArrayList<>();
    private Duration timeout = Duration.ofSeconds(60);

    private ChildJvm(String caseName, Class<?> mainClass) {
        this.caseName = caseName;
        this.mainClass = mainClass;
    }

    /** A child that will run {@code mainClass}; {@code caseName} names it in failures and in its output folder. */
    public static ChildJvm of(String caseName, Class<?> mainClass) {
        return new ChildJvm(caseName, mainClass);
    }

    /** Extra JVM options, after the standard ones. */
    public ChildJvm jvmArgs(String... options) {
        jvmArgs.addAll(List.of(options));
        return this;
    }

    /** Arguments to the subject's {@code main}. */
    public ChildJvm args(String... arguments) {
        args.addAll(List.of(arguments));
        return this;
    }

    /** The longest the child may run before it is killed and the case fails as hung. */
    public ChildJvm timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    /** Runs the child to its end (or the timeout) and returns what it did. */
    public ChildResult run() throws IOException, InterruptedException {
        Path dir = outputDir();
        Files.createDirectories(dir);
        try (var old = Files.newDirectoryStream(dir)) {
            for (Path p : old) {
                Files.deleteIfExists(p); // a report from an earlier run must not be taken for this one's
            }
        }
        Path out = dir.resolve("stdout.txt");
        Path err = dir.resolve("stderr.txt");
        List<String> command = command(dir);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        long started = System.nanoTime();
        Process process = builder.start();
        boolean timedOut = false;
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            timedOut = true;
            requestThreadDump(process);
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(caseName + ": child pid " + process.pid()
                        + " survived SIGKILL for 10 s");
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        List<Path> crashReports = new ArrayList<>();
        try (var files = Files.newDirectoryStream(dir, "hs_err_pid*.log")) {
            files.forEach(crashReports::add);
        }
        return new ChildResult(caseName, command, process.exitValue(), timedOut, timeout, took,
                Files.readString(out), Files.readString(err), dir, crashReports);
    }

    private List<String> command(Path dir) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-ea");
        command.add("-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"));
        // A crash inside a compiled method also writes compiler replay data, by default to the cwd.
        command.add("-XX:ReplayDataFile=" + dir.resolve("replay_pid%p.log"));
        command.add("-XX:-CreateCoredumpOnCrash");
        // Children are short-lived: a small heap and the C1 compiler start them fastest.
        command.add("-Xmx256m");
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        return command;
    }

    private Path outputDir() {
        String base = System.getProperty("basedir", System.getProperty("user.dir"));
        return Path.of(base, "target", "child-jvm", caseName.replaceAll("[^A-Za-z0-9._-]", "_"));
    }

    /** SIGQUIT: a HotSpot JVM prints every thread's stack to stdout and goes on. */
    private static void requestThreadDump(Process process) throws InterruptedException {
        try {
            Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(process.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.waitFor(DUMP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            process.waitFor(DUMP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (IOException e) {
            // No kill(1): the child is killed without a dump.
        }
    }
}
