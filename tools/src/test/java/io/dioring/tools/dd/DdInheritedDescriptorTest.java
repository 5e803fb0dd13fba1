package io.dioring.tools.dd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dioring dd} as a process in a shell, beside GNU dd: the offsets of inherited
 * standard input and output end where GNU dd's read and write calls leave them (dioring
 * reads and writes them at explicit offsets through io_uring), and a failed write to stderr
 * makes the exit status 1.
 */
class DdInheritedDescriptorTest {
    private static final Path GNU_DD = Path.of("/usr/bin/dd");
    private static final Path BASH = Path.of("/bin/bash");

    @TempDir
    Path dir;

    @BeforeAll
    static void gnuDd() {
        boolean present = Files.isExecutable(GNU_DD) && Files.isExecutable(BASH);
        if (!present) {
            System.out.println("SKIPPED: GNU dd or bash missing: nothing to compare with");
        }
        assumeTrue(present, "GNU dd or bash missing");
    }

    /** A script in the temp dir that runs dioring dd's main in a JVM like this one. */
    private String ours() throws IOException {
        Path script = dir.resolve("dioring-dd");
        Files.writeString(script, "#!/bin/sh\nexec '" + ProcessHandle.current().info().command().orElseThrow()
                + "' --enable-native-access=ALL-UNNAMED -cp '" + System.getProperty("java.class.path") + "' "
                + DdMainForTests.class.getName() + " \"$@\"\n");
        script.toFile().setExecutable(true);
        return script.toString();
    }

    private record Shell(int exit, String stdout) {}

    /** Runs {@code script} in bash in the temp dir with $DD set to GNU dd or to dioring dd. */
    private Shell sh(boolean gnu, String script) throws Exception {
        Files.writeString(dir.resolve("in"), "abcdef");
        Files.deleteIfExists(dir.resolve("out"));
        ProcessBuilder pb = new ProcessBuilder(BASH.toString(), "-c", script).directory(dir.toFile());
        pb.environment().put("DD", gnu ? GNU_DD.toString() : ours());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("hung: " + script);
        }
        return new Shell(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private void sameAsGnu(String script) throws Exception {
        Shell gnu = sh(true, script);
        Shell ours = sh(false, script);
        System.out.println(script + " -> GNU " + gnu + ", dioring " + ours);
        assertEquals(gnu, ours, script);
    }

    @Test
    void twoDdsSharingStdinEachContinueWhereTheOtherStopped() throws Exception {
        sameAsGnu("($DD bs=1 skip=1 count=1 2>/dev/null; $DD bs=1 skip=1 2>/dev/null) < in > out; cat out");
        Shell probe = sh(false, "$DD if=in 2>&1");
        assertEquals(0, probe.exit(), "dioring dd runs: " + probe.stdout());
    }

    @Test
    void catContinuesFromWhereDdLeftStdin() throws Exception {
        sameAsGnu("($DD bs=2 count=1 of=/dev/null 2>/dev/null; cat) < in");
    }

    @Test
    void theNextWriteToStdoutGoesAfterWhatDdWrote() throws Exception {
        sameAsGnu("(echo abc | $DD 2>/dev/null; echo X) > out; cat out");
    }

    @Test
    void skipPastTheEndLeavesStdinWhereGnuDdsLseekPutIt() throws Exception {
        sameAsGnu("($DD bs=4 skip=3 2>/dev/null; echo \"[$(cat)]\"; "
                + "$DD bs=1 skip=2 count=2 of=/dev/null 2>/dev/null; cat) < in");
    }

    @Test
    void aFailedWriteToStderrIsAnError() throws Exception {
        for (String script : List.of("$DD if=in of=out 2>/dev/full; echo \"status $?\"",
                "$DD if=in of=out 2>&-; echo \"status $?\"; cat out",
                "$DD if=in of=out status=none 2>&-; echo \"status $?\"")) {
            sameAsGnu(script);
        }
    }
}
