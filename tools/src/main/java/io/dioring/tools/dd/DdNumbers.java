package io.dioring.tools.dd;

import java.io.PrintStream;
import java.math.BigInteger;

/**
 * dd's numbers: gnulib's {@code xstrtoumax} with dd's suffixes and dd.c's
 * {@code parse_integer} ("AxB" products, the "0x" warning), saturating and reporting as they do.
 */
final class DdNumbers {
    static final int LONGINT_OK = 0;
    static final int LONGINT_OVERFLOW = 1;
    static final int LONGINT_INVALID_SUFFIX_CHAR = 2;
    static final int LONGINT_INVALID = 4;

    private static final BigInteger UINTMAX_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger INTMAX_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private DdNumbers() {}

    /** Result of gnulib's xstrtoumax: error bits, value (saturated), index where parsing stopped. */
    private record XStrtol(int err, BigInteger value, int end) {}

    private static final String VALID_SUFFIXES = "bcEGkKMPTwYZ0";

    /** gnulib xstrtoumax(s + start, &end, 10, &val, "bcEGkKMPTwYZ0"). */
    private static XStrtol xstrtoumax(String s, int start) {
        int i = start;
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        if (i < s.length() && s.charAt(i) == '-') {
            return new XStrtol(LONGINT_INVALID, BigInteger.ZERO, start);
        }
        // strtoumax: whitespace, optional sign, digits
        int j = i;
        if (j < s.length() && s.charAt(j) == '+') {
            j++;
        }
        int digitsStart = j;
        while (j < s.length() && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
            j++;
        }
        int err = LONGINT_OK;
        BigInteger tmp;
        int p;
        if (j == digitsStart) {
            p = start; // no conversion: end pointer is the start of the string
            if (p < s.length() && VALID_SUFFIXES.indexOf(s.charAt(p)) >= 0) {
                tmp = BigInteger.ONE;
            } else {
                return new XStrtol(LONGINT_INVALID, BigInteger.ZERO, p);
            }
        } else {
            p = j;
            tmp = new BigInteger(s.substring(digitsStart, j));
            if (tmp.compareTo(UINTMAX_MAX) > 0) {
                tmp = UINTMAX_MAX;
                err = LONGINT_OVERFLOW;
            }
        }
        if (p == s.length()) {
            return new XStrtol(err, tmp, p);
        }
        char c = s.charAt(p);
        if (VALID_SUFFIXES.indexOf(c) < 0) {
            return new XStrtol(err | LONGINT_INVALID_SUFFIX_CHAR, tmp, p);
        }
        int base = 1024;
        int suffixes = 1;
        if ("EGgkKMmPQRTtYZ".indexOf(c) >= 0) {
            char next = p + 1 < s.length() ? s.charAt(p + 1) : '\0';
            if (next == 'i') {
                if (p + 2 < s.length() && s.charAt(p + 2) == 'B') {
                    suffixes += 2;
                }
            } else if (next == 'B' || next == 'D') {
                base = 1000;
                suffixes++;
            }
        }
        int power;
        long scale = 0;
        switch (c) {
            case 'b' -> { scale = 512; power = -1; }
            case 'c' -> { scale = 1; power = -1; }
            case 'w' -> { scale = 2; power = -1; }
            case 'k', 'K' -> power = 1;
            case 'M' -> power = 2;
            case 'G' -> power = 3;
            case 'T' -> power = 4;
            case 'P' -> power = 5;
            case 'E' -> power = 6;
            case 'Z' -> power = 7;
            case 'Y' -> power = 8;
            default -> {
                return new XStrtol(err | LONGINT_INVALID_SUFFIX_CHAR, tmp, p);
            }
        }
        BigInteger scaled = power < 0 ? tmp.multiply(BigInteger.valueOf(scale))
                : tmp.multiply(BigInteger.valueOf(base).pow(power));
        if (scaled.compareTo(UINTMAX_MAX) > 0) {
            // bkm_scale saturates and reports overflow (the power form saturates step by step, same result)
            scaled = UINTMAX_MAX;
            err |= LONGINT_OVERFLOW;
        }
        p += suffixes;
        if (p < s.length()) {
            err |= LONGINT_INVALID_SUFFIX_CHAR;
        }
        return new XStrtol(err, scaled, Math.min(p, s.length()));
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }

    /** dd.c's parse_integer: a non-negative number with suffixes, optionally "AxB" products. */
    static long parseInteger(String str, int[] invalid, PrintStream err, boolean utf8) {
        XStrtol x = xstrtoumax(str, 0);
        int e = x.err();
        BigInteger n = x.value();
        int suffix = x.end();
        long result = 0;

        if ((e & ~LONGINT_OVERFLOW) == LONGINT_INVALID_SUFFIX_CHAR && suffix > 0
                && str.charAt(suffix - 1) != 'B' && suffix < str.length() && str.charAt(suffix) == 'B') {
            suffix++;
            if (suffix == str.length()) {
                e &= ~LONGINT_INVALID_SUFFIX_CHAR;
            }
        }

        if ((e & ~LONGINT_OVERFLOW) == LONGINT_INVALID_SUFFIX_CHAR && suffix < str.length()
                && str.charAt(suffix) == 'x'
                && !(suffix > 0 && str.charAt(suffix - 1) == 'B' && str.indexOf('B', suffix + 1) >= 0)) {
            XStrtol f = xstrtoumax(str, suffix + 1);
            if ((f.err() & ~LONGINT_OVERFLOW) != LONGINT_OK) {
                e = f.err();
                result = 0;
            } else {
                BigInteger product = n.multiply(f.value());
                if (product.compareTo(INTMAX_MAX) > 0
                        || (product.signum() != 0 && ((e | f.err()) & LONGINT_OVERFLOW) != 0)) {
                    e = LONGINT_OVERFLOW;
                    result = Long.MAX_VALUE;
                } else {
                    result = product.longValueExact();
                    if (result == 0 && str.startsWith("0x")) {
                        err.println("dd: warning: " + DdText.quote("0x", utf8) + " is a zero multiplier; use "
                                + DdText.quote("00x", utf8) + " if that is intended");
                    }
                    e = LONGINT_OK;
                }
            }
        } else if (n.compareTo(INTMAX_MAX) <= 0) {
            result = n.longValue();
        } else {
            e = LONGINT_OVERFLOW;
            result = Long.MAX_VALUE;
        }
        invalid[0] = e;
        return result;
    }
}
