package io.twinplatform.history.computed;

/**
 * Where a twin's computed value goes once it is saved, besides the read model: the Kafka stream's computed topic
 * when the stream is on. Called on the computing thread; it must not block for long.
 */
public interface ComputedValueSink {

    void computed(ComputedStore.Value value);
}
