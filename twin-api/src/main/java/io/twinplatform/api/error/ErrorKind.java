package io.twinplatform.api.error;

/**
 * The class of a refusal, and the HTTP status a client sees for it. Kept here (not in a web module) so that
 * every channel (HTTP, MQTT, Kafka replies) maps a refusal the same way.
 */
public enum ErrorKind {
    /** Malformed JSON, a section of the wrong JSON type, an invalid key or too deep a document. */
    MALFORMED(400, "Malformed request"),
    NOT_FOUND(404, "Not found"),
    CONFLICT(409, "Conflict"),
    PRECONDITION_FAILED(412, "Precondition failed"),
    TOO_LARGE(413, "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    /** Well-formed JSON whose values a twin cannot hold (string too long, integer out of range, null in array). */
    UNPROCESSABLE(422, "Unprocessable content");

    private final int status;
    private final String title;

    ErrorKind(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}
