package io.twinplatform.deploy.mqtt;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.twinplatform.api.query.CallerScope;
import io.twinplatform.api.query.ScopedWrites;
import io.twinplatform.api.twin.FindTwin;
import io.twinplatform.api.twin.TwinId;
import jakarta.servlet.http.HttpServletRequest;
import org.axonframework.queryhandling.QueryGateway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import static io.twinplatform.api.http.ApiDocs.FORBIDDEN;
import static io.twinplatform.api.http.ApiDocs.PROBLEM_SCHEMA;
import static io.twinplatform.api.http.ApiDocs.UNAUTHORIZED;

/**
 * One device's MQTT key, rotated or revoked without touching the fleet secret (docs/devices.md): {@code POST
 * …/key} moves the device to the next generation of its key and answers the new password once; {@code DELETE …/key}
 * revokes every key of the device until the next rotation. Either way the device is disconnected from this
 * instance's embedded broker, and refused at its next connect or HTTP request with the old key. Keys are checked by
 * the embedded broker; with an external broker, its own credentials apply and these operations answer {@code 409}.
 */
@RestController
@Tag(name = "devices")
@ApiResponse(responseCode = "401", ref = UNAUTHORIZED)
@ApiResponse(responseCode = "403", ref = FORBIDDEN)
class DeviceKeyController {

    /** A rotated key; documentation only. */
    @Schema(name = "DeviceKey")
    record DeviceKey(String twinId, int generation,
                     @Schema(description = "the device's new MQTT password, shown once") String password,
                     @Schema(description = "the same key in Azure's form, for an Azure connection string's"
                             + " SharedAccessKey; shown once") String symmetricKey) {
    }

    /** A certificate request; documentation only. */
    @Schema(name = "DeviceCertificateRequest")
    record CertificateRequest(@Schema(requiredMode = Schema.RequiredMode.REQUIRED,
            description = "a PKCS#10 certificate signing request, PEM, signed with the device's own key") String csr) {
    }

    /** An issued device certificate; documentation only. */
    @Schema(name = "DeviceCertificate")
    record IssuedCertificate(String twinId, int generation,
                             @Schema(description = "the device's certificate, PEM, issued by the broker's CA")
                             String certificatePem) {
    }

    private static final Logger log = LoggerFactory.getLogger(DeviceKeyController.class);
    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;

    private final DeviceKeyStore store;
    private final ObjectProvider<EmbeddedBroker> broker;
    private final ObjectProvider<DeviceCredentials> credentials;
    private final QueryGateway queries;

    private final CallerScope scopes;

    DeviceKeyController(DeviceKeyStore store, ObjectProvider<EmbeddedBroker> broker,
                        ObjectProvider<DeviceCredentials> credentials, QueryGateway queries,
                        ObjectProvider<CallerScope> scopes) {
        this.scopes = scopes.getIfAvailable(() -> CallerScope.WHOLE_FLEET);
        this.store = store;
        this.broker = broker;
        this.credentials = credentials;
        this.queries = queries;
    }

    @Operation(summary = "Rotate the device's MQTT key: its next generation, whose password the answer shows once;"
            + " the old key is refused from now on and the device is disconnected",
            responses = {
                    @ApiResponse(responseCode = "200",
                            description = "{\"twinId\", \"generation\", \"password\", \"symmetricKey\"}",
                            content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                                    schema = @Schema(implementation = DeviceKey.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "no embedded broker in this platform",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = {"/twins/{deviceId}/key", "/twins/{deviceId}/modules/{moduleId}/key"},
            produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ObjectNode> rotate(@PathVariable String deviceId,
                                      @PathVariable(required = false) String moduleId, HttpServletRequest request) {
        EmbeddedBroker embedded = embedded();
        TwinId twinId = existing(deviceId, moduleId);
        int generation = store.rotate(twinId.value(), principal(request));
        credentials.ifAvailable(kept -> kept.forget(twinId.value()));
        embedded.disconnect(twinId.value(), "the device's key was rotated");
        log.info("{} rotated the MQTT key of {} to generation {}", principal(request), twinId.value(), generation);
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        answer.put("twinId", twinId.value());
        answer.put("generation", generation);
        answer.put("password", embedded.deviceKeys().password(twinId.value(), generation));
        answer.put("symmetricKey", embedded.deviceKeys().symmetricKey(twinId.value(), generation));
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(answer);
    }

    @Operation(summary = "Revoke the device's MQTT key: every key of the device is refused until it is rotated again,"
            + " and the device is disconnected",
            responses = {
                    @ApiResponse(responseCode = "204", description = "revoked (or it already was)"),
                    @ApiResponse(responseCode = "400", description = "an invalid id",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "no embedded broker in this platform",
                            content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @DeleteMapping(path = {"/twins/{deviceId}/key", "/twins/{deviceId}/modules/{moduleId}/key"})
    ResponseEntity<Void> revoke(@PathVariable String deviceId, @PathVariable(required = false) String moduleId,
                                HttpServletRequest request) {
        EmbeddedBroker embedded = embedded();
        TwinId twinId = existing(deviceId, moduleId);
        store.revoke(twinId.value(), principal(request));
        credentials.ifAvailable(kept -> kept.forget(twinId.value()));
        embedded.disconnect(twinId.value(), "the device's key was revoked");
        log.info("{} revoked the MQTT key of {}", principal(request), twinId.value());
        return ResponseEntity.noContent().build();
    }

    @Operation(summary = "Issue a client certificate for the device from the broker's CA, for the key of its signing"
            + " request: the device may then connect over TLS with it instead of its password, while its key stays at"
            + " the generation it was issued under (rotating or revoking the key retires it)",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = MediaType.APPLICATION_JSON_VALUE,
                    schema = @Schema(implementation = CertificateRequest.class),
                    examples = @ExampleObject(name = "csr", value = "{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----"
                            + "\\n…\\n-----END CERTIFICATE REQUEST-----\"}"))),
            responses = {
                    @ApiResponse(responseCode = "200", description = "{\"twinId\", \"generation\", \"certificatePem\"}",
                            content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                                    schema = @Schema(implementation = IssuedCertificate.class))),
                    @ApiResponse(responseCode = "400", description = "an invalid id, or no readable signing request"
                            + " (invalidCsr)", content = @Content(mediaType = PROBLEM,
                            schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "404", description = "no such twin (twinNotFound)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "409", description = "no embedded broker, a configured key store whose"
                            + " CA the platform does not hold (noDeviceCa), or a revoked key (keyRevoked)",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA))),
                    @ApiResponse(responseCode = "415", description = "not application/json",
                            content = @Content(mediaType = PROBLEM, schema = @Schema(ref = PROBLEM_SCHEMA)))})
    @PostMapping(path = {"/twins/{deviceId}/certificate", "/twins/{deviceId}/modules/{moduleId}/certificate"},
            consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ObjectNode> certificate(@PathVariable String deviceId,
                                           @PathVariable(required = false) String moduleId,
                                           @RequestBody byte[] body, HttpServletRequest request) {
        EmbeddedBroker embedded = embedded();
        TwinId twinId = existing(deviceId, moduleId);
        JsonNode csr = JsonBodies.parseObject(body).get("csr");
        DeviceKeyStore.State key = store.state(twinId.value());
        if (key.revoked()) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "keyRevoked", "the device's key is revoked:"
                    + " rotate it (POST …/key) before issuing a certificate"));
        }
        String pem = embedded.tls().issueDeviceCertificate(csr != null && csr.isTextual() ? csr.asText() : null,
                twinId, key.generation());
        log.info("{} issued a client certificate for {} under key generation {}", principal(request), twinId.value(),
                key.generation());
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        answer.put("twinId", twinId.value());
        answer.put("generation", key.generation());
        answer.put("certificatePem", pem);
        return ResponseEntity.ok().cacheControl(CacheControl.noStore()).body(answer);
    }

    private EmbeddedBroker embedded() {
        EmbeddedBroker embedded = broker.getIfAvailable();
        if (embedded == null) {
            throw new TwinException(TwinError.of(ErrorKind.CONFLICT, "noEmbeddedBroker", "this platform runs no"
                    + " embedded MQTT broker: device credentials are the external broker's to rotate or revoke"));
        }
        return embedded;
    }

    /**
     * The twin's id, checked; 404 when there is no such twin, {@code 403 outsideScope} when it lies outside the
     * caller's scope.
     */
    private TwinId existing(String deviceId, String moduleId) {
        TwinId twinId = moduleId == null ? TwinId.device(deviceId) : TwinId.module(deviceId, moduleId);
        ObjectNode twin = queries.query(new FindTwin(twinId.value()), ObjectNode.class).join();
        if (twin == null) {
            throw new TwinException(TwinError.of(ErrorKind.NOT_FOUND, "twinNotFound",
                    "twin " + twinId.value() + " does not exist"));
        }
        TwinError outside = ScopedWrites.refusal(scopes.current(), twinId, twin, ScopedWrites.Kind.UNCHANGED, null);
        if (outside != null) {
            throw new TwinException(outside);
        }
        return twinId;
    }

    private static String principal(HttpServletRequest request) {
        return request.getUserPrincipal() == null ? "anonymous" : request.getUserPrincipal().getName();
    }
}
