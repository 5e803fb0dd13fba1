package io.dioring.tools.bench;

import java.util.Locale;

/** Byte sizes as fio writes them: a number with an optional binary suffix (k, m, g, t; "kib" and "kb" too). */
public final class Sizes {
    private Sizes() {}

    /**
     * Parses {@code 4096}, {@code 4k}, {@code 1m}, {@code 2g}, {@code 1t} (powers of 1024).
     *
     * @throws IllegalArgumentException naming the text and the accepted syntax
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("size '" + text + "' is empty: expected a number with an optional "
                    + "suffix k, m, g or t (powers of 1024), e.g. 4k or 1g");
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty()) {
            switch (s.charAt(s.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = 0;
            }
        }
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        long value;
        try {
            value = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is not a number with an optional suffix "
                    + "k, m, g or t (powers of 1024), e.g. 4k or 1g");
        }
        if (value < 0) {
            throw new IllegalArgumentException("size '" + text + "' is negative");
        }
        if (shift > 0 && value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size '" + text + "' overflows 64 bits");
        }
        return value << shift;
    }

    /** 4096 -> "4KiB", 1048576 -> "1MiB", 1000 -> "1000B": exact when it can be. */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && (v & 1023) == 0) {
            v >>= 10;
            u++;
        }
        return v + units[u];
    }
}
