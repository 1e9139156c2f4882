package io.twinplatform.api.device;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.twinplatform.api.twin.TwinId;

/**
 * A device protocol that shows every change of a twin's desired or reported properties as its state before and after
 * it (AWS's {@code update/documents}) and its delta ({@code update/delta}). Rendering the state before a change costs
 * a copy of both sections, so it is made only for twins a push {@link #watches} when the change is decided; a fleet
 * whose devices do not listen pays one look-up per write.
 */
public interface ShadowPush {

    /**
     * Whether a device of {@code twinId} (a module twin: its device) listens for shadow notifications now. Asked
     * before every command that may change desired or reported properties, on the thread that decides it: must be
     * cheap and must not block.
     */
    boolean watches(TwinId twinId);

    /**
     * The desired or reported properties of {@code twinId} changed, and the change is committed. Called on the
     * thread that committed it: must not block.
     *
     * @param previous       the shadow before the change (a {@code ShadowDocument.snapshot}), null when the twin was
     *                       created by it
     * @param twin           the twin document after the change
     * @param desiredChanged whether the desired properties changed (AWS sends a delta only then)
     * @param clientToken    the {@code clientToken} of the shadow update that made the change, if it was one
     */
    void shadowChanged(TwinId twinId, ObjectNode previous, ObjectNode twin, boolean desiredChanged,
                       String clientToken);
}
