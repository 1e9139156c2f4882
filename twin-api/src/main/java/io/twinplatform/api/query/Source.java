package io.twinplatform.api.query;

/** What a query runs over: device twins ({@code FROM devices}) or module twins ({@code FROM devices.modules}). */
public enum Source {
    DEVICES("devices"),
    MODULES("devices.modules");

    private final String text;

    Source(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }
}
