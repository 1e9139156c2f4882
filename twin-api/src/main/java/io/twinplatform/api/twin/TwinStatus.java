package io.twinplatform.api.twin;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether a twin's device may connect (Azure's device status). */
public enum TwinStatus {
    @JsonProperty("enabled") ENABLED,
    @JsonProperty("disabled") DISABLED;

    public String json() {
        return name().toLowerCase();
    }

    public static TwinStatus fromJson(String value) {
        for (TwinStatus status : values()) {
            if (status.json().equals(value)) {
                return status;
            }
        }
        return null;
    }
}
