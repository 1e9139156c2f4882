package io.twinplatform.deploy.http;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.TwinError;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tomcat's last word on an error response nothing else answered, as {@code application/problem+json} instead of
 * Tomcat's HTML page. Tomcat refuses some requests before the platform sees them: a path with {@code %00}, a
 * malformed escape or percent-encoded bytes that are not UTF-8, a raw control or non-ASCII byte in the request
 * line, a control character in a header. Those answer {@code 400} with code {@code invalidRequest}; other statuses
 * that only Tomcat answers keep their status with a generic code. The detail never quotes Tomcat's own message.
 *
 * <p>Installed as the host's error report valve (a class name, so it needs a public no-argument constructor).
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        HttpStatus known = HttpStatus.resolve(status);
        ObjectNode problem = JsonNodeFactory.instance.objectNode();
        String code = code(status);
        problem.put("type", TwinError.TYPE_BASE + code);
        problem.put("title", known == null ? "Error" : known.getReasonPhrase());
        problem.put("status", status);
        problem.put("detail", status == 400
                ? "the request is not valid HTTP: its path or query must be percent-encoded UTF-8 without %00 (an"
                + " encoded '/' or '\\' is not accepted in a path), and header values must not hold control characters"
                : status >= 500 ? "the platform failed to handle this request"
                : "the request was refused before the platform could read it");
        problem.put("code", code);
        try {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(problem.toString());
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The client is gone or the response was taken over; there is no one left to tell.
        }
    }

    private static String code(int status) {
        return switch (status) {
            case 400 -> "invalidRequest";
            case 404 -> "noSuchPath";
            case 405 -> "methodNotAllowed";
            case 413 -> "bodyTooLarge";
            case 414 -> "uriTooLong";
            case 431 -> "headersTooLarge";
            case 503 -> "unavailable";
            default -> status >= 500 ? "internal" : "httpError";
        };
    }

    /**
     * Makes the valve the host's error report valve before Tomcat starts, in place of any error report valve
     * already in the host's pipeline (Tomcat's own, or the one Spring Boot adds).
     */
    @Component
    static class Installer implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    for (Valve valve : host.getPipeline().getValves()) {
                        if (valve instanceof ErrorReportValve && !(valve instanceof ProblemErrorReportValve)) {
                            host.getPipeline().removeValve(valve);
                        }
                    }
                    host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
        }
    }
}
