package io.twinplatform.deploy.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.OperatorIds;
import io.twinplatform.api.model.Timestamps;
import io.twinplatform.api.query.Scope;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/** {@code /admin/keys}: API keys made, listed and revoked by an admin (docs/security.md). */
@RestController
@Tag(name = "admin")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class ApiKeyController {

    private static final String JSON = MediaType.APPLICATION_JSON_VALUE;
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final int MAX_BODY = 16 * 1024;
    private static final Set<String> MEMBERS = Set.of("name", "roles", "scope");

    /** A key to make; documentation only, the body is read raw. */
    @Schema(name = "ApiKeyRequest", description = "any other member is 422 unknownMember")
    record KeyRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "new, never used before;"
            + " the rule of operator ids") String name,
                      @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "viewer, operator, auditor,"
                              + " admin, gateway, monitor") List<String> roles,
                      @Schema(nullable = true, description = "a condition of the query language that bounds what"
                              + " the key sees and changes; absent or null: the whole fleet") String scope) {
    }

    /** A key as listed; documentation only. {@code key}, the secret, is in the answer to its making alone. */
    @Schema(name = "ApiKey")
    record Key(String id, String name, List<String> roles, String scope,
               @Schema(description = "the principal its events name") String principal,
               String createdAt, String createdBy, String revokedAt,
               @Schema(description = "POST only, shown once: send it as Authorization: Bearer <key>") String key) {
    }

    /** {@code GET /admin/keys}; documentation only. */
    @Schema(name = "ApiKeys")
    record KeyList(List<Key> keys) {
    }

    private final ApiKeys keys;

    ApiKeyController(ApiKeys keys) {
        this.keys = keys;
    }

    @Operation(summary = "Make an API key. The answer shows the whole key once; only a slow hash of it is kept",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    description = "name (new, never used before; the rule of operator ids), roles (viewer,"
                            + " operator, auditor, admin, gateway, monitor) and optionally scope, a condition of the"
                            + " query language that bounds what the key sees and changes",
                    content = @Content(mediaType = JSON, schema = @Schema(implementation = KeyRequest.class),
                            examples = @ExampleObject(name = "key",
                            value = "{\"name\":\"plant-7-service\",\"roles\":[\"operator\"],"
                                    + "\"scope\":\"tags.site = 'plant-7'\"}"))),
            responses = {
                    @ApiResponse(responseCode = "201", description = "the key: id, name, roles, createdAt, createdBy"
                            + " and key (send it as Authorization: Bearer <key>)", content = @Content(mediaType = JSON,
                            schema = @Schema(implementation = Key.class))),
                    @ApiResponse(responseCode = "415", description = "not application/json",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "400", description = "malformed JSON, not an object, or a scope"
                            + " that is not a condition (at $.scope@<position>)",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "the name is taken",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "413", description = "a body over 16 KB",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "422", description = "a missing or invalid name or role, an unknown"
                            + " member, or a scope that is not a string of text",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = "/admin/keys", consumes = JSON, produces = JSON)
    ResponseEntity<JsonNode> create(@RequestBody byte[] bytes, HttpServletRequest request) {
        if (bytes.length > MAX_BODY) {
            throw new TwinException(TwinError.of(ErrorKind.TOO_LARGE, "bodyTooLarge",
                    "a key body holds at most " + MAX_BODY + " bytes"));
        }
        ObjectNode body = JsonBodies.parseObject(bytes);
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String member = names.next();
            if (!MEMBERS.contains(member)) {
                throw invalid("unknownMember", "$." + member, "a key has name, roles and scope; not " + member);
            }
        }
        JsonNode name = body.get("name");
        if (name == null || !name.isTextual() || !OperatorIds.valid(name.asText())) {
            throw invalid("invalidKeyName", "$.name", "name must be " + OperatorIds.RULE);
        }
        JsonNode roles = body.get("roles");
        if (roles == null || !roles.isArray() || roles.isEmpty()) {
            throw invalid("invalidRoles", "$.roles", "roles must be a non-empty array of viewer, operator, auditor,"
                    + " admin, gateway and monitor");
        }
        EnumSet<Role> held = EnumSet.noneOf(Role.class);
        for (int i = 0; i < roles.size(); i++) {
            JsonNode role = roles.get(i);
            String path = "$.roles[" + i + "]";
            Role named = role.isTextual() ? Role.named(role.asText()).orElse(null) : null;
            if (named == null) {
                throw invalid("invalidRoles", path, "a role is one of viewer, operator, auditor, admin, gateway"
                        + " and monitor");
            }
            held.add(named);
        }
        Scope scope = scope(body.get("scope"));
        String createdBy = request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName();
        ApiKeys.Created created = keys.create(name.asText(), held, scope, createdBy);
        ObjectNode answer = describe(created.key());
        answer.put("key", created.secret());
        return ResponseEntity.created(URI.create("/admin/keys/" + created.key().id()))
                .cacheControl(CacheControl.noStore()).body(answer);
    }

    @Operation(summary = "List the API keys, revoked ones too; never their secrets",
            responses = @ApiResponse(responseCode = "200", description = "every key", content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = KeyList.class))))
    @GetMapping(path = "/admin/keys", produces = JSON)
    JsonNode list() {
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        ArrayNode array = answer.putArray("keys");
        keys.list().forEach(key -> array.add(describe(key)));
        return answer;
    }

    @Operation(summary = "Revoke an API key: refused from now on (on other instances within"
            + " twin.security.key-cache-ttl). Its events keep naming it",
            responses = {
                    @ApiResponse(responseCode = "204", description = "revoked (or it already was)"),
                    @ApiResponse(responseCode = "404", description = "no such key",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "the last admin key that is not revoked",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @DeleteMapping(path = "/admin/keys/{id}")
    ResponseEntity<Void> revoke(@PathVariable String id) {
        if (!keys.revoke(id)) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "keyNotFound", "no key with id " + id));
        }
        return ResponseEntity.status(HttpStatus.NO_CONTENT).build();
    }

    /** The key's scope: absent or null for the whole fleet, else a condition ({@link Scope#parse}). */
    private static Scope scope(JsonNode scope) {
        if (scope == null || scope.isNull()) {
            return null;
        }
        if (!scope.isTextual()) {
            throw invalid("invalidScope", "$.scope", "scope is a condition as a string, such as"
                    + " \"tags.site = 'plant-7'\"");
        }
        try {
            return Scope.parse(scope.asText());
        } catch (TwinException e) {
            throw new TwinException(TwinError.at(e.error().kind(), e.error().code(),
                    "$.scope" + (e.error().path() == null ? "" : e.error().path()), e.error().detail()));
        }
    }

    private static ObjectNode describe(ApiKeys.Key key) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("id", key.id());
        node.put("name", key.name());
        ArrayNode roles = node.putArray("roles");
        key.roles().forEach(role -> roles.add(role.name()));
        if (key.scope() != null) {
            node.put("scope", key.scope().text());
        }
        node.put("principal", key.principal());
        node.put("createdAt", Timestamps.format(key.createdAt()));
        node.put("createdBy", key.createdBy());
        if (key.revokedAt() != null) {
            node.put("revokedAt", Timestamps.format(key.revokedAt()));
        }
        return node;
    }

    private static TwinException invalid(String code, String path, String detail) {
        return new TwinException(TwinError.at(ErrorKind.UNPROCESSABLE, code, path, detail));
    }
}
