package io.twinplatform.deploy.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TextRule;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@link TextRule} for what a request carries outside its body, checked before any controller runs: path variables,
 * every query parameter (name and value) and the headers whose values reach events, the audit trail or SQL
 * ({@link #HEADERS}). A fault is answered {@code 400 application/problem+json} with {@code code}
 * {@code invalidText} (U+0000 or an unpaired surrogate), {@code invalidUtf8} (percent-encoded or header bytes that
 * are not UTF-8) or {@code invalidParameter} (a malformed percent escape), and a {@code parameter} or {@code header}
 * member (also in {@code path}) naming where; nothing is written.
 *
 * <p>The query string is decoded here, strictly, because the servlet container's own decoding drops a parameter
 * with a malformed escape and replaces bytes that are not UTF-8, which would silently widen a history or audit
 * filter. Bodies keep the rule through {@code JsonBodies}; what Tomcat refuses before any of this runs (a raw or
 * {@code %00} byte in the path, control characters in headers) is answered by {@link ProblemErrorReportValve}.
 */
@Component
class RequestTexts implements HandlerInterceptor, WebMvcConfigurer {

    /**
     * The request headers whose values reach events, the audit trail or SQL ({@code X-Principal} does only from a
     * gateway, and is checked where it is read: {@code GatewayPrincipalFilter}).
     */
    static final List<String> HEADERS = List.of("X-Correlation-Id", "X-Change-Reason",
            "Idempotency-Key", HttpHeaders.IF_MATCH, HttpHeaders.IF_NONE_MATCH, "Last-Event-ID");

    private final ObjectMapper mapper;

    RequestTexts(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this);
    }

    /** Where a refused text was: {@code parameter} or {@code header}, and its name. */
    private record Refusal(String member, String name, TwinError error) {
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
            throws IOException {
        Refusal refusal = refusal(request);
        if (refusal == null) {
            return true;
        }
        ObjectNode problem = refusal.error().toProblem();
        problem.put(refusal.member(), refusal.name());
        problem.put("instance", request.getRequestURI());
        response.setStatus(refusal.error().kind().status());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        mapper.writeValue(response.getOutputStream(), problem);
        return false;
    }

    private static Refusal refusal(HttpServletRequest request) {
        if (request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE) instanceof Map<?, ?> variables) {
            for (Map.Entry<?, ?> variable : variables.entrySet()) {
                String name = String.valueOf(variable.getKey());
                String fault = TextRule.fault(String.valueOf(variable.getValue()));
                if (fault != null) {
                    return new Refusal("parameter", name, TwinError.at(ErrorKind.MALFORMED, TextRule.INVALID_TEXT,
                            name, "path parameter " + name + " holds " + fault));
                }
            }
        }
        String query = request.getQueryString();
        if (query != null) {
            for (String pair : query.split("&")) {
                Refusal refusal = parameter(pair);
                if (refusal != null) {
                    return refusal;
                }
            }
        }
        for (String name : HEADERS) {
            for (var values = request.getHeaders(name); values != null && values.hasMoreElements(); ) {
                try {
                    TextRule.header(name, values.nextElement());
                } catch (TwinException e) {
                    return new Refusal("header", name, e.error());
                }
            }
        }
        return null;
    }

    /** The refusal of one {@code name=value} pair of a query string, or null when both keep the rule. */
    private static Refusal parameter(String pair) {
        int equals = pair.indexOf('=');
        String rawName = equals < 0 ? pair : pair.substring(0, equals);
        String name;
        try {
            name = component(rawName, "parameter name " + TextRule.visible(rawName));
        } catch (TwinException e) {
            String shown = TextRule.visible(rawName);
            return new Refusal("parameter", shown, TwinError.at(e.error().kind(), e.error().code(), shown,
                    e.error().detail()));
        }
        if (equals >= 0) {
            try {
                component(pair.substring(equals + 1), "parameter " + name);
            } catch (TwinException e) {
                return new Refusal("parameter", name, TwinError.at(e.error().kind(), e.error().code(), name,
                        e.error().detail()));
            }
        }
        return null;
    }

    /**
     * A percent-encoded query component ({@code +} is a space) as strict UTF-8 text that keeps the rule; the
     * container gives the query string's bytes as ISO-8859-1 characters.
     */
    private static String component(String raw, String what) {
        String rawFault = TextRule.fault(raw);
        if (rawFault != null) {
            throw new TwinException(TwinError.of(ErrorKind.MALFORMED, TextRule.INVALID_TEXT, what + " holds "
                    + rawFault + "; text is Unicode without U+0000"));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= 0x80) {
                // Not percent-encoded (the container normally refuses such a request line): the text as it came.
                int codePoint = raw.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(codePoint) - 1;
            } else if (c == '%') {
                int high = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int low = high < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
                if (low < 0) {
                    throw new TwinException(TwinError.of(ErrorKind.MALFORMED, "invalidParameter",
                            what + " has a malformed percent escape at character " + i));
                }
                bytes.write(high << 4 | low);
                i += 2;
            } else {
                bytes.write(c == '+' ? ' ' : c);
            }
        }
        String text;
        try {
            text = TextRule.decode(bytes.toByteArray());
        } catch (TwinException e) {
            throw new TwinException(TwinError.of(ErrorKind.MALFORMED, TextRule.INVALID_UTF8,
                    what + " is not UTF-8 once percent-decoded (at byte " + e.error().path().substring(1)
                            + "); percent-encode UTF-8 text"));
        }
        String fault = TextRule.fault(text);
        if (fault != null) {
            throw new TwinException(TwinError.of(ErrorKind.MALFORMED, TextRule.INVALID_TEXT, what + " holds " + fault
                    + "; text is Unicode without U+0000"));
        }
        return text;
    }
}
