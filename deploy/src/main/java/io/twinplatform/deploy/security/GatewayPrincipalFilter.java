package io.twinplatform.deploy.security;

import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TextRule;
import io.twinplatform.api.twin.AuditMetadata;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * A caller holding the {@link Role#gateway} role may name the user it acts for in {@value #HEADER}; the request's
 * principal is then {@code <gateway's principal> for <named user>}: the name beside the proven identity, never
 * instead of it. From any other caller the header is ignored. The name is checked as every header is
 * ({@link TextRule#header}: UTF-8 without U+0000, else 400) and cut so that the whole principal keeps to
 * {@link AuditMetadata#MAX_PRINCIPAL} characters.
 */
final class GatewayPrincipalFilter extends OncePerRequestFilter {

    static final String HEADER = "X-Principal";
    private static final String FOR = " for ";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        SecurityContext context = SecurityContextHolder.getContext();
        String asserted = request.getHeader(HEADER);
        if (context.getAuthentication() instanceof TwinIdentity identity && identity.roles().contains(Role.gateway)
                && asserted != null && !asserted.isBlank()) {
            String name;
            try {
                // The whole principal fits what the audit trail holds: the name is cut, the gateway's identity never.
                int room = AuditMetadata.MAX_PRINCIPAL - identity.getName().length() - FOR.length();
                name = TextRule.truncate(TextRule.header(HEADER, asserted), Math.max(0, room));
            } catch (TwinException e) {
                SecurityConfiguration.write(response, e.error(), null);
                return;
            }
            SecurityContext acting = SecurityContextHolder.createEmptyContext();
            acting.setAuthentication(new TwinIdentity(name.isEmpty() ? identity.getName()
                    : identity.getName() + FOR + name, identity.roles(), identity.scope()));
            SecurityContextHolder.setContext(acting);
        }
        chain.doFilter(request, response);
    }
}
