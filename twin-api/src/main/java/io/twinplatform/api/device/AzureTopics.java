package io.twinplatform.api.device;

import java.util.HashMap;
import java.util.Map;

/**
 * The topics of Azure IoT Hub's MQTT device protocol, as the broker's edge answers them and the simulator speaks them:
 * requests and answers carry their parameters as a query after {@code /?} ({@code $rid=…&$version=…}).
 */
public final class AzureTopics {

    /** Twin requests and answers. */
    public static final String TWIN = "$iothub/twin/";
    public static final String TWIN_GET = TWIN + "GET";
    public static final String TWIN_PATCH_REPORTED = TWIN + "PATCH/properties/reported";
    /** {@code $iothub/twin/res/{status}/?$rid=…}. */
    public static final String TWIN_ANSWERS = TWIN + "res/";
    /** {@code $iothub/twin/PATCH/properties/desired/?$version=…}. */
    public static final String DESIRED_PATCHES = TWIN + "PATCH/properties/desired/";
    /** {@code $iothub/methods/POST/{name}/?$rid=…}. */
    public static final String METHOD_CALLS = "$iothub/methods/POST/";
    /** {@code $iothub/methods/res/{status}/?$rid=…}. */
    public static final String METHOD_ANSWERS = "$iothub/methods/res/";

    private AzureTopics() {
    }

    /** The topic without its query. */
    public static String path(String topic) {
        int query = topic.indexOf("/?");
        return query < 0 ? topic : topic.substring(0, query);
    }

    /**
     * The status of an answer topic ({@code <answers>{status}/?…}, where {@code answers} is {@link #TWIN_ANSWERS} or
     * {@link #METHOD_ANSWERS}), or null when it has none that is a number.
     */
    public static Integer status(String topic, String answers) {
        String path = path(topic);
        if (!path.startsWith(answers)) {
            return null;
        }
        try {
            return Integer.parseInt(path.substring(answers.length()));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The topic's query ({@code $rid=1&$version=2}), not decoded: Azure's values need no decoding; empty when none. */
    public static Map<String, String> query(String topic) {
        Map<String, String> values = new HashMap<>();
        int query = topic.indexOf("/?");
        if (query < 0) {
            return values;
        }
        for (String pair : topic.substring(query + 2).split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                values.putIfAbsent(pair.substring(0, equals), pair.substring(equals + 1));
            }
        }
        return values;
    }
}
