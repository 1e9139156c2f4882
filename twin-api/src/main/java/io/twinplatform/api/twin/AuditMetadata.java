package io.twinplatform.api.twin;

import io.twinplatform.api.model.TextRule;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The metadata every twin command carries and every twin event inherits: who ({@code principal}), through what
 * ({@code channel}, and the {@code transport} it used), why ({@code correlationId}, {@code causationId} and an
 * optional free-text {@code reason}). When is the event's own timestamp. Never put a secret here: events are kept
 * forever.
 */
public record AuditMetadata(String principal, Channel channel, String transport, String correlationId, String reason) {

    public static final String PRINCIPAL = "principal";
    public static final String CHANNEL = "channel";
    public static final String TRANSPORT = "transport";
    public static final String CORRELATION_ID = "correlationId";
    public static final String CAUSATION_ID = "causationId";
    public static final String REASON = "reason";

    /** The longest principal an event may carry: what the history table and the audit trail hold. */
    public static final int MAX_PRINCIPAL = 256;

    public AuditMetadata {
        Objects.requireNonNull(principal, "principal");
        if (principal.length() > MAX_PRINCIPAL || TextRule.fault(principal) != null) {
            throw new IllegalArgumentException("a principal is text of at most " + MAX_PRINCIPAL + " characters");
        }
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(correlationId, "correlationId");
    }

    /**
     * The principal of a device acting with its own credentials, over MQTT or HTTP: {@code device:<twin id>}. It may
     * be longer than {@link #MAX_PRINCIPAL} (a module twin whose ids are both near 128 characters): such a device
     * cannot write, and each channel refuses it in its own way.
     */
    public static String devicePrincipal(TwinId twinId) {
        return "device:" + twinId.value();
    }

    /** The command's metadata map; the causation id is added when the command is handled. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new HashMap<>();
        map.put(PRINCIPAL, principal);
        map.put(CHANNEL, channel.json());
        if (transport != null) {
            map.put(TRANSPORT, transport);
        }
        map.put(CORRELATION_ID, correlationId);
        if (reason != null) {
            map.put(REASON, reason);
        }
        return map;
    }
}
