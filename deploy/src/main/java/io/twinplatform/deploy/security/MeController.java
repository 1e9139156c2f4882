package io.twinplatform.deploy.security;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.twinplatform.api.http.ApiDocs.JSON;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * {@code GET /me}: who the platform takes the caller to be, and what its roles let it do, so a client (the console)
 * offers only what will be allowed. The answer carries no secret: the principal is what events record.
 */
@RestController
@Tag(name = "identity", description = "The authenticated caller")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
class MeController {

    /** The answer; documentation and rendering alike. */
    @Schema(name = "Me")
    record Me(@Schema(description = "as recorded in the events the caller causes", example = "key:3f9c0a1b2c4d:ops")
              String principal,
              @Schema(description = "the roles held, as given (operator includes viewer, admin all but gateway and"
                      + " monitor)") List<String> roles,
              @Schema(description = "the caller's scope, a condition; null for the whole fleet") String scope,
              @Schema(description = "what the roles allow, by kind of operation (docs/security.md): read, write,"
                      + " audit, admin, metrics") Map<String, Boolean> may) {
    }

    @Operation(summary = "The authenticated caller: principal, roles, scope, and what it may do",
            responses = @ApiResponse(responseCode = "200", description = "the caller", content = @Content(
                    mediaType = JSON, schema = @Schema(implementation = Me.class))))
    @GetMapping("/me")
    Me me(Authentication authentication) {
        TwinIdentity identity = (TwinIdentity) authentication;
        Map<String, Boolean> may = new LinkedHashMap<>();
        for (AccessMatrix.Access access : AccessMatrix.Access.values()) {
            if (access != AccessMatrix.Access.ANY) {
                may.put(access.name().toLowerCase(Locale.ROOT), access.allows(identity.effectiveRoles()));
            }
        }
        return new Me(identity.getName(), identity.roles().stream().map(Role::name).sorted().toList(),
                identity.scope() == null ? null : identity.scope().text(), may);
    }
}
