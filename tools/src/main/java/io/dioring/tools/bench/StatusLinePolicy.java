package io.dioring.tools.bench;

/**
 * Whether {@code bench} shows its once-a-second status line: only for a person watching,
 * that is when stderr is a terminal, and never with {@code --json} (whose caller is a
 * program that wants exactly one line and nothing else).
 */
final class StatusLinePolicy {
    private StatusLinePolicy() {}

    static boolean shows(boolean jsonOutput, boolean stderrIsTerminal) {
        return stderrIsTerminal && !jsonOutput;
    }
}
