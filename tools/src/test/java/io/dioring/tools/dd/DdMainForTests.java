package io.dioring.tools.dd;

import picocli.CommandLine;

/** A main for trying {@code dioring dd} by hand before Main registers it: runs DdCommand on fds 0/1. */
public final class DdMainForTests {
    private DdMainForTests() {}

    public static void main(String[] args) {
        int status = new CommandLine(new DdCommand()).execute(args);
        System.out.flush();
        System.exit(status);
    }
}
