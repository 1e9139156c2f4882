package io.twinplatform.deploy;

import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.RunTwinQuery;
import io.twinplatform.api.query.TwinQuery;
import io.twinplatform.api.query.TwinQueryPage;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.QueryGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Other modules (configurations, rollouts, jobs) select twins by sending {@link RunTwinQuery} on the query bus and
 * judge a single twin with {@link TwinQuery#matches}; both agree with what the twin looks like.
 */
class TwinQueryMessageTest extends PlatformTestSupport {

    @Autowired
    QueryGateway queries;

    @Test
    void aTargetConditionSelectsTheSameTwinsOverTheBusAndInMemory() throws Exception {
        String environment = "env-" + newDeviceId();
        String prod = createDevice("{'tags':{'environment':'" + environment + "','tier':1}}");
        String other = createDevice("{'tags':{'environment':'" + environment + "','tier':2}}");
        createDevice("{'tags':{'environment':'elsewhere'}}");

        List<String> selected = new ArrayList<>();
        String token = null;
        do {
            TwinQueryPage page = queries.query(new RunTwinQuery("SELECT deviceId FROM devices WHERE tags.environment = '"
                            + environment + "' AND tags.tier = 1", 1, token),
                    ResponseTypes.instanceOf(TwinQueryPage.class)).get();
            page.items().forEach(item -> selected.add(item.get("deviceId").asText()));
            token = page.continuationToken();
        } while (token != null);
        assertThat(selected).containsExactly(prod);

        TwinQuery target = TwinQuery.parseTargetCondition("tags.environment = '" + environment + "' AND tags.tier = 1");
        assertThat(target.matches(http.get("/twins/" + prod).json())).isTrue();
        assertThat(target.matches(http.get("/twins/" + other).json())).isFalse();
        assertThat(TwinQuery.parseTargetCondition("FROM devices.modules WHERE tags.tier = 1")
                .matches(http.get("/twins/" + prod).json())).as("a device is not a module").isFalse();
    }

    @Test
    void aBadQueryComesBackAsTheSameRefusalHttpGives() {
        assertThatThrownBy(() -> queries.query(new RunTwinQuery("SELECT * FROM devices WHERE", null, null),
                ResponseTypes.instanceOf(TwinQueryPage.class)).get())
                .isInstanceOf(ExecutionException.class)
                .satisfies(e -> {
                    Throwable cause = e.getCause();
                    while (cause != null && !(cause instanceof TwinException)) {
                        cause = cause.getCause();
                    }
                    assertThat(cause).as("a TwinException in the causes of %s", e).isNotNull();
                    assertThat(((TwinException) cause).error().code()).isEqualTo("invalidQuery");
                    assertThat(((TwinException) cause).error().path()).isEqualTo("@27");
                });
    }
}
