package io.twinplatform.api.error;

/**
 * Carries a {@link TwinError} out of a command handler or the model. Thrown before anything is applied, so the
 * unit of work rolls back and nothing is written.
 */
public class TwinException extends RuntimeException {

    private final TwinError error;

    public TwinException(TwinError error) {
        super(error.detail(), null, false, false);
        this.error = error;
    }

    public TwinError error() {
        return error;
    }

    /** The refusal inside {@code failure}, which may arrive wrapped (command bus, query bus, futures); or null. */
    public static TwinException find(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof TwinException twin) {
                return twin;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }
}
