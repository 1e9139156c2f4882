package io.twinplatform.query.twin;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.ShadowDocument;
import io.twinplatform.api.model.TwinState;
import io.twinplatform.api.twin.TwinId;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Clock;

/** Reads twins from the projection. Every write this platform answered is visible here (see CommandDispatcher). */
@RestController
@Tag(name = "twins", description = "Device and module twins")
class TwinReadController {

    private final TwinDocumentStore store;
    private final Clock clock = Clock.systemUTC();

    TwinReadController(TwinDocumentStore store) {
        this.store = store;
    }

    @Operation(summary = "The twin, with its ETag; If-None-Match with the current etag answers 304")
    @GetMapping({"/twins/{deviceId}", "/twins/{deviceId}/modules/{moduleId}"})
    ResponseEntity<JsonNode> get(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                 @RequestParam(required = false) String asOf,
                                 @RequestParam(required = false) Long atVersion,
                                 @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch) {
        if (asOf != null || atVersion != null) {
            throw new TwinException(TwinError.of(ErrorKind.UNPROCESSABLE, "pointInTimeNotAvailable",
                    "reading a twin as of a past instant or version is not available in this version"));
        }
        TwinDocumentStore.Row twin = load(new TwinId(deviceId, moduleId));
        String etag = TwinState.etag(twin.version());
        if (etag.equals(ifNoneMatch)) {
            return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
        }
        return ResponseEntity.ok().eTag(etag).body(twin.document());
    }

    @Operation(summary = "The AWS Device Shadow view of the twin")
    @GetMapping({"/twins/{deviceId}/shadow", "/twins/{deviceId}/modules/{moduleId}/shadow"})
    ResponseEntity<JsonNode> shadow(@PathVariable String deviceId, @PathVariable(required = false) String moduleId) {
        TwinDocumentStore.Row twin = load(new TwinId(deviceId, moduleId));
        TwinState state = TwinState.fromDocument(twin.document());
        return ResponseEntity.ok().eTag(TwinState.etag(twin.version()))
                .body(ShadowDocument.render(state, null, clock.instant()));
    }

    private TwinDocumentStore.Row load(TwinId id) {
        return store.find(id.value()).filter(row -> !row.deleted())
                .orElseThrow(() -> new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                        "twin " + id + " does not exist")));
    }
}
