package io.twinplatform.history.computed;

import java.time.Instant;

/** What {@link RemainingUsefulLife#estimate} answers: a {@link Prediction} or the reason there is none. */
public sealed interface RulEstimate {

    /**
     * When the fitted trend line reaches the failure threshold.
     *
     * @param failureAt      where the trend line crosses the threshold; may lie before {@code now} when the trend
     *                       says the series is already past it
     * @param remainingHours hours from {@code now} to {@code failureAt}; 0 when that is already past or when the
     *                       latest sample has crossed the threshold, whatever the trend says
     * @param earliest       the crossing with the slope's 95% confidence bound that fails soonest, the line held
     *                       through the mean point of the samples; {@code null} only when the mean point is itself
     *                       past the threshold and the other bound does not degrade, or when it lies more than the
     *                       horizon before the latest sample
     * @param latest         the crossing with the other bound; {@code null} (unbounded) when that bound does not
     *                       degrade or crosses beyond the horizon of {@link RemainingUsefulLife#HORIZON_HOURS}
     * @param slopePerHour   the trend's slope, in units per hour
     * @param rSquared       the fit's coefficient of determination, 0 to 1: how much of the variation the line
     *                       explains
     * @param sampleCount    how many samples the line was fitted to
     */
    record Prediction(Instant failureAt, double remainingHours, Instant earliest, Instant latest,
                      double slopePerHour, double rSquared, long sampleCount) implements RulEstimate {
    }

    /**
     * No prediction, and why.
     *
     * @param reason      a stable code: {@code tooFewSamples} (fewer than the minimum), {@code noTimeSpread} (every
     *                    sample at one instant), {@code notDegrading} (the slope is 0 or moves away from failure),
     *                    {@code beyondHorizon} (the trend crosses more than {@link RemainingUsefulLife#HORIZON_HOURS} before or
     *                    after the latest sample)
     * @param sampleCount how many samples there were
     */
    record NoPrediction(String reason, long sampleCount) implements RulEstimate {
    }
}
