/**
 * Computed attributes' statistics: values derived per twin from a series of telemetry samples (window statistics,
 * an hour-of-day anomaly score, a remaining-useful-life trend, a hysteresis alert) and the validated shape of an
 * operator's definition of one. Pure functions of their inputs: no Spring, no database, no clock (the instant a
 * result is relative to comes in as an argument). Every estimate comes from Apache Commons Math.
 */
package io.twinplatform.history.computed;
