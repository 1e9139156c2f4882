package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TextRule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Where a page ended: the cursor values of its last row, how many results were returned so far (for TOP), and a
 * fingerprint of the query text so a token is not replayed against another query. Opaque to clients
 * (base64url JSON); its values go back into the SQL only as bind parameters.
 */
record ContinuationToken(String query, long returned, List<JsonNode> cursor) {

    /** Numbers stay exact: a cursor value that came back rounded would match its own row again. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    String encode() {
        ObjectNode token = JSON.createObjectNode();
        token.put("q", fingerprint(query));
        token.put("n", returned);
        ArrayNode values = token.putArray("c");
        cursor.forEach(values::add);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a token for {@code query}, whose rows carry cursor columns of {@code types}. */
    static ContinuationToken decode(String token, String query, List<String> types) {
        JsonNode node;
        try {
            // Strict UTF-8 and the text rule: a replaced byte or a NUL (which PostgreSQL text cannot hold) would
            // reach the SQL as a cursor value; no token this platform issues holds either.
            byte[] json = Base64.getUrlDecoder().decode(token);
            TextRule.checkUtf8(json);
            node = JSON.readTree(json);
            if (node != null) {
                TextRule.check(node, "$");
            }
        } catch (Exception e) {
            throw invalid("the continuation token is not one this platform issued");
        }
        if (node == null || !node.isObject() || !node.path("q").isTextual() || !node.path("n").canConvertToLong()
                || !node.path("c").isArray()) {
            throw invalid("the continuation token is not one this platform issued");
        }
        if (!node.get("q").textValue().equals(fingerprint(query))) {
            throw invalid("the continuation token belongs to another query; send the same query text with it");
        }
        JsonNode values = node.get("c");
        if (values.size() != types.size()) {
            throw invalid("the continuation token does not fit this query");
        }
        List<JsonNode> cursor = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            JsonNode value = values.get(i);
            boolean fits = switch (types.get(i)) {
                case "boolean" -> value.isBoolean();
                case "integer" -> value.isInt();
                case "text" -> value.isTextual();
                default -> true;
            };
            if (!fits) {
                throw invalid("the continuation token does not fit this query");
            }
            cursor.add(value);
        }
        long returned = node.get("n").asLong();
        if (returned < 0) {
            throw invalid("the continuation token is not one this platform issued");
        }
        return new ContinuationToken(query, returned, cursor);
    }

    private static String fingerprint(String query) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(query.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static TwinException invalid(String detail) {
        return new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidContinuationToken", "$.continuationToken",
                detail));
    }
}
