package io.twinplatform.history.computed;

import java.util.Locale;
import java.util.Objects;

/**
 * A threshold alert that does not flap: it is raised when the value reaches {@code raise} and cleared only when it
 * has come back as far as {@code clear}, so a value hovering around one threshold does not raise and clear it on
 * every sample. A value strictly between the two changes nothing.
 *
 * <p>The rule ({@link #valid}): for {@link Side#ABOVE}, {@code clear < raise}; for {@link Side#BELOW},
 * {@code clear > raise}; both finite. Equal thresholds are refused: they are a plain threshold, which flaps.
 *
 * @param side  whether values above or below {@code raise} are the alarming ones
 * @param raise the value at which the alert is raised (inclusive)
 * @param clear the value at which a raised alert clears (inclusive)
 */
public record AlertHysteresis(Side side, double raise, double clear) {

    /** Which side of the raise threshold is alarming. */
    public enum Side {
        /** Raised when {@code value >= raise}, cleared when {@code value <= clear}. */
        ABOVE,
        /** Raised when {@code value <= raise}, cleared when {@code value >= clear}. */
        BELOW
    }

    /** What a new value does to the alert. */
    public enum Transition {
        RAISE, CLEAR, NONE
    }

    /** @throws IllegalArgumentException when the thresholds break the rule of the class comment */
    public AlertHysteresis {
        Objects.requireNonNull(side, "side");
        if (!valid(side, raise, clear)) {
            throw new IllegalArgumentException("for an alert " + side.name().toLowerCase(Locale.ROOT)
                    + " " + raise + ", clear must be finite and on the " + (side == Side.ABOVE ? "lower" : "upper")
                    + " side of it, not " + clear);
        }
    }

    /** Whether {@code raise} and {@code clear} make a hysteresis for {@code side}: the rule of the class comment. */
    public static boolean valid(Side side, double raise, double clear) {
        if (!Double.isFinite(raise) || !Double.isFinite(clear)) {
            return false;
        }
        return side == Side.ABOVE ? clear < raise : clear > raise;
    }

    /**
     * What {@code value} does to an alert that is {@code currentlyRaised} or not: {@link Transition#RAISE} when it
     * is not raised and the value reaches {@code raise}, {@link Transition#CLEAR} when it is raised and the value is
     * back to {@code clear}, otherwise {@link Transition#NONE} (a NaN changes nothing).
     */
    public Transition next(boolean currentlyRaised, double value) {
        if (currentlyRaised) {
            boolean cleared = side == Side.ABOVE ? value <= clear : value >= clear;
            return cleared ? Transition.CLEAR : Transition.NONE;
        }
        boolean raised = side == Side.ABOVE ? value >= raise : value <= raise;
        return raised ? Transition.RAISE : Transition.NONE;
    }
}
