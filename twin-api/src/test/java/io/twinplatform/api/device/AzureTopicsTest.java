package io.twinplatform.api.device;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Azure's topics carry their parameters after {@code /?}; the edge and the simulator read them one way. */
class AzureTopicsTest {

    @Test
    void readsThePathTheQueryAndTheStatusOfAnAnswer() {
        String answer = "$iothub/twin/res/204/?$rid=7&$version=12";
        assertThat(AzureTopics.path(answer)).isEqualTo("$iothub/twin/res/204");
        assertThat(AzureTopics.query(answer)).isEqualTo(Map.of("$rid", "7", "$version", "12"));
        assertThat(AzureTopics.status(answer, AzureTopics.TWIN_ANSWERS)).isEqualTo(204);
        assertThat(AzureTopics.status("$iothub/methods/res/501/?$rid=x", AzureTopics.METHOD_ANSWERS)).isEqualTo(501);
    }

    @Test
    void aTopicWithoutQueryOrStatusGivesNone() {
        assertThat(AzureTopics.query("$iothub/twin/GET")).isEmpty();
        assertThat(AzureTopics.query("$iothub/twin/GET/?")).isEmpty();
        assertThat(AzureTopics.query("$iothub/twin/GET/?$rid=1&$rid=2&noValue")).isEqualTo(Map.of("$rid", "1"));
        assertThat(AzureTopics.status("$iothub/twin/res/ok/?$rid=1", AzureTopics.TWIN_ANSWERS)).isNull();
        assertThat(AzureTopics.status("$iothub/twin/GET/?$rid=1", AzureTopics.TWIN_ANSWERS)).isNull();
    }
}
