package io.twinplatform.deploy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * An OAuth2 issuer for tests, as an identity provider is to the platform: an RSA key it made itself, its public half
 * served as a JWK set over HTTP, and tokens signed with the private half. For a browser it also signs a user in, as
 * an OIDC provider does for a public client: its OpenID configuration, an authorization endpoint that signs in the
 * user {@link #signInAs} names at once (no login form) and sends the browser back with a code, and a token endpoint
 * that exchanges the code for an access token only with the PKCE verifier of the code's challenge.
 */
public final class TestIssuer implements AutoCloseable {

    public static final String AUDIENCE = "twin-platform";

    private final RSAKey key;
    private final HttpServer server;
    /** Codes handed out and not yet exchanged: the challenge, client and redirect they were asked with, and the user. */
    private final Map<String, Grant> grants = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile String user = "console-user";
    private volatile List<String> userRoles = List.of("admin");

    private record Grant(String challenge, String clientId, String redirectUri, String subject, List<String> roles) {
    }

    private TestIssuer(RSAKey key, HttpServer server) {
        this.key = key;
        this.server = server;
    }

    public static TestIssuer start() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            RSAKey key = new RSAKey.Builder((RSAPublicKey) pair.getPublic()).privateKey((RSAPrivateKey) pair.getPrivate())
                    .keyID("test-key").build();
            byte[] jwks = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/jwks", exchange -> {
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, jwks.length);
                exchange.getResponseBody().write(jwks);
                exchange.close();
            });
            TestIssuer issuer = new TestIssuer(key, server);
            server.createContext("/realms/test/.well-known/openid-configuration", issuer::openIdConfiguration);
            server.createContext("/authorize", issuer::authorize);
            server.createContext("/token", issuer::exchange);
            server.start();
            return issuer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The user the authorization endpoint signs in from now on, with these roles in its tokens. */
    public void signInAs(String subject, List<String> roles) {
        this.user = subject;
        this.userRoles = List.copyOf(roles);
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void openIdConfiguration(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        answer(exchange, 200, "{\"issuer\":\"" + issuer() + "\",\"authorization_endpoint\":\"" + base()
                + "/authorize\",\"token_endpoint\":\"" + base() + "/token\",\"jwks_uri\":\"" + jwkSetUri()
                + "\",\"response_types_supported\":[\"code\"],\"code_challenge_methods_supported\":[\"S256\"]}");
    }

    private void authorize(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        Map<String, String> query = form(exchange.getRequestURI().getRawQuery());
        String redirect = query.get("redirect_uri");
        if (redirect == null || !"code".equals(query.get("response_type"))
                || !"S256".equals(query.get("code_challenge_method")) || query.get("code_challenge") == null) {
            answer(exchange, 400, "{\"error\":\"invalid_request\"}");
            return;
        }
        String code = java.util.UUID.randomUUID().toString();
        grants.put(code, new Grant(query.get("code_challenge"), query.get("client_id"), redirect, user, userRoles));
        exchange.getResponseHeaders().add("Location", redirect + "?code=" + code + "&state="
                + java.net.URLEncoder.encode(query.getOrDefault("state", ""), StandardCharsets.UTF_8));
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }

    private void exchange(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("OPTIONS")) {
            answer(exchange, 204, null);
            return;
        }
        Map<String, String> body = form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        Grant grant = body.get("code") == null ? null : grants.remove(body.get("code"));
        if (grant == null || !"authorization_code".equals(body.get("grant_type"))
                || !grant.clientId().equals(body.get("client_id")) || !grant.redirectUri().equals(body.get("redirect_uri"))
                || body.get("code_verifier") == null || !grant.challenge().equals(challenge(body.get("code_verifier")))) {
            answer(exchange, 400, "{\"error\":\"invalid_grant\"}");
            return;
        }
        String token = token(issuer(), AUDIENCE, grant.subject(), Map.of("roles", grant.roles()),
                Instant.now().plus(Duration.ofMinutes(5)));
        answer(exchange, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":300}");
    }

    private static String challenge(String verifier) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> form(String encoded) {
        Map<String, String> values = new java.util.HashMap<>();
        if (encoded != null) {
            for (String pair : encoded.split("&")) {
                int equals = pair.indexOf('=');
                if (equals > 0) {
                    values.put(java.net.URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                            java.net.URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    /** Answers a browser's request from another origin (the console's), as an identity provider allows it. */
    private static void answer(com.sun.net.httpserver.HttpExchange exchange, int status, String json)
            throws IOException {
        exchange.getResponseHeaders().add("Access-Control-Allow-Origin", "*");
        exchange.getResponseHeaders().add("Access-Control-Allow-Headers", "Content-Type");
        exchange.getResponseHeaders().add("Access-Control-Allow-Methods", "GET, POST");
        if (json == null) {
            exchange.sendResponseHeaders(status, -1);
        } else {
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        }
        exchange.close();
    }

    /** Stops serving the key set (its dispatcher thread would keep a program that is done alive). */
    @Override
    public void close() {
        server.stop(0);
    }

    public String issuer() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
    }

    public String jwkSetUri() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
    }

    /** A token for {@code subject} with these roles, valid for five minutes. */
    public String token(String subject, List<String> roles) {
        return token(issuer(), AUDIENCE, subject, Map.of("roles", roles), Instant.now().plus(Duration.ofMinutes(5)));
    }

    /** A token signed by this issuer's key with exactly these claims. */
    String token(String issuer, String audience, String subject, Map<String, Object> claims, Instant expires) {
        JWTClaimsSet.Builder set = new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(audience)
                .issueTime(Date.from(Instant.now().minusSeconds(600))).expirationTime(Date.from(expires));
        claims.forEach(set::claim);
        return sign(set.build(), key);
    }

    /** A token like {@link #token(String, List)} but signed with a key the platform does not know. */
    static String foreignToken(String issuer, String subject) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            RSAKey other = new RSAKey.Builder((RSAPublicKey) pair.getPublic())
                    .privateKey((RSAPrivateKey) pair.getPrivate()).keyID("test-key").build();
            return sign(new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(AUDIENCE)
                    .claim("roles", List.of("admin"))
                    .expirationTime(Date.from(Instant.now().plusSeconds(300))).build(), other);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(JWTClaimsSet claims, RSAKey key) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
