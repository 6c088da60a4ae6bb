package io.nexs.postgres.benchmarks;

import java.util.Arrays;
import java.util.Locale;

/**
 * How one contender compares with another when both ran in the same rounds: the ratio of their rates in each round,
 * summarised by the median and the quartiles of those ratios.
 *
 * <p>Pairing the rounds is what makes a short run trustworthy on a shared machine. A neighbour slowing the machine
 * for a second slows both contenders of a round alike, so their ratio barely moves even when their rates do, and a
 * disturbance that hits only one of them gives one outlying ratio, which the median ignores. A ratio of two medians
 * taken over different rounds has neither protection.
 *
 * @param median the median of the per-round ratios: the result
 * @param p25 the lower quartile of the per-round ratios
 * @param p75 the upper quartile of the per-round ratios
 * @param min the smallest per-round ratio
 * @param max the largest per-round ratio
 */
record PairedRatio(double median, double p25, double p75, double min, double max) {

    /**
     * The ratio {@code ours / theirs}, round by round.
     * @param ours one rate per round
     * @param theirs one rate per round, the same rounds
     * @return their summary
     */
    static PairedRatio of(double[] ours, double[] theirs) {
        if (ours.length != theirs.length || ours.length == 0) {
            throw new IllegalArgumentException("need the same rounds on both sides, got " + ours.length + " and "
                    + theirs.length);
        }
        double[] ratios = new double[ours.length];
        for (int r = 0; r < ratios.length; r++) {
            ratios[r] = ours[r] / theirs[r];
        }
        Arrays.sort(ratios);
        return new PairedRatio(quantile(ratios, 0.5), quantile(ratios, 0.25), quantile(ratios, 0.75), ratios[0],
                ratios[ratios.length - 1]);
    }

    /**
     * A quantile of sorted values, interpolated between the two nearest.
     * @param sorted values in ascending order, at least one
     * @param q between 0 and 1
     * @return the quantile
     */
    static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }

    /**
     * The median of values in any order.
     * @param values at least one
     * @return their median
     */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return quantile(sorted, 0.5);
    }

    /**
     * For a table cell: the median and the quartiles, {@code 0.98 (0.96-1.01)}.
     * @return the text
     */
    String cell() {
        return format(this.median) + " (" + format(this.p25) + "-" + format(this.p75) + ")";
    }

    /**
     * For the result line: {@code key=median key_p25=... key_p75=...}.
     * @param key the ratio's name
     * @return the text
     */
    String keys(String key) {
        return key + "=" + format(this.median) + " " + key + "_p25=" + format(this.p25) + " " + key + "_p75="
                + format(this.p75);
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

}
