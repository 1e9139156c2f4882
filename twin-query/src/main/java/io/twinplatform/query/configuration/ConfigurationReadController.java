package io.twinplatform.query.configuration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.configuration.ConfigurationSpec;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.query.RunTwinQuery;
import io.twinplatform.api.query.Source;
import io.twinplatform.api.query.TwinQueryPage;
import io.twinplatform.query.fleet.ConfigurationTwins;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.PROBLEM;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * Configurations as operators read them (Azure's shape), with their metrics counted at the time of the read:
 * {@code systemMetrics.results} (targetedCount, appliedCount, and errorCount for devices that report an error) and
 * {@code metrics.results}, each custom metric's count among the configuration's own twins.
 */
@RestController
@Tag(name = "configurations", description = "Configurations applied to twins by query (automatic device management)")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class ConfigurationReadController {

    /** A configuration as {@code GET} shows it (Azure's shape plus the platform's members); documentation only. */
    @Schema(name = "Configuration", description = "docs/configurations.md, What GET shows")
    record Configuration(String id, String schemaVersion, String targetCondition, int priority,
                         @Schema(description = "deviceContent and moduleContent: path under properties.desired. →"
                                 + " value") Map<String, Map<String, Object>> content,
                         Map<String, String> labels, boolean staged, String createdTimeUtc,
                         String lastUpdatedTimeUtc, String etag,
                         @Schema(description = "queries: name → metric query; results: name → count among the"
                                 + " configuration's own twins (GET of one configuration only)")
                         Map<String, Map<String, Object>> metrics,
                         @Schema(description = "queries and results of targetedCount, appliedCount and errorCount"
                                 + " (GET of one configuration only)") Map<String, Map<String, Object>> systemMetrics) {
    }

    /** {@code GET /configurations/{id}/metrics/{name}}; documentation only. */
    @Schema(name = "ConfigurationMetric")
    record Metric(String metric, long count,
                  @Schema(description = "deviceId, or deviceId/moduleId") List<String> twinIds,
                  @Schema(nullable = true, description = "null on the last page") String continuationToken) {
    }

    private static final String[] SYSTEM = {ConfigurationTwins.TARGETED, ConfigurationTwins.APPLIED,
            ConfigurationTwins.ERROR};

    private final ConfigurationProjection configurations;
    private final ConfigurationTwins twins;
    private final ObjectMapper mapper;

    ConfigurationReadController(ConfigurationProjection configurations, ConfigurationTwins twins,
                                ObjectMapper mapper) {
        this.configurations = configurations;
        this.twins = twins;
        this.mapper = mapper;
    }

    @Operation(summary = "The configuration with its system and custom metrics, counted now",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the configuration, with its ETag",
                            content = @Content(mediaType = JSON,
                                    schema = @Schema(implementation = Configuration.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id", content = @Content(
                            mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such configuration"
                            + " (configurationNotFound)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/configurations/{id}")
    ResponseEntity<ObjectNode> get(@PathVariable String id) {
        ObjectNode doc = find(id);
        ObjectNode system = doc.putObject("systemMetrics");
        ObjectNode systemResults = system.putObject("results");
        ObjectNode systemQueries = system.putObject("queries");
        for (String metric : SYSTEM) {
            String condition = ConfigurationTwins.systemCondition(id, metric);
            systemQueries.put(metric, condition);
            systemResults.put(metric, count(id, condition));
        }
        ObjectNode custom = (ObjectNode) doc.get("metrics");
        ObjectNode results = custom.putObject("results");
        ConfigurationProjection.queries(doc, mapper).forEach((name, query) -> results.put(name, count(id, query)));
        return ResponseEntity.ok().eTag(doc.path("etag").asText()).body(doc);
    }

    @Operation(summary = "Configurations, by id (without metrics)",
            responses = {
                    @ApiResponse(responseCode = "200", description = "at most top configurations, by id",
                            content = @Content(mediaType = JSON, array = @ArraySchema(
                                    schema = @Schema(implementation = Configuration.class)))),
                    @ApiResponse(responseCode = "400", description = "top not between 1 and 1000 (invalidTop)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/configurations")
    ArrayNode list(@Parameter(description = "how many, 1 to 1000") @RequestParam(defaultValue = "100") int top) {
        if (top < 1 || top > 1000) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidTop", "top",
                    "top is between 1 and 1000"));
        }
        ArrayNode list = mapper.createArrayNode();
        configurations.list(top).forEach(list::add);
        return list;
    }

    @Operation(summary = "The ids of the configuration's twins a metric counts (system or custom), a page at a time",
            responses = {
                    @ApiResponse(responseCode = "200", description = "the count and a page of twin ids, devices"
                            + " first", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = Metric.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id, a pageSize out of range"
                            + " (invalidPageSize), a bad continuationToken", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such configuration (configurationNotFound)"
                            + " or metric (metricNotFound)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @GetMapping("/configurations/{id}/metrics/{name}")
    ObjectNode metric(@PathVariable String id,
                      @Parameter(description = "targetedCount, appliedCount, errorCount or a custom metric")
                      @PathVariable String name,
                      @Parameter(description = "ids per page, 1 to 1000")
                      @RequestParam(defaultValue = "1000") int pageSize,
                      @Parameter(description = "the previous page's token, for the next page")
                      @RequestParam(required = false) String continuationToken) {
        ObjectNode doc = find(id);
        String condition = ConfigurationTwins.systemCondition(id, name);
        if (condition == null) {
            condition = ConfigurationProjection.queries(doc, mapper).get(name);
        }
        if (condition == null) {
            throw new TwinException(TwinError.at(ErrorKind.NOT_FOUND, "metricNotFound", "name",
                    "configuration " + id + " has no metric " + name + "; it has targetedCount, appliedCount,"
                            + " errorCount and " + ConfigurationProjection.queries(doc, mapper).keySet()));
        }
        if (pageSize < 1 || pageSize > RunTwinQuery.MAX_PAGE_SIZE) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "invalidPageSize", "pageSize",
                    "pageSize is between 1 and " + RunTwinQuery.MAX_PAGE_SIZE));
        }
        // Devices, then modules: a token says which (m: prefix) so paging carries on across the two.
        boolean modules = continuationToken != null && continuationToken.startsWith("m:");
        String token = continuationToken == null || continuationToken.length() <= 2 ? null
                : continuationToken.substring(2);
        ObjectNode answer = mapper.createObjectNode();
        answer.put("metric", name);
        answer.put("count", count(id, condition));
        ArrayNode ids = answer.putArray("twinIds");
        TwinQueryPage page = twins.ids(id, condition, modules ? Source.MODULES : Source.DEVICES, pageSize, token);
        page.items().forEach(item -> ids.add(item.hasNonNull("moduleId")
                ? item.get("deviceId").asText() + "/" + item.get("moduleId").asText()
                : item.get("deviceId").asText()));
        String next = page.continuationToken() != null ? (modules ? "m:" : "d:") + page.continuationToken()
                : modules ? null : "m:";
        if (next != null && next.equals("m:")) {
            TwinQueryPage first = twins.ids(id, condition, Source.MODULES, 1, null);
            next = first.items().isEmpty() ? null : next;
        }
        answer.put("continuationToken", next);
        return answer;
    }

    private long count(String id, String condition) {
        return twins.countByPhaseTotal(id, condition);
    }

    private ObjectNode find(String id) {
        ConfigurationSpec.checkId(id);
        return configurations.find(id).orElseThrow(() -> new TwinException(TwinError.of(ErrorKind.NOT_FOUND,
                "configurationNotFound", "there is no configuration " + id)));
    }
}
