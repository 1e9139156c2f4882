package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.TwinError;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.config.annotation.ContentNegotiationConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import java.io.IOException;
import java.io.Writer;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * What the platform does with requests that its controllers cannot make sense of, so that no malformed request is
 * answered 500 or with anything but {@code application/problem+json}:
 * <ul>
 *   <li>A {@code Content-Type} with a wildcard ({@code *}{@code /*}, {@code application/*}) names no media type; the
 *       request is treated as if it had none (a JSON-only operation answers {@code 415}, one that takes any body or
 *       none reads it as it would without the header). Spring would otherwise fail on it deep in its request
 *       adapter.</li>
 *   <li>{@code Accept} is not consulted: every answer is JSON, problem+json, or what the operation's own parameter
 *       says ({@code /audit/export?format=csv}). An answer that cannot be rendered in the asked type would
 *       otherwise become {@code 406} <em>after</em> a write had happened.</li>
 *   <li>What Tomcat refuses before the application sees it (a percent-encoded {@code /} or {@code \}, broken
 *       percent-encoding, a malformed header) is answered as a problem too, instead of Tomcat's HTML page.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class HttpEdgeConfiguration implements WebMvcConfigurer {

    @Override
    public void configureContentNegotiation(ContentNegotiationConfigurer negotiation) {
        negotiation.ignoreAcceptHeader(true).defaultContentType(MediaType.ALL);
    }

    @Bean
    FilterRegistrationBean<WildcardContentTypeFilter> wildcardContentTypeFilter() {
        FilterRegistrationBean<WildcardContentTypeFilter> registration =
                new FilterRegistrationBean<>(new WildcardContentTypeFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    /**
     * Replaces the host's error report (Tomcat's own, and the one Spring Boot adds in its place) by
     * {@link ProblemErrorReportValve}. Runs after Spring Boot's customizer (this bean has the lowest precedence), so
     * Spring Boot's valve is in the pipeline to be removed.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports() {
        return factory -> factory.addContextCustomizers(context -> {
            if (context.getParent() instanceof StandardHost host) {
                for (Valve valve : host.getPipeline().getValves()) {
                    if (valve instanceof ErrorReportValve) {
                        host.getPipeline().removeValve(valve);
                    }
                }
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                host.getPipeline().addValve(new ProblemErrorReportValve());
            }
        });
    }

    /** Hides a {@code Content-Type} header with a wildcard from everything after it. */
    static final class WildcardContentTypeFilter extends OncePerRequestFilter {

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            chain.doFilter(wildcard(request.getContentType()) ? new WithoutContentType(request) : request, response);
        }

        static boolean wildcard(String contentType) {
            if (contentType == null || contentType.isBlank()) {
                return false;
            }
            try {
                MediaType type = MediaType.parseMediaType(contentType);
                return type.isWildcardType() || type.isWildcardSubtype();
            } catch (InvalidMediaTypeException e) {
                return false;
            }
        }
    }

    private static final class WithoutContentType extends HttpServletRequestWrapper {

        WithoutContentType(HttpServletRequest request) {
            super(request);
        }

        @Override
        public String getContentType() {
            return null;
        }

        @Override
        public String getHeader(String name) {
            return HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name) ? null : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name) ? Collections.emptyEnumeration()
                    : super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = Collections.list(super.getHeaderNames());
            names.removeIf(HttpHeaders.CONTENT_TYPE::equalsIgnoreCase);
            return Collections.enumeration(names);
        }
    }

    /**
     * Tomcat's error report as {@code application/problem+json}: the status Tomcat chose, a stable {@code code}, and
     * a detail in the platform's words (Tomcat's own message can quote its classes). Only answers Tomcat produced
     * itself come here; the application writes its problems directly.
     */
    static final class ProblemErrorReportValve extends ErrorReportValve {

        private static final ObjectMapper JSON = new ObjectMapper();

        @Override
        protected void report(Request request, Response response, Throwable throwable) {
            int status = response.getStatus();
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            HttpStatus known = HttpStatus.resolve(status);
            String code = switch (status) {
                case 400 -> "malformedRequest";
                case 404 -> "noSuchPath";
                case 408 -> "requestTimeout";
                case 413 -> "bodyTooLarge";
                case 414 -> "uriTooLong";
                case 431 -> "headersTooLarge";
                default -> status >= 500 ? "internal" : "httpError";
            };
            String detail = switch (status) {
                case 400 -> "the request is malformed: check the percent-encoding of the path and query (an encoded"
                        + " '/' or '\\' is not accepted in a path) and the header values";
                case 404 -> "no such path";
                case 413 -> "the request body is too large";
                case 414 -> "the request target is too long";
                case 431 -> "the request headers are too large";
                default -> status >= 500 ? "the platform failed to handle this request"
                        : "the request cannot be handled as sent";
            };
            ObjectNode problem = JSON.createObjectNode()
                    .put("type", TwinError.TYPE_BASE + code)
                    .put("title", known == null ? "Error" : known.getReasonPhrase())
                    .put("status", status)
                    .put("detail", detail)
                    .put("code", code);
            try {
                response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
                response.setCharacterEncoding("utf-8");
                Writer writer = response.getReporter();
                if (writer != null) {
                    writer.write(problem.toString());
                    response.finishResponse();
                }
            } catch (IOException | IllegalStateException e) {
                // The client is gone or the response was committed meanwhile: nothing more can be said.
            }
        }
    }
}
