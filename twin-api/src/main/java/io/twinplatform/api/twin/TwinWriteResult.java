package io.twinplatform.api.twin;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a twin command returns: the twin document after it ({@code null} after a delete, and when the caller asked
 * for no document and nothing else needs it), its version, whether the command created the twin, whether it
 * changed anything (a no-op patch or a redelivery did not), the merge patch it made to the desired properties
 * ({@code null} when it made none), which a device of Azure's protocol is sent, and the twin's shadow before the
 * command ({@code ShadowDocument.snapshot}; {@code null} unless the command's metadata asked for it, and when there
 * was no twin), which a device of AWS's protocol is sent with the one after.
 */
public record TwinWriteResult(ObjectNode twin, long version, boolean created, boolean changed,
                              ObjectNode desiredPatch, ObjectNode previousShadow) {

    /** A result without the shadow before. */
    public TwinWriteResult(ObjectNode twin, long version, boolean created, boolean changed,
                           ObjectNode desiredPatch) {
        this(twin, version, created, changed, desiredPatch, null);
    }

    /** A result that changed no desired property. */
    public TwinWriteResult(ObjectNode twin, long version, boolean created, boolean changed) {
        this(twin, version, created, changed, null, null);
    }
}
