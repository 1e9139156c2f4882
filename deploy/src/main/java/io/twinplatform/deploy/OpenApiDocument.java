package io.twinplatform.deploy;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;
import java.util.Map;

/**
 * Completes the served OpenAPI document: the controllers read raw bodies (to name the byte offset of a syntax
 * error), so springdoc cannot see their shapes; this names them, and lists the answers each twin operation can
 * give, errors included, as {@code application/problem+json}.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiDocument {

    private static final String REF = "#/components/schemas/";

    @Bean
    OpenApiCustomizer twinDocument() {
        return api -> {
            api.info(new Info().title("Twin platform").version("1")
                    .description("Device and module twins (Azure IoT Hub's twin JSON plus AWS Device Shadow's delta); "
                            + "every change is an event kept for audit. Errors are application/problem+json."));
            Components components = api.getComponents() == null ? new Components() : api.getComponents();
            api.components(components);
            components.addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                    .scheme("bearer").description("an API key (POST /admin/keys; the first one is in"
                            + " <TWIN_DATA_DIR>/admin-key) or, where configured, an OAuth2/OIDC JWT; what each role may"
                            + " call is in docs/security.md"));
            api.addSecurityItem(new SecurityRequirement().addList("bearer"));
            components.addSecuritySchemes("device", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                    .scheme("basic").description("a device's own MQTT credentials (user name: its twin id; password:"
                            + " its device key), for GET of its own twin and PATCH of its own reported properties"
                            + " alone (docs/security.md, Devices over HTTP)"));
            components.addSchemas("Twin", twinSchema());
            components.addSchemas("TwinWrite", new ObjectSchema()
                    .description("PUT replaces tags and desired whole; PATCH merge-patches them (RFC 7396: null removes)")
                    .addProperty("tags", new ObjectSchema())
                    .addProperty("properties", new ObjectSchema().addProperty("desired", new ObjectSchema()))
                    .example(Map.of("tags", Map.of("location", Map.of("building", "building-1")),
                            "properties", Map.of("desired", Map.of("telemetryInterval", 30)))));
            components.addSchemas("ReportedPatch", new ObjectSchema()
                    .description("merge patch of reported properties (RFC 7396: null removes)")
                    .example(Map.of("telemetryInterval", 60, "firmwareVersion", "1.2.3")));
            components.addSchemas("StatusChange", new ObjectSchema()
                    .addProperty("status", new StringSchema()._enum(java.util.List.of("enabled", "disabled")))
                    .addProperty("statusReason", new StringSchema()));
            components.addSchemas("ShadowUpdate", new ObjectSchema()
                    .addProperty("state", new ObjectSchema().nullable(true)
                            .addProperty("desired", new ObjectSchema().nullable(true))
                            .addProperty("reported", new ObjectSchema().nullable(true)))
                    .addProperty("version", new IntegerSchema().format("int64"))
                    .addProperty("clientToken", new StringSchema().maxLength(64))
                    .example(Map.of("state", Map.of("desired", Map.of("color", "red")), "clientToken", "abc")));
            components.addSchemas("Shadow", new ObjectSchema()
                    .addProperty("state", new ObjectSchema().addProperty("desired", new ObjectSchema())
                            .addProperty("reported", new ObjectSchema()).addProperty("delta", new ObjectSchema()))
                    .addProperty("metadata", new ObjectSchema().description("epoch seconds per leaf"))
                    .addProperty("version", new IntegerSchema().format("int64"))
                    .addProperty("timestamp", new IntegerSchema().format("int64"))
                    .addProperty("clientToken", new StringSchema()));
            components.addSchemas("Problem", new ObjectSchema()
                    .addProperty("type", new StringSchema().example("urn:twin-platform:problem:etagMismatch"))
                    .addProperty("title", new StringSchema())
                    .addProperty("status", new IntegerSchema())
                    .addProperty("detail", new StringSchema())
                    .addProperty("code", new StringSchema())
                    .addProperty("path", new StringSchema().description("JSON path at fault, e.g. $.tags['a.b']"))
                    .addProperty("position", new IntegerSchema()
                            .description("byte offset of a JSON syntax error; character offset of a query error")));
            components.addSchemas("QueryRequest", new ObjectSchema()
                    .description("a fleet query (docs/query.md); continuationToken from the previous page")
                    .addProperty("query", new StringSchema().maxLength(8192))
                    .addProperty("pageSize", new IntegerSchema().minimum(java.math.BigDecimal.ONE)
                            .maximum(java.math.BigDecimal.valueOf(1000)).example(100))
                    .addProperty("continuationToken", new StringSchema().nullable(true))
                    .addProperty("asOf", new StringSchema().nullable(true).description("not available yet: 422"))
                    .required(java.util.List.of("query"))
                    .example(Map.of("query", "SELECT deviceId FROM devices WHERE tags.location.building = 'building-1'",
                            "pageSize", 100)));
            components.addSchemas("QueryPage", new ObjectSchema()
                    .addProperty("items", new ArraySchema().items(new ObjectSchema()
                            .description("a twin, projected fields (alias or last segment as key) or a group")))
                    .addProperty("continuationToken", new StringSchema().nullable(true)
                            .description("null on the last page")));
            if (api.getPaths() != null && api.getPaths().get("/query") != null) {
                api.getPaths().get("/query").getPost()
                        .requestBody(body("QueryRequest"))
                        .responses(new ApiResponses()
                                .addApiResponse("200", json("one page of results", "QueryPage"))
                                .addApiResponse("400", problem("a syntax error (with its position), an unknown field,"
                                        + " a bad page size or continuation token"))
                                .addApiResponse("415", problem("not application/json"))
                                .addApiResponse("422", problem("the query ran past the statement timeout;"
                                        + " asOf is not available")));
            }
            if (api.getPaths() != null) {
                api.getPaths().forEach(OpenApiDocument::describe);
                api.getPaths().forEach(OpenApiDocument::deviceAccess);
                api.getPaths().values().forEach(item -> item.readOperations().forEach(operation -> {
                    ApiResponses responses = operation.getResponses() == null ? new ApiResponses()
                            : operation.getResponses();
                    operation.responses(responses
                            .addApiResponse("401", problem("no credentials, or credentials not accepted (unknown,"
                                    + " revoked, expired, badly signed); with WWW-Authenticate"))
                            .addApiResponse("403", problem("the caller's roles do not allow this operation"
                                    + " (docs/security.md)")));
                }));
            }
        };
    }

    /** The operations a device may call on its own twin take its own credentials besides a bearer credential. */
    private static void deviceAccess(String path, PathItem item) {
        List<SecurityRequirement> either = List.of(new SecurityRequirement().addList("bearer"),
                new SecurityRequirement().addList("device"));
        if ((path.equals("/twins/{deviceId}") || path.equals("/twins/{deviceId}/modules/{moduleId}"))
                && item.getGet() != null) {
            item.getGet().security(either);
        }
        if (path.startsWith("/twins/{deviceId}") && path.endsWith("/properties/reported") && item.getPatch() != null) {
            item.getPatch().security(either);
        }
    }

    private static void describe(String path, PathItem item) {
        if (!path.startsWith("/twins/") || path.equals("/twins/batch")) {
            // The batch operation describes itself (TwinBatchController's annotations).
            return;
        }
        boolean shadow = path.endsWith("/shadow");
        boolean reported = path.endsWith("/properties/reported");
        boolean status = path.endsWith("/status");
        String result = shadow ? "Shadow" : "Twin";
        if (item.getGet() != null) {
            Operation get = item.getGet();
            ApiResponses responses = new ApiResponses()
                    .addApiResponse("200", json("the current " + result.toLowerCase(), result));
            if (!shadow) {
                responses.addApiResponse("304", new ApiResponse().description("If-None-Match names the current etag"));
            }
            get.responses(responses.addApiResponse("404", problem("no such twin (or deleted)")));
        }
        if (item.getPut() != null) {
            Operation put = item.getPut();
            put.requestBody(body(status ? "StatusChange" : "TwinWrite"));
            ApiResponses responses = new ApiResponses().addApiResponse("200", json("the twin after the write", "Twin"));
            if (!status) {
                responses.addApiResponse("201", json("created", "Twin"));
            }
            put.responses(errors(responses));
        }
        if (item.getPatch() != null) {
            item.getPatch().requestBody(body(reported ? "ReportedPatch" : "TwinWrite"))
                    .responses(errors(new ApiResponses().addApiResponse("200", json("the twin after the write", "Twin"))));
        }
        if (item.getPost() != null) {
            item.getPost().requestBody(body("ShadowUpdate"))
                    .responses(errors(new ApiResponses().addApiResponse("200", json("the shadow after the update", "Shadow"))));
        }
        if (item.getDelete() != null) {
            item.getDelete().responses(new ApiResponses()
                    .addApiResponse("204", new ApiResponse().description("deleted; its events stay"))
                    .addApiResponse("400", problem("an invalid id"))
                    .addApiResponse("404", problem("no such twin (or deleted)"))
                    .addApiResponse("409", problem("a device with live module twins"))
                    .addApiResponse("412", problem("If-Match does not name the current etag")));
        }
    }

    private static ApiResponses errors(ApiResponses responses) {
        return responses
                .addApiResponse("400", problem("malformed JSON, a section of the wrong type, an invalid key or id, too deep"))
                .addApiResponse("404", problem("no such twin, or a module's device is missing"))
                .addApiResponse("409", problem("a device with live modules; a stale shadow version"))
                .addApiResponse("412", problem("If-Match does not name the current etag; If-None-Match: * on an existing twin"))
                .addApiResponse("413", problem("a section over its size limit"))
                .addApiResponse("415", problem("not application/json"))
                .addApiResponse("422", problem("a value a twin cannot hold: string too long, integer out of range, null in an array"));
    }

    private static RequestBody body(String schema) {
        return new RequestBody().required(true).content(new Content()
                .addMediaType("application/json", new MediaType().schema(new Schema<>().$ref(REF + schema))));
    }

    private static ApiResponse json(String description, String schema) {
        return new ApiResponse().description(description).content(new Content()
                .addMediaType("application/json", new MediaType().schema(new Schema<>().$ref(REF + schema))));
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description).content(new Content()
                .addMediaType("application/problem+json", new MediaType().schema(new Schema<>().$ref(REF + "Problem"))));
    }

    private static Schema<?> twinSchema() {
        return new ObjectSchema()
                .addProperty("deviceId", new StringSchema())
                .addProperty("moduleId", new StringSchema().nullable(true))
                .addProperty("etag", new StringSchema().example("\"12\""))
                .addProperty("version", new IntegerSchema().format("int64"))
                .addProperty("status", new StringSchema()._enum(java.util.List.of("enabled", "disabled")))
                .addProperty("statusReason", new StringSchema())
                .addProperty("statusUpdatedTime", new StringSchema().format("date-time"))
                .addProperty("connectionState", new StringSchema().example("Disconnected"))
                .addProperty("lastActivityTime", new StringSchema().format("date-time").nullable(true))
                .addProperty("tags", new ObjectSchema())
                .addProperty("properties", new ObjectSchema()
                        .addProperty("desired", new ObjectSchema().description("values, $metadata, $version"))
                        .addProperty("reported", new ObjectSchema().description("values, $metadata, $version")))
                .addProperty("delta", new ObjectSchema().description("desired values that reported does not match"));
    }
}
