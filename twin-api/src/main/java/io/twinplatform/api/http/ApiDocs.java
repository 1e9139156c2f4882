package io.twinplatform.api.http;

/**
 * Names every module's OpenAPI annotations share, in one place: the media types the HTTP API speaks, and the
 * components the application registers once for all modules (deploy's {@code OpenApiDocument}): the problem
 * document, the twin, the shadow view, and the security layer's answers, which every controller lists at class level.
 * Plain strings: the contract stays free of any documentation library.
 */
public final class ApiDocs {

    public static final String JSON = "application/json";
    public static final String MERGE_PATCH = "application/merge-patch+json";
    public static final String PROBLEM = "application/problem+json";
    public static final String PROBLEM_SCHEMA = "#/components/schemas/Problem";
    public static final String TWIN_SCHEMA = "#/components/schemas/Twin";
    public static final String SHADOW_SCHEMA = "#/components/schemas/Shadow";
    public static final String UNAUTHORIZED = "#/components/responses/unauthorized";
    public static final String FORBIDDEN = "#/components/responses/forbidden";

    private ApiDocs() {
    }
}
