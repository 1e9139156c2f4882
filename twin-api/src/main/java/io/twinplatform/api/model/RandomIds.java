package io.twinplatform.api.model;

import org.axonframework.common.IdentifierFactory;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Random (version 4) UUIDs, as {@link UUID#randomUUID()} makes them, without its one shared {@link SecureRandom}:
 * under 32 command threads that lock cost more waiting than work. Each thread draws from its own
 * {@code L64X128MixRandom} (192 bits of state, period 2<sup>64</sup>(2<sup>128</sup>−1)), seeded once from
 * {@link SecureRandom} when the thread first asks, so threads and processes never share a sequence and an id is 122
 * random bits like {@code randomUUID()}'s. Not for secrets: the generator is not cryptographic, and its ids are
 * identifiers only (events, messages, correlation ids).
 *
 * <p>Axon takes its message identifiers from this class through {@code META-INF/services}. The generator lives in
 * the {@code jdk.random} module, present in every JDK and JRE since 17; a runtime built without it fails at start.
 */
public final class RandomIds extends IdentifierFactory {

    private static final RandomGeneratorFactory<RandomGenerator> ALGORITHM =
            RandomGeneratorFactory.of("L64X128MixRandom");
    private static final SecureRandom SEEDS = new SecureRandom();
    private static final ThreadLocal<RandomGenerator> GENERATOR = ThreadLocal.withInitial(RandomIds::seeded);

    /** For {@link java.util.ServiceLoader}; use {@link #uuid()} directly. */
    public RandomIds() {
    }

    /** A new random UUID in its text form, {@code xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx}. */
    public static String uuid() {
        RandomGenerator random = GENERATOR.get();
        long high = random.nextLong() & ~0xF000L | 0x4000L;
        long low = random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    @Override
    public String generateIdentifier() {
        return uuid();
    }

    private static RandomGenerator seeded() {
        byte[] seed = new byte[32];
        SEEDS.nextBytes(seed);
        return ALGORITHM.create(seed);
    }
}
