package io.twinplatform.command.twin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinError;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.Etags;
import io.twinplatform.api.model.JsonBodies;
import io.twinplatform.api.model.JsonPath;
import io.twinplatform.api.model.TextRule;
import io.twinplatform.api.query.ScopedWrites;
import io.twinplatform.api.twin.Channel;
import io.twinplatform.api.twin.TwinCommands;
import io.twinplatform.api.twin.TwinId;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code POST /twins/batch}, read into one command per item:
 * {@code {"items":[{"deviceId":"d1","moduleId":"m1","reported":{…},"idempotencyKey":"k1"},
 * {"deviceId":"d2","patch":{"tags":{…},"properties":{"desired":{…}}},"ifMatch":"\"3\""}]}}.
 * <p>
 * An item holds {@code reported} (a device's reported patch, as {@code PATCH …/properties/reported}, optionally with
 * {@code idempotencyKey}) or {@code patch} (tags and desired, as {@code PATCH /twins/{deviceId}}, optionally with
 * {@code ifMatch}), never both. Each is read by the single endpoint's own code ({@link TwinWriteController}), so an
 * item is refused exactly when that endpoint would refuse the same patch, with the fault's path named below the
 * item ({@code $.items[3].reported.a}). A refused item is kept with its error and sent nowhere; only a body that is
 * not a JSON object with an {@code items} array (or holds more than {@code maxItems} items) is refused whole.
 */
final class TwinBatch {

    private static final Set<String> MEMBERS = Set.of("deviceId", "moduleId", "reported", "idempotencyKey", "patch",
            "ifMatch");

    /** One item: its command and channel, or why it is refused. */
    record Item(int index, TwinId id, TwinCommands command, Channel channel, TwinError error, ScopedWrites.Kind kind,
                ObjectNode write) {

        Item(int index, TwinId id, TwinError error) {
            this(index, id, null, null, error, null, null);
        }

        /**
         * A refusal of the twin, its path moved into this item: the twin names a fault in a reported patch at
         * {@code $.properties.reported.a} and one in tags at {@code $.tags.a}; here they are
         * {@code $.items[3].reported.a} and {@code $.items[3].patch.tags.a}.
         */
        TwinError placed(TwinError refusal) {
            String at = JsonPath.index("$.items", index);
            return channel == Channel.DEVICE ? rebase(refusal, JsonPath.REPORTED, at + ".reported")
                    : rebase(refusal, "$", at + ".patch");
        }
    }

    private TwinBatch() {
    }

    /** The items of the body in order; a {@link TwinException} for a body that is refused whole. */
    static List<Item> parse(byte[] body, int maxItems) {
        JsonNode root = JsonBodies.parseSyntax(body);
        ObjectNode envelope = JsonBodies.object(root, "$");
        for (Iterator<String> it = envelope.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("items")) {
                TextRule.check(envelope, "$");
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember", JsonPath.child("$", field),
                        "a batch holds items only"));
            }
        }
        JsonNode items = envelope.get("items");
        if (items == null || items.isNull()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "missingItems", "$.items",
                    "a batch needs an items array"));
        }
        if (!items.isArray()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "notAnArray", "$.items",
                    "expected a JSON array at $.items but found " + items.getNodeType().name().toLowerCase()));
        }
        if (items.size() > maxItems) {
            throw new TwinException(TwinError.at(ErrorKind.TOO_LARGE, "tooManyItems", "$.items",
                    "a batch holds at most " + maxItems + " items; this one holds " + items.size()));
        }
        List<Item> parsed = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            parsed.add(item(i, items.get(i)));
        }
        return parsed;
    }

    private static Item item(int index, JsonNode node) {
        String at = JsonPath.index("$.items", index);
        TwinId id = null;
        try {
            TextRule.check(node, at);
            ObjectNode item = JsonBodies.object(node, at);
            for (Iterator<String> it = item.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                if (!MEMBERS.contains(field)) {
                    throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember",
                            JsonPath.child(at, field), "a batch item holds " + String.join(", ", MEMBERS.stream()
                            .sorted().toList()) + " only"));
                }
            }
            id = twinId(item, at);
            boolean reported = item.has("reported");
            boolean patch = item.has("patch");
            if (reported == patch) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "oneWritePerItem", at,
                        "a batch item holds either reported or patch"));
            }
            if (reported) {
                if (item.has("ifMatch")) {
                    throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember", at + ".ifMatch",
                            "a reported patch has no precondition; ifMatch goes with patch"));
                }
                ObjectNode section = JsonBodies.object(item.get("reported"), at + ".reported");
                String key = text(item, "idempotencyKey", at);
                try {
                    return new Item(index, id, TwinWriteController.reportedCommand(id, section, key), Channel.DEVICE,
                            null, ScopedWrites.Kind.REPORTED, section);
                } catch (TwinException e) {
                    TwinError error = e.error();
                    throw new TwinException(TwinError.at(error.kind(), error.code(), at + ".idempotencyKey",
                            error.detail()));
                }
            }
            if (item.has("idempotencyKey")) {
                throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "unknownMember", at + ".idempotencyKey",
                        "an idempotency key goes with reported; patch takes ifMatch"));
            }
            ObjectNode section = JsonBodies.object(item.get("patch"), at + ".patch");
            String ifMatch = text(item, "ifMatch", at);
            return new Item(index, id, TwinWriteController.patchCommand(id, section, at + ".patch",
                    Etags.expectedVersion(ifMatch)), Channel.API, null, ScopedWrites.Kind.PATCH, section);
        } catch (TwinException e) {
            return new Item(index, id, e.error());
        }
    }

    private static TwinId twinId(ObjectNode item, String at) {
        try {
            return new TwinId(text(item, "deviceId", at), text(item, "moduleId", at));
        } catch (TwinException e) {
            throw new TwinException(rebase(e.error(), "$", at));
        }
    }

    /** A string member, null when absent or JSON null; any other type is refused at its path. */
    private static String text(ObjectNode item, String member, String at) {
        JsonNode value = item.get(member);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new TwinException(TwinError.at(ErrorKind.MALFORMED, "notAString", JsonPath.child(at, member),
                    JsonPath.child(at, member) + " must be a string"));
        }
        return value.textValue();
    }

    /**
     * The error with its path moved from below {@code from} to below {@code to}: the twin names a fault in a
     * reported patch at {@code $.properties.reported.a}, which in a batch item is {@code $.items[3].reported.a}.
     * A path outside {@code from}, or none, stays as it is.
     */
    static TwinError rebase(TwinError error, String from, String to) {
        String path = error.path();
        if (path == null || !(path.equals(from) || path.startsWith(from + ".") || path.startsWith(from + "["))) {
            return error;
        }
        return new TwinError(error.kind(), error.code(), error.detail(), to + path.substring(from.length()));
    }
}
