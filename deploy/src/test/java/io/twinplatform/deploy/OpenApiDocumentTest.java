package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The served OpenAPI document tells a client what each operation takes and answers, as the controllers' annotations
 * say it: the body an operation reads (a schema and an example), what it answers on success, and how it refuses
 * (every error a problem document). The controllers read raw bodies, so nothing of this can be inferred: an
 * operation added without its annotations fails here.
 */
class OpenApiDocumentTest extends PlatformTestSupport {

    private static final List<String> METHODS = List.of("get", "put", "post", "patch", "delete");
    private static final String PROBLEM = "application/problem+json";
    private static final String PROBLEM_SCHEMA = "#/components/schemas/Problem";
    /** Schemas springdoc makes from a Jackson tree return type: they say nothing of the answer. */
    private static final Set<String> TREES = Set.of("#/components/schemas/JsonNode",
            "#/components/schemas/ObjectNode", "#/components/schemas/ArrayNode");

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    private RequestMappingHandlerMapping mappings;

    @Test
    void everyOperationDescribesTheBodyItReadsWhatItAnswersAndHowItRefuses() {
        JsonNode docs = http.get("/v3/api-docs").json();
        Map<String, Boolean> readsBody = bodiesRead();
        List<String> faults = new ArrayList<>();
        int operations = 0;
        for (Iterator<Map.Entry<String, JsonNode>> paths = docs.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            for (String method : METHODS) {
                JsonNode operation = path.getValue().get(method);
                if (operation == null) {
                    continue;
                }
                operations++;
                String name = method.toUpperCase(Locale.ROOT) + " " + path.getKey();
                Boolean body = readsBody.get(name);
                if (body == null) {
                    faults.add(name + ": no controller serves it");
                    continue;
                }
                boolean input = body || path.getKey().contains("{")
                        || operation.path("parameters").findValuesAsText("in").contains("query");
                checkBody(docs, name, operation, body, faults);
                checkAnswers(docs, name, operation, input, faults);
            }
        }
        assertThat(operations).as("operations in /v3/api-docs").isGreaterThan(40);
        assertThat(faults).as("operations not described as they behave:%n%s", String.join("\n", faults)).isEmpty();
    }

    @Test
    void everyReferenceOfTheDocumentResolves() {
        JsonNode docs = http.get("/v3/api-docs").json();
        List<String> dangling = new ArrayList<>();
        for (String ref : docs.findValuesAsText("$ref")) {
            if (!ref.startsWith("#/") || docs.at(ref.substring(1)).isMissingNode()) {
                dangling.add(ref);
            }
        }
        assertThat(dangling).as("references to nothing").isEmpty();
    }

    /** A body the operation reads is described with a schema and an example; one it does not read is not described. */
    private static void checkBody(JsonNode docs, String name, JsonNode operation, boolean readsBody,
                                  List<String> faults) {
        JsonNode content = operation.path("requestBody").path("content");
        if (!readsBody) {
            if (operation.has("requestBody")) {
                faults.add(name + ": describes a request body it does not read");
            }
            return;
        }
        if (content.isEmpty()) {
            faults.add(name + ": reads a body that the document does not describe");
            return;
        }
        content.fields().forEachRemaining(type -> {
            JsonNode media = type.getValue();
            JsonNode schema = resolve(docs, media.path("schema"));
            if (!schema.path("type").asText().equals("object") && !schema.has("properties")) {
                faults.add(name + ": request body " + type.getKey() + " has no object schema: " + media.path("schema"));
            }
            if (!media.has("example") && media.path("examples").isEmpty() && !schema.has("example")) {
                faults.add(name + ": request body " + type.getKey() + " has no example");
            }
        });
    }

    /**
     * At least one success answer, each described (not springdoc's bare reason phrase) and, where it has content,
     * with a named media type and a schema that says something; at least one refusal, and one beyond the security
     * layer's 401 and 403 where the operation takes input; every refusal a problem document.
     */
    private static void checkAnswers(JsonNode docs, String name, JsonNode operation, boolean input,
                                     List<String> faults) {
        int successes = 0;
        int refusals = 0;
        int ownRefusals = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = operation.path("responses").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String code = entry.getKey();
            JsonNode answer = resolve(docs, entry.getValue());
            HttpStatus status = HttpStatus.resolve(Integer.parseInt(code));
            String description = answer.path("description").asText();
            if (description.isBlank() || status != null && description.equals(status.getReasonPhrase())) {
                faults.add(name + ": answer " + code + " is not described");
            }
            if (code.startsWith("2")) {
                successes++;
                answer.path("content").fields().forEachRemaining(type -> {
                    JsonNode schema = type.getValue().path("schema");
                    if (type.getKey().contains("*") || schema.isEmpty()
                            || TREES.contains(schema.path("$ref").asText())) {
                        faults.add(name + ": answer " + code + " says nothing of its " + type.getKey() + " content: "
                                + schema);
                    }
                });
            } else if (code.startsWith("4") || code.startsWith("5")) {
                if (!answer.at("/content/" + PROBLEM.replace("/", "~1") + "/schema/$ref").asText()
                        .equals(PROBLEM_SCHEMA) || answer.path("content").size() != 1) {
                    faults.add(name + ": answer " + code + " is not described as " + PROBLEM + " with the Problem"
                            + " schema: " + answer.path("content"));
                }
                if (code.startsWith("4")) {
                    refusals++;
                    if (!code.equals("401") && !code.equals("403")) {
                        ownRefusals++;
                    }
                }
            }
        }
        if (successes == 0) {
            faults.add(name + ": no success answer");
        }
        if (refusals == 0) {
            faults.add(name + ": no refusal (4xx)");
        }
        if (input && ownRefusals == 0) {
            faults.add(name + ": takes input but describes no refusal of it besides 401 and 403");
        }
    }

    /** A node itself, or the component its {@code $ref} names. */
    private static JsonNode resolve(JsonNode docs, JsonNode node) {
        String ref = node.path("$ref").asText();
        return ref.startsWith("#/") ? docs.at(ref.substring(1)) : node;
    }

    /**
     * Every operation the platform's controllers serve, as {@code METHOD /path/{variable}}, and whether it reads a
     * body: it has a {@code @RequestBody} parameter, or it declares what it consumes (a handler that reads the
     * request's stream itself).
     */
    private Map<String, Boolean> bodiesRead() {
        Map<String, Boolean> handlers = new LinkedHashMap<>();
        mappings.getHandlerMethods().forEach((RequestMappingInfo info, HandlerMethod method) -> {
            if (!method.getBeanType().getPackageName().startsWith("io.twinplatform")) {
                return;
            }
            boolean readsBody = !info.getConsumesCondition().isEmpty();
            for (MethodParameter parameter : method.getMethodParameters()) {
                readsBody |= parameter.hasParameterAnnotation(RequestBody.class);
            }
            for (String pattern : info.getPatternValues()) {
                for (var verb : info.getMethodsCondition().getMethods()) {
                    handlers.put(verb.name() + " " + pattern, readsBody);
                }
            }
        });
        return handlers;
    }
}
