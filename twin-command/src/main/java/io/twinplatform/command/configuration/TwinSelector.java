package io.twinplatform.command.configuration;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.query.AwaitFleetPosition;
import io.twinplatform.api.query.FindTargetedTwins;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.api.twin.TwinId;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.messaging.responsetypes.ResponseTypes;
import org.axonframework.queryhandling.NoHandlerForQueryException;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Which twins a configuration event may affect, asked of the fleet query side through the query bus (this side
 * never reads the query side's tables). The fleet may lag; {@link #await} first waits until it shows every event
 * before the one being handled, so a twin created just before a configuration is not missed.
 */
@Component
class TwinSelector {

    private static final Logger log = LoggerFactory.getLogger(TwinSelector.class);

    private final QueryGateway queries;
    private final ConfigurationSettings settings;

    TwinSelector(QueryGateway queries, ConfigurationSettings settings) {
        this.queries = queries;
        this.settings = settings;
    }

    void await(TrackingToken token) {
        OptionalLong position = token == null ? OptionalLong.empty() : token.position();
        if (position.isEmpty()) {
            return;
        }
        long wait = settings.fleetWait().toMillis();
        try {
            Boolean reached = queries.query(new AwaitFleetPosition(position.getAsLong(), wait),
                    ResponseTypes.instanceOf(Boolean.class)).join();
            if (!Boolean.TRUE.equals(reached)) {
                log.warn("the fleet query side did not reach event {} within {} ms; going on with what it shows",
                        position.getAsLong(), wait);
            }
        } catch (CompletionException e) {
            if (!(e.getCause() instanceof NoHandlerForQueryException)) {
                throw e;
            }
        }
    }

    /**
     * Twins the configuration's condition selects now, of each kind it has content for, kept by {@code filter},
     * handed to {@code into} a page at a time.
     */
    void targeted(LiveConfigurations.Live configuration, Predicate<String> filter, Consumer<String> into) {
        if (!configuration.deviceContent().isEmpty()) {
            select(configuration.targetCondition(), false, filter, into);
        }
        if (!configuration.moduleContent().isEmpty()) {
            select(configuration.targetCondition(), true, filter, into);
        }
    }

    /** Twins whose documents show the configuration now (targeted or applied), devices and modules. */
    void assigned(String configurationId, Consumer<String> into) {
        String condition = "IS_DEFINED(configurations.[[" + configurationId + "]])";
        select(condition, false, id -> true, into);
        select(condition, true, id -> true, into);
    }

    private void select(String condition, boolean modules, Predicate<String> filter, Consumer<String> into) {
        String continuation = null;
        do {
            TwinQueryPage page = queries.query(new FindTargetedTwins(condition, modules, settings.pageSize(),
                    continuation), ResponseTypes.instanceOf(TwinQueryPage.class)).join();
            for (ObjectNode item : page.items()) {
                String twinId = new TwinId(item.path("deviceId").asText(),
                        item.hasNonNull("moduleId") ? item.get("moduleId").asText() : null).value();
                if (filter.test(twinId)) {
                    into.accept(twinId);
                }
            }
            continuation = page.continuationToken();
        } while (continuation != null);
    }
}
