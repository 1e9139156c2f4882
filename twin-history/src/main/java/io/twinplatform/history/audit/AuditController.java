package io.twinplatform.history.audit;

import com.fasterxml.jackson.databind.JsonNode;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.history.HistoryFilter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Tamper evidence: verify the chain and the history, and read the chain's head to anchor it elsewhere. */
@RestController
@Tag(name = "audit", description = "Tamper evidence over the event store and the history")
class AuditController {

    private final AuditVerifier verifier;
    private final JdbcTemplate jdbc;

    AuditController(AuditVerifier verifier, JdbcTemplate jdbc) {
        this.verifier = verifier;
        this.jdbc = jdbc;
    }

    private static final Set<String> MEMBERS = Set.of("twinId", "from", "to", "history");

    @Operation(summary = "Verify the hash chain and the history: the whole store ({}), one twin ({\"twinId\"}) or a"
            + " time range ({\"from\",\"to\"}); \"history\": false checks the chain only")
    @PostMapping("/audit/verify")
    AuditVerifier.Result verify(@RequestBody(required = false) byte[] body) {
        JsonNode request = body == null || body.length == 0 ? null : JsonBodies.parseObject(body);
        if (request != null) {
            for (Iterator<String> names = request.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!MEMBERS.contains(name)) {
                    throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember", "$." + name,
                            "a verify request has twinId, from, to and history; not " + name));
                }
            }
        }
        String twinId = text(request, "twinId");
        Instant from = HistoryFilter.instant("$.from", text(request, "from"));
        Instant to = HistoryFilter.instant("$.to", text(request, "to"));
        JsonNode history = request == null ? null : request.get("history");
        if (history != null && !history.isBoolean()) {
            throw HistoryFilter.invalid("$.history", "history is true (also check the history table, the default)"
                    + " or false (the chain only)");
        }
        return verifier.verify(twinId, from, to, history == null || history.booleanValue());
    }

    @Operation(summary = "The chain's last link: publish its hash somewhere you trust to anchor the record")
    @GetMapping("/audit/head")
    Map<String, Object> head() {
        List<Map<String, Object>> head = jdbc.queryForList(
                "SELECT position, global_index AS \"globalIndex\", event_id AS \"eventId\", hash FROM event_chain"
                        + " ORDER BY position DESC LIMIT 1");
        return head.isEmpty() ? Map.of("position", 0) : head.get(0);
    }

    private static String text(JsonNode request, String name) {
        if (request == null || request.get(name) == null || request.get(name).isNull()) {
            return null;
        }
        if (!request.get(name).isTextual()) {
            throw HistoryFilter.invalid("$." + name, name + " is a string");
        }
        return request.get(name).textValue();
    }

}
