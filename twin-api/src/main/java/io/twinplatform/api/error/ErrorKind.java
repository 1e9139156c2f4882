package io.twinplatform.api.error;

/**
 * The class of a refusal, and the HTTP status a client sees for it. Kept here (not in a web module) so that
 * every channel (HTTP, MQTT, Kafka replies) maps a refusal the same way.
 */
public enum ErrorKind {
    /** Malformed JSON, a section of the wrong JSON type, an invalid key or too deep a document. */
    MALFORMED(400, "Malformed request"),
    /** No credentials, or credentials the platform does not accept (unknown, revoked, expired, badly signed). */
    UNAUTHORIZED(401, "Unauthorized"),
    /** Authenticated, but the caller's roles do not allow the operation. */
    FORBIDDEN(403, "Forbidden"),
    NOT_FOUND(404, "Not found"),
    CONFLICT(409, "Conflict"),
    PRECONDITION_FAILED(412, "Precondition failed"),
    TOO_LARGE(413, "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    /** Well-formed JSON whose values a twin cannot hold (string too long, integer out of range, null in array). */
    UNPROCESSABLE(422, "Unprocessable content"),
    /** The caller or device sent more than its rate limit allows; nothing was taken, it may send again later. */
    TOO_MANY_REQUESTS(429, "Too many requests"),
    /** The platform failed to handle the request (a fault, not a refusal); see {@link TwinError#failed}. */
    INTERNAL(500, "Internal error"),
    /** A device the request reached answered with something the platform does not keep. */
    BAD_GATEWAY(502, "Bad gateway"),
    /** Something the request needs (the database, a read side) does not answer now; a retry may succeed. */
    UNAVAILABLE(503, "Service unavailable"),
    /** A device the request reached did not answer in time. */
    GATEWAY_TIMEOUT(504, "Gateway timeout");

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
