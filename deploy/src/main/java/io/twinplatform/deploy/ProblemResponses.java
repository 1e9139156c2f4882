package io.twinplatform.deploy;

import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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

import java.net.URI;

/**
 * Turns every failure into {@code application/problem+json}: {@code type}, {@code title}, {@code status},
 * {@code detail}, a stable {@code code}, and {@code path} (the JSON path at fault) or {@code position} (the offset
 * of a JSON syntax error) where they apply. No stack trace reaches a client; an unexpected failure is logged here
 * and answered 500 without its message.
 */
@RestControllerAdvice
class ProblemResponses {

    private static final Logger log = LoggerFactory.getLogger(ProblemResponses.class);
    private static final MediaType PROBLEM = MediaType.APPLICATION_PROBLEM_JSON;
    private static final String TYPE_BASE = TwinError.TYPE_BASE;

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> handle(Exception failure) {
        TwinException twin = TwinException.find(failure);
        if (twin != null) {
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
        log.error("unexpected failure", failure);
        ProblemDetail detail = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "the platform failed to handle this request; nothing was written unless the twin's version changed");
        detail.setType(URI.create(TYPE_BASE + "internal"));
        detail.setProperty("code", "internal");
        return ResponseEntity.internalServerError().contentType(PROBLEM).body(detail);
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
