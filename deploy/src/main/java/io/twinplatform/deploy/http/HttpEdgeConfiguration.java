package io.twinplatform.deploy.http;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.config.annotation.ContentNegotiationConfigurer;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import java.io.IOException;
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
}
