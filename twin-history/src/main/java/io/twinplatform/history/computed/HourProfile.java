package io.twinplatform.history.computed;

/**
 * What a baseline learnt for one UTC hour of day.
 *
 * @param hour   0 to 23, UTC
 * @param count  how many baseline samples fell in this hour, over every day of the baseline
 * @param median their median (R-7; {@code NaN} when count is 0)
 * @param mad    their median absolute deviation from {@code median}, unscaled ({@code NaN} when count is 0)
 */
public record HourProfile(int hour, int count, double median, double mad) {
}
