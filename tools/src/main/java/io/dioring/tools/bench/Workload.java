package io.dioring.tools.bench;

import java.util.Locale;

/** The access patterns {@code dioring bench --rw} accepts, named as fio names them. */
public enum Workload {
    RANDREAD(true, false),
    RANDWRITE(true, true),
    READ(false, false),
    WRITE(false, true),
    /** Random, each I/O a read or a write with equal odds. */
    RANDRW(true, true);

    private final boolean random;
    private final boolean writes;

    Workload(boolean random, boolean writes) {
        this.random = random;
        this.writes = writes;
    }

    public boolean random() {
        return random;
    }

    /** Whether the workload writes (so the file is opened for writing). */
    public boolean writes() {
        return writes;
    }

    public String fioName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses fio's names: randread, randwrite, read, write, randrw. */
    public static Workload parse(String text) {
        for (Workload w : values()) {
            if (w.fioName().equals(text)) {
                return w;
            }
        }
        throw new IllegalArgumentException("--rw " + text + ": unknown access pattern; expected one of "
                + "randread, randwrite, read, write, randrw");
    }
}
