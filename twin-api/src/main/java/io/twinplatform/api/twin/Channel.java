package io.twinplatform.api.twin;

/** Through what a change reached the twin; recorded in every event's metadata. */
public enum Channel {
    API, DEVICE, CONFIGURATION, ROLLOUT, JOB, COMPUTED;

    public String json() {
        return name().toLowerCase();
    }
}
