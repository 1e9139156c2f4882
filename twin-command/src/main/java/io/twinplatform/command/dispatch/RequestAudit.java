package io.twinplatform.command.dispatch;

import io.twinplatform.api.model.RandomIds;
import io.twinplatform.api.model.TextRule;
import io.twinplatform.api.twin.AuditMetadata;
import io.twinplatform.api.twin.Channel;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Audit metadata of an HTTP request. Who: the authenticated caller (the platform authenticates every request that
 * can write; {@code anonymous} only where no credentials are asked for). A header that claims a name
 * ({@code X-Principal}) is never believed. Why:
 * {@value #CORRELATION_HEADER} (a new UUID when absent) and {@value #REASON_HEADER}. A header value is read as the
 * UTF-8 bytes the client sent ({@link TextRule#header}: not UTF-8 or U+0000 is a 400) and kept to its first
 * {@value #MAX_HEADER} characters, never splitting a surrogate pair.
 */
public final class RequestAudit {

    static final String CORRELATION_HEADER = "X-Correlation-Id";
    static final String REASON_HEADER = "X-Change-Reason";
    private static final int MAX_HEADER = 256;

    private RequestAudit() {
    }

    public static AuditMetadata of(HttpServletRequest request, Channel channel) {
        String principal = request.getUserPrincipal() != null ? request.getUserPrincipal().getName() : null;
        String correlation = header(request, CORRELATION_HEADER);
        return new AuditMetadata(principal == null ? "anonymous" : principal, channel, "http",
                correlation == null ? RandomIds.uuid() : correlation,
                header(request, REASON_HEADER));
    }

    private static String header(HttpServletRequest request, String name) {
        String value = request.getHeader(name);
        if (value == null || value.isBlank()) {
            return null;
        }
        return TextRule.truncate(TextRule.header(name, value), MAX_HEADER);
    }
}
