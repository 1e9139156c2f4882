package io.twinplatform.query.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.api.error.TwinException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ContinuationTokenTest {

    private static final String QUERY = "SELECT * FROM devices";

    /** A token for {@link #QUERY} whose one text cursor value is spelled by {@code cursorJson} bytes. */
    private static String token(byte[] cursorJson) {
        String issued = new ContinuationToken(QUERY, 5, List.<JsonNode>of(ContinuationToken.JSON.getNodeFactory()
                .textNode("x"))).encode();
        String json = new String(Base64.getUrlDecoder().decode(issued), StandardCharsets.UTF_8);
        int at = json.indexOf("\"x\"");
        byte[] before = json.substring(0, at).getBytes(StandardCharsets.UTF_8);
        byte[] after = json.substring(at + 3).getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[before.length + cursorJson.length + after.length];
        System.arraycopy(before, 0, all, 0, before.length);
        System.arraycopy(cursorJson, 0, all, before.length, cursorJson.length);
        System.arraycopy(after, 0, all, before.length + cursorJson.length, after.length);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(all);
    }

    private static void assertRefused(byte[] cursorJson) {
        TwinException refused = catchThrowableOfType(
                () -> ContinuationToken.decode(token(cursorJson), QUERY, List.of("text")), TwinException.class);

        assertThat(refused).as(new String(cursorJson, StandardCharsets.ISO_8859_1)).isNotNull();
        assertThat(refused.error().code()).isEqualTo("invalidContinuationToken");
        assertThat(refused.error().path()).isEqualTo("$.continuationToken");
    }

    @Test
    void readsBackTheCursorItIssued() {
        ContinuationToken read = ContinuationToken.decode(token("\"dev-é\"".getBytes(StandardCharsets.UTF_8)), QUERY,
                List.of("text"));

        assertThat(read.cursor().get(0).textValue()).isEqualTo("dev-é");
        assertThat(read.returned()).isEqualTo(5);
    }

    @Test
    void refusesACursorValueWithAnEscapedNulOrLoneSurrogate() {
        assertRefused("\"a\\u0000\"".getBytes(StandardCharsets.UTF_8));
        assertRefused("\"a\\ud800\"".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void refusesACursorValueWhoseBytesAreNotUtf8InsteadOfReplacingThem() {
        assertRefused(new byte[]{'"', 'a', (byte) 0xFF, '"'});
        assertRefused(new byte[]{'"', 'a', (byte) 0xC0, (byte) 0x80, '"'});
        assertRefused(new byte[]{'"', 'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'});
        assertRefused(new byte[]{'"', 'a', 0, '"'});
    }
}
