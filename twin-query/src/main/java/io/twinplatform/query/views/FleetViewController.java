package io.twinplatform.query.views;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.RunTwinQuery;
import io.twinplatform.api.query.Scope;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.query.fleet.FleetQueryService;
import org.springframework.beans.factory.ObjectProvider;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/** {@code GET /fleet/views}: live counts of twins by one field each, kept by the projection (no scan). */
@RestController
@Tag(name = "fleet", description = "Fleet views: live counts of twins")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class FleetViewController {

    /** A fleet view with its counts; documentation only. A scoped caller's counts cover its scope alone. */
    @Schema(name = "FleetView")
    record FleetView(String name, @Schema(description = "the field counted") String groupBy,
                     @Schema(allowableValues = {"devices", "devices.modules"}) String source, long total,
                     @Schema(description = "each a value and its count; a group without value counts the twins"
                             + " where the field is undefined") List<Group> groups) {
    }

    /** One group of a {@link FleetView}. */
    @Schema(name = "FleetViewGroup")
    record Group(@Schema(description = "any JSON value; absent for undefined") Object value, long count) {
    }

    /** {@code GET /fleet/views}; documentation only. */
    @Schema(name = "FleetViews")
    record AllViews(List<FleetView> views) {
    }

    private final FleetViews views;
    private final ObjectMapper mapper;

    private final FleetQueryService queries;
    private final CallerScope scopes;

    FleetViewController(FleetViews views, ObjectMapper mapper, FleetQueryService queries,
                        ObjectProvider<CallerScope> scopes) {
        this.views = views;
        this.mapper = mapper;
        this.queries = queries;
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
    }

    @Operation(summary = "Every fleet view with its counts",
            responses = @ApiResponse(responseCode = "200", description = "{\"views\":[…]}", content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = AllViews.class))))
    @GetMapping("/fleet/views")
    ObjectNode all() {
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("views");
        Scope scope = scopes.current();
        if (scope == null) {
            views.counts().forEach(counts -> items.add(render(counts)));
        } else {
            views.definitions().forEach(definition -> items.add(render(scoped(definition, scope))));
        }
        return body;
    }

    @Operation(summary = "One fleet view: how many twins hold each value of its field",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the view", content = @Content(
                            mediaType = JSON, schema = @Schema(implementation = FleetView.class))),
                    @ApiResponse(responseCode = "404", description = "no view of that name (viewNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/fleet/views/{name}")
    ObjectNode one(@PathVariable String name) {
        Scope scope = scopes.current();
        if (scope == null) {
            return render(views.counts(name).orElseThrow(() -> FleetViews.unknown(name)));
        }
        return render(scoped(views.definitions().stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> FleetViews.unknown(name)), scope));
    }

    /**
     * A view as a scoped caller sees it: the kept counts cover the whole fleet, so its own are counted by a grouped
     * fleet query over the twins inside its scope (a scan of those twins, not a lookup).
     */
    private FleetViews.Counts scoped(FleetViews.Definition definition, Scope scope) {
        String query = "SELECT " + definition.groupByText() + " AS v, COUNT() AS n FROM "
                + definition.source().text() + " WHERE (" + scope.text() + ") GROUP BY " + definition.groupByText();
        List<FleetViews.Group> groups = new ArrayList<>();
        String token = null;
        do {
            TwinQueryPage page = queries.run(query, RunTwinQuery.MAX_PAGE_SIZE, token, null);
            for (JsonNode item : page.items()) {
                JsonNode value = item.get("v");
                groups.add(new FleetViews.Group(new FleetViews.Key(value != null,
                        value == null ? NullNode.getInstance() : value), item.path("n").asLong()));
            }
            token = page.continuationToken();
        } while (token != null);
        return FleetViews.counts(definition, groups);
    }

    private ObjectNode render(FleetViews.Counts counts) {
        ObjectNode view = mapper.createObjectNode();
        view.put("name", counts.definition().name());
        view.put("groupBy", counts.definition().groupByText());
        view.put("source", counts.definition().source().text());
        view.put("total", counts.total());
        ArrayNode groups = view.putArray("groups");
        for (FleetViews.Group group : counts.groups()) {
            ObjectNode item = groups.addObject();
            if (group.key().defined()) {
                item.set("value", group.key().value());
            }
            item.put("count", group.count());
        }
        return view;
    }
}
