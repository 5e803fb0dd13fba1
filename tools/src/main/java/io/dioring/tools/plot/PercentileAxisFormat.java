package io.dioring.tools.plot;

import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.Locale;

/**
 * Labels the percentile axis, whose values are x = 1/(1-p): 10 is "90%", 100 "99%", 1000
 * "99.9%". Each decade past 99% adds one nine, so the label shows as many decimals as it has.
 */
final class PercentileAxisFormat extends NumberFormat {
    private static final long serialVersionUID = 1L;

    static String label(double x) {
        if (!(x >= 1)) {
            return "";
        }
        double percent = 100 * (1 - 1 / x);
        int decimals = (int) Math.max(0, Math.round(Math.log10(x)) - 2);
        return String.format(Locale.ROOT, "%." + decimals + "f%%", percent);
    }

    @Override
    public StringBuffer format(double number, StringBuffer toAppendTo, FieldPosition pos) {
        return toAppendTo.append(label(number));
    }

    @Override
    public StringBuffer format(long number, StringBuffer toAppendTo, FieldPosition pos) {
        return toAppendTo.append(label(number));
    }

    @Override
    public Number parse(String source, ParsePosition parsePosition) {
        throw new UnsupportedOperationException("percentile labels are only drawn, never parsed: " + source);
    }
}
