package io.twinplatform.deploy.http;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;
import java.util.Map;

/**
 * The parts of the served OpenAPI document that belong to no one operation: its info, the two ways to authenticate,
 * the answers of the security layer ({@code unauthorized}, {@code forbidden}) and the schemas several modules
 * answer with ({@code Problem}, {@code Twin}, {@code Shadow}). Every operation describes itself on its controller
 * with springdoc annotations, referring to these by name; nothing here touches an operation.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiDocument {

    private static final String PROBLEM_JSON = "application/problem+json";

    @Bean
    OpenApiCustomizer twinDocumentComponents() {
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
            components.addResponses("unauthorized", problem("no credentials, or credentials not accepted (unknown,"
                    + " revoked, expired, badly signed); with WWW-Authenticate"));
            components.addResponses("forbidden", problem("the caller's roles do not allow this operation"
                    + " (docs/security.md), or a write reaches outside the caller's scope (outsideScope)"));
            components.addSchemas("Problem", new ObjectSchema()
                    .description("RFC 9457 problem details; type ends in the stable code")
                    .addProperty("type", new StringSchema().example("urn:twin-platform:problem:etagMismatch"))
                    .addProperty("title", new StringSchema())
                    .addProperty("status", new IntegerSchema())
                    .addProperty("detail", new StringSchema())
                    .addProperty("instance", new StringSchema().description("the request path"))
                    .addProperty("code", new StringSchema())
                    .addProperty("path", new StringSchema().description("JSON path at fault, e.g. $.tags['a.b'];"
                            + " or the query parameter at fault"))
                    .addProperty("position", new IntegerSchema()
                            .description("byte offset of a JSON syntax error; character offset of a query error"))
                    .example(Map.of("type", "urn:twin-platform:problem:etagMismatch", "title", "Precondition failed",
                            "status", 412, "detail", "If-Match \"1\" does not match the twin's etag \"2\"",
                            "instance", "/twins/device001", "code", "etagMismatch")));
            components.addSchemas("Twin", twinSchema());
            components.addSchemas("Shadow", new ObjectSchema()
                    .description("the AWS Device Shadow view of a twin; empty sections and an empty delta are left out")
                    .addProperty("state", new ObjectSchema().addProperty("desired", new ObjectSchema())
                            .addProperty("reported", new ObjectSchema()).addProperty("delta", new ObjectSchema()))
                    .addProperty("metadata", new ObjectSchema().description("a timestamp (epoch seconds) per leaf"))
                    .addProperty("version", new IntegerSchema().format("int64").description("the twin's version"))
                    .addProperty("timestamp", new IntegerSchema().format("int64").description("time of the answer"))
                    .addProperty("clientToken", new StringSchema().description("echoed from the update")));
        };
    }

    private static ApiResponse problem(String description) {
        return new ApiResponse().description(description).content(new Content().addMediaType(PROBLEM_JSON,
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem"))));
    }

    private static Schema<?> twinSchema() {
        return new ObjectSchema()
                .description("a device or module twin (docs/api.md, The twin document)")
                .addProperty("deviceId", new StringSchema())
                .addProperty("moduleId", new StringSchema().nullable(true))
                .addProperty("etag", new StringSchema().example("\"12\""))
                .addProperty("version", new IntegerSchema().format("int64"))
                .addProperty("status", new StringSchema()._enum(List.of("enabled", "disabled")))
                .addProperty("statusReason", new StringSchema())
                .addProperty("statusUpdatedTime", new StringSchema().format("date-time"))
                .addProperty("connectionState", new StringSchema().example("Disconnected"))
                .addProperty("lastActivityTime", new StringSchema().format("date-time").nullable(true))
                .addProperty("tags", new ObjectSchema())
                .addProperty("properties", new ObjectSchema()
                        .addProperty("desired", new ObjectSchema().description("values, $metadata, $version"))
                        .addProperty("reported", new ObjectSchema().description("values, $metadata, $version")))
                .addProperty("configurations", new ObjectSchema()
                        .description("per configuration that targets the twin: its status (docs/configurations.md)"))
                .addProperty("delta", new ObjectSchema().description("desired values that reported does not match"));
    }
}
