package io.twinplatform.command.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.configuration.ConfigurationSpec;
import io.twinplatform.api.configuration.ConfigurationWriteResult;
import io.twinplatform.api.configuration.DeleteConfiguration;
import io.twinplatform.api.configuration.PutConfiguration;
import io.twinplatform.api.model.Etags;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.twin.Channel;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * Creates, changes and withdraws configurations (Azure's automatic device management). Writing the configuration is
 * immediate; applying it to twins follows within moments, by the configuration applier, and shows in the twins'
 * {@code configurations} and in the configuration's metrics.
 */
@RestController
@Tag(name = "configurations", description = "Configurations applied to twins by query (automatic device management)")
class ConfigurationWriteController {

    private final CommandDispatcher dispatcher;

    private final ScopeGuard scope;

    ConfigurationWriteController(CommandDispatcher dispatcher, ScopeGuard scope) {
        this.dispatcher = dispatcher;
        this.scope = scope;
    }

    @Operation(summary = "Create (201) or change (200) a configuration; its content cannot change (422)")
    @PutMapping(path = "/configurations/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ObjectNode> put(@PathVariable String id,
                                   @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                   @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch,
                                   @RequestBody byte[] body, HttpServletRequest request) {
        Etags.requireAnyOrAbsent(ifNoneMatch);
        ConfigurationSpec spec = ConfigurationSpec.parse(id, JsonBodies.parseObject(body));
        // the new target here; the one it has now, in the configuration itself (CommandDispatcher#sendOther)
        scope.requireCovers(spec.targetCondition(), "$.targetCondition");
        Long expected = Etags.expectedVersion(ifMatch);
        ConfigurationWriteResult result = dispatcher.sendOther(new PutConfiguration(id, spec, expected, Etags.isAny(ifNoneMatch)),
                RequestAudit.of(request, Channel.API));
        ObjectNode answer = JsonBodies.parseObject(body);
        answer.put("id", id);
        answer.put("etag", "\"" + result.version() + "\"");
        return ResponseEntity.status(result.created() ? HttpStatus.CREATED : HttpStatus.OK)
                .eTag("\"" + result.version() + "\"").body(answer);
    }

    @Operation(summary = "Withdraw the configuration (204): its keys are removed from the twins it set them on")
    @DeleteMapping("/configurations/{id}")
    ResponseEntity<Void> delete(@PathVariable String id,
                                @RequestHeader(value = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                HttpServletRequest request) {
        ConfigurationSpec.checkId(id);
        dispatcher.sendOther(new DeleteConfiguration(id, Etags.expectedVersion(ifMatch)),
                RequestAudit.of(request, Channel.API));
        return ResponseEntity.noContent().build();
    }
}
