package io.dioring.child;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.function.Executable;

/**
 * What a child JVM did: its exit code, whether it was killed at the timeout, its output,
 * and the one {@code RESULT} line the subject printed ({@link Report}), parsed.
 *
 * @param caseName the case, as the test named it
 * @param command the command line that started it
 * @param exitCode the child's exit status (128 + signal when a signal ended it)
 * @param timedOut whether it was killed at the timeout
 * @param timeout the limit it had
 * @param took how long it ran
 * @param stdout everything it printed on stdout
 * @param stderr everything it printed on stderr
 * @param outputDir where its output and crash reports are kept
 * @param crashReports hs_err files the JVM wrote
 */
public record ChildResult(String caseName, List<String> command, int exitCode, boolean timedOut, Duration timeout,
        Duration took, String stdout, String stderr, Path outputDir, List<Path> crashReports) {

    /** The prefix of the subject's one result line; fields follow, tab-separated {@code key=value}. */
    public static final String RESULT_PREFIX = "RESULT";
    /** The prefix of the line a subject prints when the case cannot run here. */
    public static final String SKIPPED_PREFIX = "SKIPPED: ";

    /** How much of the child's stderr a failure message shows. */
    private static final int TAIL_CHARS = 6000;

    /** The fields of the RESULT line (empty when there is none). */
    public Map<String, String> fields() {
        for (String line : stdout.split("\n")) {
            if (line.equals(RESULT_PREFIX) || line.startsWith(RESULT_PREFIX + "\t")) {
                Map<String, String> fields = new LinkedHashMap<>();
                for (String field : line.split("\t")) {
                    int eq = field.indexOf('=');
                    if (eq > 0) {
                        fields.put(field.substring(0, eq), field.substring(eq + 1));
                    }
                }
                return Collections.unmodifiableMap(fields);
            }
        }
        return Map.of();
    }

    /** The reason the subject gave for not running, if it printed a SKIPPED line. */
    public Optional<String> skipReason() {
        return Arrays.stream(stdout.split("\n"))
                .filter(l -> l.startsWith(SKIPPED_PREFIX))
                .map(l -> l.substring(SKIPPED_PREFIX.length()))
                .findFirst();
    }

    /** Whether the JVM itself died (a signal, or HotSpot's fatal-error handler ran). */
    public boolean crashed() {
        return !crashReports.isEmpty() || exitCode == 134 || exitCode == 139;
    }

    /**
     * Fails the test unless the child ran to its RESULT line: killed at the timeout, a JVM
     * crash and a missing RESULT line each fail with the case's name and the child's stderr.
     */
    public Map<String, String> assertReported() {
        if (timedOut) {
            fail(caseName + ": the child JVM was still running after " + timeout.toSeconds()
                    + " s and was killed (a hang)" + diagnostics());
        }
        if (crashed()) {
            fail(caseName + ": the child JVM crashed (exit " + exitCode + ", crash reports " + crashReports + ")"
                    + diagnostics());
        }
        Map<String, String> fields = fields();
        if (fields.isEmpty() && skipReason().isEmpty()) {
            fail(caseName + ": the child printed no RESULT line (exit " + exitCode + ")" + diagnostics());
        }
        return fields;
    }

    /**
     * Checks every expectation and reports all that fail at once, plus a hang the
     * subject's own watchdog caught ({@code hang=...}) and an exit code other than 0.
     * The heading names the case and carries the child's stderr when it did not exit 0.
     */
    public void assertAllOf(List<Consumer<Map<String, String>>> expectations) {
        Map<String, String> fields = assertReported();
        List<Executable> checks = new ArrayList<>();
        for (Consumer<Map<String, String>> e : expectations) {
            checks.add(() -> e.accept(fields));
        }
        checks.add(() -> {
            if (fields.containsKey("error")) {
                fail("the subject failed unexpectedly: " + fields.get("error"));
            }
        });
        checks.add(() -> {
            if (fields.containsKey("hang")) {
                fail("hung: " + fields.get("hang") + " did not return in time (the subject's watchdog stopped it)");
            }
        });
        checks.add(() -> {
            if (exitCode != 0) {
                fail("the child exited " + exitCode + ", not 0");
            }
        });
        String heading = caseName + " " + fields + (exitCode != 0 ? diagnostics() : "");
        assertAll(heading, checks);
    }

    /** The child's stderr (tail), stdout when it holds more than the RESULT line, and where the files are. */
    public String diagnostics() {
        StringBuilder b = new StringBuilder();
        b.append("\n--- child stderr (").append(outputDir.resolve("stderr.txt")).append(") ---\n");
        b.append(tail(stderr));
        if (timedOut || crashed()) {
            b.append("\n--- child stdout ---\n").append(tail(stdout));
        }
        return b.toString();
    }

    private static String tail(String s) {
        return s.length() <= TAIL_CHARS ? s : "..." + s.substring(s.length() - TAIL_CHARS);
    }
}
