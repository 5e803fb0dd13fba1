package io.dioring.tools.dd;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;

/**
 * The text GNU dd prints, reproduced byte for byte: the three quoting styles coreutils uses
 * in dd's messages, gnulib's {@code human_readable} as dd calls it, and C's {@code %g}.
 */
final class DdText {
    private DdText() {}

    /** Whether the message quotes are U+2018/U+2019 (a UTF-8 locale) or ASCII apostrophes. */
    static boolean utf8Quotes(Map<String, String> env) {
        String value = null;
        for (String name : new String[] {"LC_ALL", "LC_CTYPE", "LANG"}) {
            String v = env.get(name);
            if (v != null && !v.isEmpty()) {
                value = v;
                break;
            }
        }
        if (value == null) {
            return false;
        }
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.contains("utf-8") || lower.contains("utf8");
    }

    /** gnulib {@code quote()}: locale quoting style, as in "invalid number: ‘x’". */
    static String quote(String s, boolean utf8) {
        return utf8 ? "\u2018" + s + "\u2019" : "'" + s + "'";
    }

    /** gnulib {@code quoteaf()}: shell-escape-always style, as in "failed to open 'x'". */
    static String quoteAlways(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** gnulib {@code quotef()}: shell-escape style, quoting only names that need it. */
    static String quoteIfNeeded(String s) {
        if (s.isEmpty()) {
            return "''";
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "%+,-./:=@_^]".indexOf(c) >= 0 || (c == '~' && i > 0) || (c == '#' && i > 0);
            if (!safe) {
                return quoteAlways(s);
            }
        }
        return s;
    }

    // gnulib human.h option bits (dd always rounds to nearest, the style with no bit)
    static final int AUTOSCALE = 32;
    static final int BASE_1024 = 16;
    static final int SI = 128;
    static final int SPACE_BEFORE_UNIT = 64;
    static final int B = 256;
    /** dd's {@code human_opts}: autoscale, round to nearest, space, SI, "B". */
    static final int DD_OPTS = AUTOSCALE | SPACE_BEFORE_UNIT | SI | B;

    private static final char[] POWER_LETTER = {0, 'K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'};

    /**
     * gnulib {@code human_readable(n, buf, opts, from_block_size, to_block_size)} for the
     * round-to-nearest style dd uses. Values are non-negative and fit in a long.
     */
    static String humanReadable(long n, int opts, long fromBlockSize, long toBlockSize) {
        int base = (opts & BASE_1024) != 0 ? 1024 : 1000;
        int exponentMax = POWER_LETTER.length - 1;
        int exponent = -1;
        String number;

        long amt = 0;
        int tenths = 0;
        int rounding = 0;
        boolean integer = false;
        if (toBlockSize <= fromBlockSize) {
            if (fromBlockSize % toBlockSize == 0) {
                long multiplier = fromBlockSize / toBlockSize;
                long hi = Math.multiplyHigh(n, multiplier);
                long product = n * multiplier;
                if (hi == 0 && product >= 0) {
                    amt = product;
                    integer = true;
                }
            }
        } else if (fromBlockSize != 0 && toBlockSize % fromBlockSize == 0) {
            long divisor = toBlockSize / fromBlockSize;
            long r10 = (n % divisor) * 10;
            long r2 = (r10 % divisor) * 2;
            amt = n / divisor;
            tenths = (int) (r10 / divisor);
            rounding = r2 < divisor ? (0 < r2 ? 1 : 0) : 2 + (divisor < r2 ? 1 : 0);
            integer = true;
        }

        if (!integer) {
            double damt = n * (fromBlockSize / (double) toBlockSize);
            double e = 1;
            exponent = 0;
            do {
                e *= base;
                exponent++;
            } while (e * base <= damt && exponent < exponentMax);
            damt /= e;
            String buf = fixed(damt, 1);
            if (1 + 2 + ((opts & BASE_1024) == 0 ? 1 : 0) < buf.length()) {
                buf = fixed(damt * 10 / 10, 0);
            }
            number = buf;
        } else {
            StringBuilder fraction = new StringBuilder();
            if ((opts & AUTOSCALE) != 0) {
                exponent = 0;
                if (base <= amt) {
                    do {
                        int r10 = (int) ((amt % base) * 10 + tenths);
                        int r2 = (r10 % base) * 2 + (rounding >> 1);
                        amt /= base;
                        tenths = r10 / base;
                        rounding = r2 < base ? ((r2 + rounding) != 0 ? 1 : 0) : 2 + (base < r2 + rounding ? 1 : 0);
                        exponent++;
                    } while (base <= amt && exponent < exponentMax);

                    if (amt < 10) {
                        if (2 < rounding + (tenths & 1)) {
                            tenths++;
                            rounding = 0;
                            if (tenths == 10) {
                                amt++;
                                tenths = 0;
                            }
                        }
                        if (amt < 10) {
                            fraction.append('.').append((char) ('0' + tenths));
                            tenths = 0;
                            rounding = 0;
                        }
                    }
                }
            }
            if (5 < tenths + ((0 < rounding + (amt & 1)) ? 1 : 0)) {
                amt++;
                if ((opts & AUTOSCALE) != 0 && amt == base && exponent < exponentMax) {
                    exponent++;
                    fraction.setLength(0);
                    fraction.append(".0");
                    amt = 1;
                }
            }
            number = Long.toString(amt) + fraction;
        }

        StringBuilder out = new StringBuilder(number);
        if ((opts & SI) != 0) {
            if (exponent < 0) {
                exponent = 0;
                for (long power = 1; power < toBlockSize; power *= base) {
                    if (++exponent == exponentMax) {
                        break;
                    }
                }
            }
            if ((exponent != 0 || (opts & B) != 0) && (opts & SPACE_BEFORE_UNIT) != 0) {
                out.append(' ');
            }
            if (exponent != 0) {
                out.append((opts & BASE_1024) == 0 && exponent == 1 ? 'k' : POWER_LETTER[exponent]);
            }
            if ((opts & B) != 0) {
                if ((opts & BASE_1024) != 0 && exponent != 0) {
                    out.append('i');
                }
                out.append('B');
            }
        }
        return out.toString();
    }

    /** C's {@code %.Nf}: the exact binary value rounded half-even, as glibc does. */
    static String fixed(double v, int decimals) {
        Shortest d = Shortest.of(v);
        if (d != null) {
            // Shortest digits that stop above the cut are the answer only where the cut's grid
            // is much coarser than the double's own spacing (else the exact value has digits there).
            long kept = d.roundedTo(d.point + decimals, Math.ulp(v) < Math.pow(10, -decimals) / 4);
            if (kept >= 0) {
                return plain(Long.toString(kept), decimals);
            }
        }
        return fixedExact(v, decimals);
    }

    /** {@link #fixed} from the exact binary value, always. */
    static String fixedExact(double v, int decimals) {
        return new BigDecimal(v).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
    }

    /** {@code digits} (an unscaled value) with a decimal point {@code decimals} places from the right. */
    private static String plain(String digits, int decimals) {
        if (decimals == 0) {
            return digits;
        }
        String padded = digits.length() > decimals ? digits : "0".repeat(decimals + 1 - digits.length()) + digits;
        int point = padded.length() - decimals;
        return padded.substring(0, point) + "." + padded.substring(point);
    }

    /**
     * The digits of {@link Double#toString}, the shortest decimal that reads back as the double:
     * value = 0.{@code digits} &times; 10<sup>{@code point}</sup>, no leading or trailing zeros.
     *
     * <p>Rounding these digits is rounding the double's exact binary value whenever some of them
     * are dropped and what is dropped is not exactly one half: a rounding boundary between the two
     * would be a decimal within the double's rounding interval shorter than the shortest one. When
     * nothing is dropped, the shortest digits are the answer where the cut's steps are much wider
     * than that interval (for six significant digits, every double but the subnormals). Only elsewhere, or at such a tie, is
     * the exact value needed, through {@link BigDecimal} — cold, that costs a command-line run
     * 15-30 ms, which is why the digits come first.
     */
    private record Shortest(String digits, int point) {
        private static final long[] POWERS_OF_TEN = {1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L,
            10_000_000L, 100_000_000L, 1_000_000_000L, 10_000_000_000L, 100_000_000_000L, 1_000_000_000_000L,
            10_000_000_000_000L, 100_000_000_000_000L, 1_000_000_000_000_000L, 10_000_000_000_000_000L,
            100_000_000_000_000_000L, 1_000_000_000_000_000_000L};

        /** The digits of {@code v}, or null when it is zero, negative or not finite. */
        static Shortest of(double v) {
            if (!(v > 0) || Double.isInfinite(v)) {
                return null;
            }
            String s = Double.toString(v);
            int e = s.indexOf('E');
            int exponent = e < 0 ? 0 : Integer.parseInt(s, e + 1, s.length(), 10);
            String mantissa = e < 0 ? s : s.substring(0, e);
            int dot = mantissa.indexOf('.');
            String all = mantissa.substring(0, dot) + mantissa.substring(dot + 1);
            int point = dot + exponent;
            int start = 0;
            while (all.charAt(start) == '0') {
                start++;
                point--;
            }
            int end = all.length();
            while (all.charAt(end - 1) == '0') {
                end--;
            }
            return new Shortest(all.substring(start, end), point);
        }

        /**
         * The value rounded half-even to its first {@code keep} digits (a count that may be zero or
         * negative: the cut is then above the first digit), as an unscaled number; -1 when the
         * digits cannot decide it (see the class comment) or it has more than 18 digits.
         *
         * @param coarseGrid whether steps of one unit at the cut are much wider than the double's
         *        rounding interval: then digits that stop above the cut are exact there (the
         *        nearest grid point to the exact value is the shortest decimal itself)
         */
        long roundedTo(int keep, boolean coarseGrid) {
            int n = digits.length();
            if (keep > 18) {
                return -1;
            }
            if (keep >= n) {
                return coarseGrid ? Long.parseLong(digits) * POWERS_OF_TEN[keep - n] : -1;
            }
            if (keep < 0) {
                return 0; // below half a unit of the cut: the first digit is two places under it
            }
            char first = digits.charAt(keep);
            boolean tie = first == '5' && keep + 1 == n;
            if (tie) {
                return -1;
            }
            long kept = keep == 0 ? 0 : Long.parseLong(digits, 0, keep, 10);
            return first >= '5' ? kept + 1 : kept;
        }
    }

    /** C's {@code %g} (precision 6) as glibc prints it. */
    static String g(double v) {
        String special = special(v);
        if (special != null) {
            return special;
        }
        final int p = 6;
        Shortest d = Shortest.of(v);
        // Six significant digits: steps far wider than a double's, except among subnormals.
        long kept = d == null ? -1 : d.roundedTo(p, Math.ulp(v) < Math.pow(10, d.point - p) / 4);
        if (kept < 0) {
            return gOfExact(v);
        }
        int x = d.point - 1; // decimal exponent of the first digit
        if (kept == 1_000_000) { // rounded up to the next power of ten
            kept = 100_000;
            x++;
        }
        String digits = Long.toString(kept); // p digits
        if (p > x && x >= -4) {
            return stripZeros(x >= 0 ? plain(digits, p - 1 - x) : "0." + "0".repeat(-x - 1) + digits);
        }
        return withExponent(digits.charAt(0) + "." + digits.substring(1), x);
    }

    /** {@link #g} from the exact binary value, always. */
    static String gExact(double v) {
        String special = special(v);
        return special != null ? special : gOfExact(v);
    }

    /** What {@code %g} prints for zero, infinities and NaN; null for any other value. */
    private static String special(double v) {
        if (v == 0) {
            return "0";
        }
        if (Double.isInfinite(v) || Double.isNaN(v)) {
            return Double.isNaN(v) ? "nan" : (v > 0 ? "inf" : "-inf");
        }
        return null;
    }

    /** {@code %g} of a finite, non-zero {@code v} through its exact value. */
    private static String gOfExact(double v) {
        final int p = 6;
        BigDecimal rounded = new BigDecimal(v).round(new MathContext(p, RoundingMode.HALF_EVEN));
        int x = rounded.precision() - rounded.scale() - 1; // decimal exponent of the rounded value
        if (p > x && x >= -4) {
            return stripZeros(rounded.setScale(p - 1 - x, RoundingMode.HALF_EVEN).toPlainString());
        }
        BigDecimal mantissa = rounded.movePointLeft(x).setScale(p - 1, RoundingMode.HALF_EVEN);
        return withExponent(mantissa.toPlainString(), x);
    }

    /** {@code %g}'s exponent form: the mantissa without trailing zeros, {@code e}, a sign, two digits or more. */
    private static String withExponent(String mantissa, int x) {
        int ax = Math.abs(x);
        return stripZeros(mantissa) + "e" + (x < 0 ? "-" : "+") + (ax < 10 ? "0" : "") + ax;
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) {
            return s;
        }
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }
}
