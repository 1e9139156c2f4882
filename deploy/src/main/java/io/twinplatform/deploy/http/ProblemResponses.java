package io.twinplatform.deploy.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.Scope;
import io.twinplatform.deploy.database.DatabaseSettings;
import io.twinplatform.deploy.security.ScopeEdge;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.dao.TransientDataAccessResourceException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Turns every failure into {@code application/problem+json}: {@code type}, {@code title}, {@code status},
 * {@code detail}, a stable {@code code}, and {@code path} (the JSON path at fault) or {@code position} (the offset
 * of a JSON syntax error) where they apply. No stack trace reaches a client.
 * <p>
 * A database that did not answer in time, refused the connection or went away is {@code 503 databaseUnavailable}
 * with {@code Retry-After} ({@code twin.database.retry-after}); any other unexpected failure is logged here and
 * answered {@code 500 internal} without its message. Neither claims that nothing was written unless the request
 * was a read: a write that timed out waiting for its commit's answer may have been applied all the same, so the
 * detail says how to find out (read the version) and how to repeat safely (the same {@code If-Match} or
 * {@code Idempotency-Key}).
 */
@RestControllerAdvice
public class ProblemResponses {

    private static final Logger log = LoggerFactory.getLogger(ProblemResponses.class);
    private static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;
    private static final String TYPE_BASE = TwinError.TYPE_BASE;
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");
    private static final String RETRY_HINT = "read what it writes (a twin's version and etag show whether it"
            + " changed), or send it again with the same If-Match or Idempotency-Key, which keeps a repeat from"
            + " applying twice";

    private final long retryAfterSeconds;

    private final Counter outsideScope;

    ProblemResponses(DatabaseSettings database, MeterRegistry meters) {
        this.retryAfterSeconds = Math.max(1, database.retryAfter().toSeconds());
        this.outsideScope = ScopeEdge.denials(meters);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> handle(Exception failure, HttpServletRequest request) {
        TwinException twin = TwinException.find(failure);
        if (twin != null) {
            if (Scope.OUTSIDE_SCOPE.equals(twin.error().code())) {
                outsideScope.increment();
                log.info("denied {} {} to {}: outside its scope", request.getMethod(), request.getRequestURI(),
                        request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName());
            }
            return problem(twin.error());
        }
        if (failure instanceof HttpMediaTypeNotSupportedException e) {
            return problem(TwinError.of(ErrorKind.UNSUPPORTED_MEDIA_TYPE, "unsupportedMediaType",
                    "send application/json" + (e.getSupportedMediaTypes().size() > 1 ? " or application/merge-patch+json" : "")));
        }
        if (failure instanceof HttpMessageNotReadableException) {
            return problem(TwinError.at(ErrorKind.MALFORMED, "emptyBody", "$", "the request body is missing"));
        }
        if (failure instanceof MissingRequestHeaderException e) {
            return problem(TwinError.of(ErrorKind.MALFORMED, "missingHeader", "header " + e.getHeaderName() + " is required"));
        }
        if (failure instanceof MethodArgumentTypeMismatchException e) {
            return problem(TwinError.of(ErrorKind.MALFORMED, "invalidParameter", "parameter " + e.getName() + " is invalid"));
        }
        if (failure instanceof MaxUploadSizeExceededException) {
            return problem(TwinError.of(ErrorKind.TOO_LARGE, "bodyTooLarge", "the request body is too large"));
        }
        if (failure instanceof NoResourceFoundException) {
            return problem(TwinError.of(ErrorKind.NOT_FOUND, "noSuchPath", "no such path"));
        }
        if (failure instanceof HttpRequestMethodNotSupportedException e) {
            return status(HttpStatus.METHOD_NOT_ALLOWED, "methodNotAllowed", e.getMethod() + " is not supported here");
        }
        if (failure instanceof HttpMediaTypeNotAcceptableException) {
            // Answered as problem+json whatever the Accept header said: a client that can read no error format
            // still gets the status.
            return status(HttpStatus.NOT_ACCEPTABLE, "notAcceptable",
                    "this resource answers application/json; send Accept: application/json or */*");
        }
        if (failure instanceof ErrorResponse e && e.getStatusCode().is4xxClientError()) {
            // Any other refusal Spring MVC makes before a controller runs (a missing or unconvertible parameter, ...):
            // its status, in our words (Spring's detail may quote its own types).
            HttpStatus status = HttpStatus.resolve(e.getStatusCode().value());
            return status(status == null ? HttpStatus.BAD_REQUEST : status, "badRequest",
                    "the request cannot be handled as sent: check its parameters and headers against /v3/api-docs");
        }
        boolean read = READS.contains(request.getMethod());
        if (databaseUnavailable(failure)) {
            log.warn("the database did not answer {} {}: {}", request.getMethod(), request.getRequestURI(),
                    deepest(failure).toString());
            ResponseEntity<ProblemDetail> unavailable = problem(TwinError.of(ErrorKind.UNAVAILABLE,
                    "databaseUnavailable", "the database did not answer in time or is unavailable; try again in "
                            + retryAfterSeconds + " s. " + (read ? "Nothing was written (a read)."
                            : "If this was a write, whether it was applied is unknown: " + RETRY_HINT + ".")));
            return ResponseEntity.status(unavailable.getStatusCode()).contentType(PROBLEM)
                    .header(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds)).body(unavailable.getBody());
        }
        log.error("unexpected failure", failure);
        return problem(TwinError.failed("request", read ? null : RETRY_HINT));
    }

    /**
     * Whether {@code failure} (or any cause) says the database did not answer in time, could not be reached, or
     * ended the connection: a connection failure (SQL state class {@code 08}: the driver's socket timeout, a refused
     * or broken connection), no pooled connection within the pool's wait, a statement cancelled by a timeout
     * ({@code 57014}), a server shutting down or starting ({@code 57P01}-{@code 57P03}) or out of connections
     * ({@code 53300}). Every one of these ends once the database answers again, so a retry can succeed.
     */
    static boolean databaseUnavailable(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause()) {
            if (cause instanceof SQLTransientConnectionException || cause instanceof SocketTimeoutException
                    || cause instanceof ConnectException || cause instanceof QueryTimeoutException
                    || cause instanceof DataAccessResourceFailureException
                    || cause instanceof TransientDataAccessResourceException) {
                return true;
            }
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.equals("57014") || state.startsWith("57P0") || state.equals("53300")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Throwable deepest(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Throwable deepest = failure;
        while (deepest.getCause() != null && seen.add(deepest)) {
            deepest = deepest.getCause();
        }
        return deepest;
    }

    private static ResponseEntity<ProblemDetail> status(HttpStatus status, String code, String text) {
        ProblemDetail detail = ProblemDetail.forStatusAndDetail(status, text);
        detail.setType(URI.create(TYPE_BASE + code));
        detail.setProperty("code", code);
        return ResponseEntity.status(status).contentType(PROBLEM).body(detail);
    }

    /** The HTTP form of {@link TwinError#toProblem()}, which MQTT sends as it is. */
    static ResponseEntity<ProblemDetail> problem(TwinError error) {
        ProblemDetail detail = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(error.kind().status()), error.detail());
        error.toProblem().fields().forEachRemaining(member -> {
            switch (member.getKey()) {
                case "type" -> detail.setType(URI.create(member.getValue().asText()));
                case "title" -> detail.setTitle(member.getValue().asText());
                case "status", "detail" -> { }
                default -> detail.setProperty(member.getKey(), member.getValue().isNumber()
                        ? member.getValue().asLong() : member.getValue().asText());
            }
        });
        return ResponseEntity.status(error.kind().status()).contentType(PROBLEM).body(detail);
    }
}
