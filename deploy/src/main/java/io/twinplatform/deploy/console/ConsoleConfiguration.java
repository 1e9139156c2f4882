package io.twinplatform.deploy.console;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.deploy.security.SecuritySettings;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The operator console (docs/console.md): static pages and ES modules under {@code classpath:/static/console/},
 * the charts from the ECharts WebJar under {@code /webjars/}. Both are served without credentials, since they hold
 * no data: the pages sign in with a key or token and call the public API with it, as any client does. They are
 * served with a Content-Security-Policy that allows scripts and connections to this origin only, and the OIDC
 * issuer's when the console signs in there. {@code /console/config.json} tells the pages whether and where they can
 * sign in with OIDC: the console's own setting, not part of the API.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ConsoleSettings.class)
public class ConsoleConfiguration implements WebMvcConfigurer {

    /** The paths served without credentials. */
    public static final String[] PUBLIC_PATHS = {"/console", "/console/", "/console/**", "/webjars/**"};

    private static final String CONFIG = "/console/config.json";

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/console", "/console/");
        registry.addViewController("/console/").setViewName("forward:/console/index.html");
    }

    /** The console's Content-Security-Policy on its pages and scripts, and its configuration for the pages. */
    @Bean
    FilterRegistrationBean<OncePerRequestFilter> consolePolicy(ConsoleSettings console, SecuritySettings security) {
        String issuer = console.oidcClientId() == null ? null : security.jwt().issuerUri();
        if (console.oidcClientId() != null && issuer == null) {
            throw new IllegalStateException("twin.console.oidc-client-id needs twin.security.jwt.issuer-uri: the"
                    + " console signs in at that issuer");
        }
        String policy = policy(issuer);
        byte[] config = config(console, issuer);
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(
                new OncePerRequestFilter() {
                    @Override
                    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                                                    FilterChain chain) throws ServletException, IOException {
                        response.setHeader("Content-Security-Policy", policy);
                        if (CONFIG.equals(request.getRequestURI().substring(request.getContextPath().length()))
                                && "GET".equals(request.getMethod())) {
                            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
                            response.setHeader("Cache-Control", "no-store");
                            response.getOutputStream().write(config);
                            return;
                        }
                        chain.doFilter(request, response);
                    }
                });
        registration.addUrlPatterns("/console", "/console/*");
        registration.setName("consolePolicy");
        return registration;
    }

    /** Scripts from this origin only; connections to it and, for signing in, to the OIDC issuer's origin. */
    static String policy(String issuer) {
        String connect = issuer == null ? "'self'" : "'self' " + origin(issuer);
        return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
                + " connect-src " + connect + "; object-src 'none'; base-uri 'none'; form-action 'none';"
                + " frame-ancestors 'none'";
    }

    private static String origin(String uri) {
        URI parsed = URI.create(uri);
        return parsed.getScheme() + "://" + parsed.getRawAuthority();
    }

    private static byte[] config(ConsoleSettings console, String issuer) {
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        if (issuer == null) {
            config.putNull("oidc");
        } else {
            config.putObject("oidc").put("issuer", issuer).put("clientId", console.oidcClientId())
                    .put("scope", console.oidcScope());
        }
        return config.toString().getBytes(StandardCharsets.UTF_8);
    }
}
