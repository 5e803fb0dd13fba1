package io.dioring.tools;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dioring.IoEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example application under {@code src/test/resources/consumer}, a named module that
 * only {@code requires io.dioring}, compiled and run against the engine and bindings jars
 * this build just packaged, on the module path, as a user's project would: so a broken
 * module descriptor, a missing export or a missing native-access grant fails the build.
 *
 * <p>The jars exist once the reactor packaged engine and native-bindings ({@code mvn
 * verify}); run alone, before that, the test skips and says why.
 */
class ConsumerModuleTest {
    private static final String NATIVE_ACCESS = "--enable-native-access=io.dioring.ffi,io.dioring";
    private static final Path CONSUMER = Path.of("src", "test", "resources", "consumer");

    @TempDir
    Path dir;

    @Test
    void theConsumerModuleCompilesAndRunsOnTheModulePathWithoutWarnings() throws Exception {
        String ioUring = IoEngine.unavailabilityCause();
        skipIf(ioUring != null, "io_uring unavailable: " + ioUring);
        Path engineJar = libraryJar(Path.of("..", "engine", "target"), "dioring-engine-");
        Path bindingsJar = libraryJar(Path.of("..", "native-bindings", "target"), "dioring-native-bindings-");
        skipIf(engineJar == null || bindingsJar == null, "engine and native-bindings jars not packaged yet ("
                + "run mvn verify from the top): " + engineJar + ", " + bindingsJar);
        assertModule(engineJar, "io.dioring");
        assertModule(bindingsJar, "io.dioring.ffi");
        Path bin = Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent();
        skipIf(!Files.isExecutable(bin.resolve("javac")), "no javac next to " + bin.resolve("java"));
        String modulePath = engineJar + java.io.File.pathSeparator + bindingsJar;

        Path classes = dir.resolve("classes");
        List<String> javac = new ArrayList<>(List.of(bin.resolve("javac").toString(), "-Xlint:all", "-Werror",
                "--module-path", modulePath, "-d", classes.toString()));
        try (Stream<Path> sources = Files.walk(CONSUMER.resolve("src"))) {
            sources.filter(p -> p.toString().endsWith(".java")).forEach(p -> javac.add(p.toString()));
        }
        Run compiled = run(javac);
        assertEquals(0, compiled.status, "javac of the consumer module:\n" + compiled.err);

        Path recording = dir.resolve("consumer.jfr");
        Run ran = run(List.of(bin.resolve("java").toString(), NATIVE_ACCESS,
                "-XX:StartFlightRecording:filename=" + recording + ",settings=none"
                        + ",+io.dioring.FileRead#enabled=true,+io.dioring.FileRead#threshold=0ms"
                        + ",+io.dioring.FileWrite#enabled=true,+io.dioring.FileWrite#threshold=0ms",
                "--module-path", classes + java.io.File.pathSeparator + modulePath,
                "-m", "io.dioring.example/io.dioring.example.ChecksumRoundTrip", dir.resolve("data").toString()));
        assertEquals(0, ran.status, "the consumer's exit status; stderr:\n" + ran.err);
        assertTrue(ran.out.contains("0 checksum mismatches"), ran.out);
        assertFalse(ran.err.contains("WARNING"), "no warning with " + NATIVE_ACCESS + ":\n" + ran.err);

        // The events work from the named module too (their package is not exported).
        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        assertEquals(16, events.stream().filter(e -> e.getEventType().getName().equals("io.dioring.FileWrite"))
                .count(), "one io.dioring.FileWrite per block");
        assertEquals(16, events.stream().filter(e -> e.getEventType().getName().equals("io.dioring.FileRead"))
                .count(), "one io.dioring.FileRead per block");
    }

    private record Run(int status, String out, String err) {}

    private Run run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        System.out.println("running: " + String.join(" ", command));
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, SECONDS)) {
            p.destroyForcibly().waitFor(10, SECONDS);
            throw new AssertionError("timed out after 120 s: " + command);
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        System.out.print(r.out);
        System.out.print(r.err);
        return r;
    }

    /** The main jar in {@code target}: not the sources or javadoc one; null when not built. */
    private static Path libraryJar(Path target, String prefix) {
        if (!Files.isDirectory(target)) {
            return null;
        }
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith(prefix) && name.endsWith(".jar") && !name.endsWith("-sources.jar")
                        && !name.endsWith("-javadoc.jar");
            }).findFirst().orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertModule(Path jar, String name) {
        Optional<ModuleReference> module = ModuleFinder.of(jar).findAll().stream().findFirst();
        assertTrue(module.isPresent(), jar + " is no module");
        assertEquals(name, module.get().descriptor().name(), jar + " module name");
        assertFalse(module.get().descriptor().isAutomatic(), jar + " is an automatic module, not " + name
                + ": its module-info.class is missing");
    }

    private static void skipIf(boolean skip, String reason) {
        if (skip) {
            System.out.println("SKIPPED: " + reason);
        }
        assumeTrue(!skip, reason);
    }
}
