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
}
