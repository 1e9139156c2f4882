package io.twinplatform.api.model;

import java.util.regex.Pattern;

/** Builds the JSON paths that errors name: {@code $.properties.desired.a.b[2]}; odd keys in bracket form. */
public final class JsonPath {

    /** The path of a twin's reported properties: where a device's reported patch is named, over HTTP and MQTT. */
    public static final String REPORTED = "$.properties.reported";

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_\\-]+");

    private JsonPath() {
    }

    public static String child(String parent, String key) {
        if (PLAIN.matcher(key).matches()) {
            return parent + "." + key;
        }
        return parent + "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']";
    }

    public static String index(String parent, int index) {
        return parent + "[" + index + "]";
    }
}
