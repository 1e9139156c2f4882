package io.twinplatform.command.twin;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading {@code Prefer} (RFC 7240) for {@code return=minimal}. */
class PreferMinimalTest {

    @ParameterizedTest
    @ValueSource(strings = {"return=minimal", "Return = minimal", "return=\"minimal\"", "respond-async, return=minimal",
            "return=minimal; foo=bar", "wait=10,return=minimal", " return=minimal "})
    void readsReturnMinimalAmongOtherPreferences(String prefer) {
        assertThat(TwinWriteController.prefersMinimal(prefer)).isTrue();
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "return=representation", "return", "minimal", "return=minimalist", "foo=minimal",
            "return=\"", "=minimal", ",,,;;;==", "handling=lenient; return=minimal"})
    void ignoresWhatItDoesNotUnderstand(String prefer) {
        assertThat(TwinWriteController.prefersMinimal(prefer)).isFalse();
    }
}
