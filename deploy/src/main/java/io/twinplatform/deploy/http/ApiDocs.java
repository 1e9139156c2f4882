package io.twinplatform.deploy.http;

/**
 * Names the application's own controllers share in their OpenAPI annotations: media types, and the components
 * {@link OpenApiDocument} registers: the problem document and the security layer's answers, which every controller
 * lists at class level.
 */
public final class ApiDocs {

    public static final String JSON = "application/json";
    public static final String PROBLEM = "application/problem+json";
    public static final String PROBLEM_SCHEMA = "#/components/schemas/Problem";
    public static final String UNAUTHORIZED = "#/components/responses/unauthorized";
    public static final String FORBIDDEN = "#/components/responses/forbidden";

    private ApiDocs() {
    }
}
