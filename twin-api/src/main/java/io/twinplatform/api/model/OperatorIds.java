package io.twinplatform.api.model;

import java.util.regex.Pattern;

/**
 * The ids operators give configurations, rollouts and jobs: Azure IoT Hub's rule for configuration and job ids,
 * 1 to 128 lowercase letters, digits and {@code - : + % _ # * ? ! ( ) , = @ ; $ '}. One rule, so an id valid for one
 * of them is valid for the others.
 */
public final class OperatorIds {

    /** The allowed characters, as a message can list them. */
    public static final String RULE = "1 to 128 lowercase letters, digits or - : + % _ # * ? ! ( ) , = @ ; $ '";

    private static final Pattern ID = Pattern.compile("[a-z0-9\\-:+%_#*?!(),=@;$']{1,128}");

    private OperatorIds() {
    }

    public static boolean valid(String id) {
        return id != null && ID.matcher(id).matches();
    }
}
