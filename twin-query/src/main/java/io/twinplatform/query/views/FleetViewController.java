package io.twinplatform.query.views;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /fleet/views}: live counts of twins by one field each, kept by the projection (no scan). */
@RestController
@Tag(name = "fleet", description = "Fleet views: live counts of twins")
class FleetViewController {

    private final FleetViews views;
    private final ObjectMapper mapper;

    FleetViewController(FleetViews views, ObjectMapper mapper) {
        this.views = views;
        this.mapper = mapper;
    }

    @Operation(summary = "Every fleet view with its counts")
    @GetMapping("/fleet/views")
    ObjectNode all() {
        ObjectNode body = mapper.createObjectNode();
        ArrayNode items = body.putArray("views");
        views.counts().forEach(counts -> items.add(render(counts)));
        return body;
    }

    @Operation(summary = "One fleet view: how many twins hold each value of its field")
    @GetMapping("/fleet/views/{name}")
    ObjectNode one(@PathVariable String name) {
        return render(views.counts(name).orElseThrow(() -> FleetViews.unknown(name)));
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
