package io.twinplatform.api.twin;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;

import java.util.regex.Pattern;

/**
 * Names a twin: a device ({@code deviceId}) or a module of a device ({@code deviceId} + {@code moduleId}). The
 * aggregate identifier is {@code deviceId} or {@code deviceId/moduleId}; {@code /} cannot occur in either id
 * (Azure's character set: ASCII letters and digits and {@code - . % _ * ? ! ( ) , : = @ $ '}, up to 128 long).
 */
public record TwinId(String deviceId, String moduleId) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.%_*?!(),:=@$']{1,128}");

    public TwinId {
        check(deviceId, "deviceId");
        if (moduleId != null) {
            check(moduleId, "moduleId");
        }
    }

    public static TwinId device(String deviceId) {
        return new TwinId(deviceId, null);
    }

    public static TwinId module(String deviceId, String moduleId) {
        return new TwinId(deviceId, moduleId);
    }

    /** The inverse of {@link #value()}. */
    public static TwinId parse(String value) {
        int slash = value.indexOf('/');
        return slash < 0 ? device(value) : module(value.substring(0, slash), value.substring(slash + 1));
    }

    public boolean isModule() {
        return moduleId != null;
    }

    /** The aggregate identifier, also the Kafka key and the projection's primary key. */
    public String value() {
        return moduleId == null ? deviceId : deviceId + "/" + moduleId;
    }

    public TwinId device() {
        return device(deviceId);
    }

    @Override
    public String toString() {
        return value();
    }

    private static void check(String id, String name) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidId", "$." + name,
                    name + " must be 1 to 128 characters of A-Z a-z 0-9 - . % _ * ? ! ( ) , : = @ $ '"));
        }
    }
}
