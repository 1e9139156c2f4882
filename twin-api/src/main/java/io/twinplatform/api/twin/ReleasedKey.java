package io.twinplatform.api.twin;

/**
 * A desired key that a configuration decided and no configuration decides any more (it was deleted, the twin left
 * its target, or its rollout was rolled back), and what became of the value: {@value #REMOVED}, {@value #RESTORED}
 * (a rollback put back the value from before the rollout) or {@value #KEPT} (someone else had changed the key since
 * the configuration set it, and later changes by others are left alone).
 */
public record ReleasedKey(String key, String configurationId, String outcome) {

    public static final String REMOVED = "removed";
    public static final String RESTORED = "restored";
    public static final String KEPT = "kept";
}
