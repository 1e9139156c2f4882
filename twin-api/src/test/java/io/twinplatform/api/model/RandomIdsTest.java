package io.twinplatform.api.model;

import org.axonframework.common.IdentifierFactory;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class RandomIdsTest {

    @Test
    void makesVersion4UuidsInTheirCanonicalLowerCaseText() {
        for (int i = 0; i < 1_000; i++) {
            String id = RandomIds.uuid();

            assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
            UUID parsed = UUID.fromString(id);
            assertThat(parsed.version()).isEqualTo(4);
            assertThat(parsed.variant()).isEqualTo(2);
            assertThat(parsed.toString()).isEqualTo(id);
        }
    }

    @Test
    void everyBitOutsideVersionAndVariantTakesBothValues() {
        long highOnes = 0;
        long highZeros = 0;
        long lowOnes = 0;
        long lowZeros = 0;
        for (int i = 0; i < 2_000; i++) {
            UUID id = UUID.fromString(RandomIds.uuid());
            highOnes |= id.getMostSignificantBits();
            highZeros |= ~id.getMostSignificantBits();
            lowOnes |= id.getLeastSignificantBits();
            lowZeros |= ~id.getLeastSignificantBits();
        }
        long highRandom = ~0xF000L;
        long lowRandom = 0x3FFFFFFFFFFFFFFFL;
        assertThat(highOnes & highZeros & highRandom).isEqualTo(highRandom);
        assertThat(lowOnes & lowZeros & lowRandom).isEqualTo(lowRandom);
    }

    @Test
    void manyThreadsAtOnceDrawNoIdTwice() throws Exception {
        int threads = 16;
        int each = 25_000;
        Set<String> seen = ConcurrentHashMap.newKeySet(threads * each);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> duplicates = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                duplicates.add(pool.submit(() -> {
                    start.await();
                    int repeated = 0;
                    for (int i = 0; i < each; i++) {
                        if (!seen.add(RandomIds.uuid())) {
                            repeated++;
                        }
                    }
                    return repeated;
                }));
            }
            start.countDown();
            for (Future<Integer> repeated : duplicates) {
                assertThat(repeated.get(60, TimeUnit.SECONDS)).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(seen).hasSize(threads * each);
    }

    @Test
    void axonTakesItsMessageIdentifiersFromRandomIds() {
        assertThat(IdentifierFactory.getInstance()).isInstanceOf(RandomIds.class);
        assertThat(UUID.fromString(IdentifierFactory.getInstance().generateIdentifier()).version()).isEqualTo(4);
    }
}
