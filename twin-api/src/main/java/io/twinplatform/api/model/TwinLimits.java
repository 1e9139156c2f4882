package io.twinplatform.api.model;

/**
 * Size and shape limits of a twin. {@link #AZURE} holds Azure IoT Hub's defaults: tags 8 KB, desired and reported
 * 32 KB each (measured as compact UTF-8 JSON without {@code $metadata}/{@code $version}), 10 nested levels below a
 * section, keys up to 1 KB, strings up to 4 KB, integers within +-4503599627370495.
 */
public record TwinLimits(int maxTagsBytes,
                         int maxDesiredBytes,
                         int maxReportedBytes,
                         int maxDepth,
                         int maxKeyBytes,
                         int maxStringBytes,
                         long maxSafeInteger) {

    public static final TwinLimits AZURE =
            new TwinLimits(8 * 1024, 32 * 1024, 32 * 1024, 10, 1024, 4096, 4503599627370495L);

    public TwinLimits {
        if (maxTagsBytes <= 0 || maxDesiredBytes <= 0 || maxReportedBytes <= 0 || maxDepth <= 0
                || maxKeyBytes <= 0 || maxStringBytes <= 0 || maxSafeInteger <= 0) {
            throw new IllegalArgumentException("twin limits must be positive");
        }
    }
}
