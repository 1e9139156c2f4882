package io.twinplatform.command.twin;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class UnobservedTwinWritesTest {

    @ParameterizedTest
    @CsvSource({
            "PUT, /twins/dev-1",
            "PATCH, /twins/dev-1",
            "PUT, /twins/dev-1/modules/m1",
            "PATCH, /twins/dev-1/modules/m1",
            "PATCH, /twins/dev-1/properties/reported",
            "PATCH, /twins/dev-1/modules/m1/properties/reported",
            "PATCH, /twins/modules",
            "PATCH, /twins/modules/modules/properties/properties/reported",
    })
    void leavesTheHotTwinWritesUnobserved(String method, String path) {
        assertThat(UnobservedTwinWrites.isTwinWrite(method, path)).isTrue();
    }

    @ParameterizedTest
    @CsvSource({
            "GET, /twins/dev-1",
            "DELETE, /twins/dev-1",
            "POST, /twins/dev-1/shadow",
            "PUT, /twins/dev-1/status",
            "PUT, /twins/dev-1/properties/reported",
            "PATCH, /twins/dev-1/properties/desired",
            "PATCH, /twins/dev-1/modules/m1/properties",
            "PATCH, /twins/",
            "PATCH, /twins//modules/m1",
            "PATCH, /twins/dev-1/modules/",
            "PATCH, /twins/dev-1/",
            "PUT, /configurations/c1",
            "PATCH, /twinsx/dev-1",
    })
    void observesEveryOtherRequest(String method, String path) {
        assertThat(UnobservedTwinWrites.isTwinWrite(method, path)).isFalse();
    }
}
