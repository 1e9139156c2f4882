package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.twinplatform.deploy.TwinHttp.Reply;
import org.junit.jupiter.api.Test;

import static io.twinplatform.deploy.TwinHttp.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the console stands on, over HTTP: its pages and the chart library are served without credentials and under
 * a Content-Security-Policy, while the API behind them is not; {@code GET /me} tells a signed-in caller what it may
 * do. The pages themselves are driven in a browser by {@code ConsoleBrowserTest}.
 */
class ConsoleServingTest extends PlatformTestSupport {

    @Test
    void theConsoleAndItsChartsAreServedWithoutCredentialsAndWithAPolicy() {
        TwinHttp anonymous = http.anonymous();
        Reply bare = anonymous.get("/console");
        assertThat(bare.status()).isEqualTo(302);
        assertThat(bare.headers().firstValue("Location").orElse("")).endsWith("/console/");
        Reply page = anonymous.get("/console/");
        assertThat(page.status()).as("%s", page).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("<script type=\"module\"");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
                .contains("script-src 'self'").contains("connect-src 'self'").contains("frame-ancestors 'none'");
        Reply charts = anonymous.get("/webjars/echarts/5.3.1/dist/echarts.min.js");
        assertThat(charts.status()).isEqualTo(200);
        assertThat(charts.body()).contains("echarts");
        assertProblem(anonymous.get("/me"), 401, "unauthorized");
        // No twin.console.oidc-client-id here: the console offers a key or token only (ConsoleBrowserTest signs in
        // at an issuer).
        Reply config = anonymous.get("/console/config.json");
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.json().get("oidc").isNull()).isTrue();
    }

    @Test
    void meSaysWhoTheCallerIsAndWhatItsRolesAllow() {
        JsonNode admin = http.get("/me").json();
        assertThat(admin.get("principal").asText()).startsWith("key:");
        assertThat(admin.get("roles")).extracting(JsonNode::asText).containsExactly("admin");
        assertThat(admin.get("scope").isNull()).isTrue();
        assertThat(admin.at("/may/read").asBoolean()).isTrue();
        assertThat(admin.at("/may/write").asBoolean()).isTrue();
        assertThat(admin.at("/may/audit").asBoolean()).isTrue();
        assertThat(admin.at("/may/admin").asBoolean()).isTrue();

        TwinHttp.Keyed viewer = http.as("me-viewer", "viewer");
        JsonNode me = viewer.http().get("/me").json();
        assertThat(me.get("principal").asText()).isEqualTo(viewer.principal());
        assertThat(me.get("roles")).extracting(JsonNode::asText).containsExactly("viewer");
        assertThat(me.at("/may/read").asBoolean()).isTrue();
        assertThat(me.at("/may/write").asBoolean()).isFalse();
        assertThat(me.at("/may/audit").asBoolean()).isFalse();
        assertThat(me.at("/may/admin").asBoolean()).isFalse();
        assertThat(me.toString()).doesNotContain(viewer.key());
    }
}
