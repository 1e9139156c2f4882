package io.twinplatform.api.twin;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How one configuration stands on a twin: {@value #APPLIED} when it decides at least one of the twin's desired keys
 * (or has nothing to set), {@value #TARGETED} when it targets the twin but stronger configurations decide all its
 * keys. A twin document shows {@value #ERROR} instead of Applied while the device reports
 * {@code properties.reported.configurations.<id>.status = "Error"}. {@code rolloutId} and {@code phase} say which
 * rollout admitted the configuration to the twin, and in which of its phases.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TwinConfigurationStatus(String status, String rolloutId, Integer phase) {

    public static final String TARGETED = "Targeted";
    public static final String APPLIED = "Applied";
    public static final String ERROR = "Error";
}
