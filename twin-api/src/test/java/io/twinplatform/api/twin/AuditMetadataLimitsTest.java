package io.twinplatform.api.twin;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every event's principal is one the history table and the audit trail can hold. */
class AuditMetadataLimitsTest {

    @Test
    void aPrincipalOfUpTo256CharactersOfTextIsTaken() {
        String longest = "k".repeat(AuditMetadata.MAX_PRINCIPAL);
        assertThat(new AuditMetadata(longest, Channel.API, "http", "c", null).principal()).isEqualTo(longest);
    }

    @Test
    void aLongerPrincipalOrOneThatIsNotTextIsRefused() {
        assertThatThrownBy(() -> new AuditMetadata("k".repeat(257), Channel.API, "http", "c", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AuditMetadata("a\u0000b", Channel.API, "http", "c", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AuditMetadata("a\uD800", Channel.API, "http", "c", null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
