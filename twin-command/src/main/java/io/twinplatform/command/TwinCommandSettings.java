package io.twinplatform.command;

import io.twinplatform.api.model.TwinLimits;
import io.twinplatform.command.dispatch.GroupCommitCommandBus;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * Settings of the write side, under {@code twin.command}.
 *
 * @param enabled                whether this process runs the write side (default true)
 * @param snapshotThreshold      events between aggregate snapshots (default 100)
 * @param readYourWritesTimeout  how long a write waits for the read side to show it before answering (default 5s);
 *                               past it the write still answers, with the twin the write side computed
 * @param cacheSize              how many recently used twins the write side keeps in memory (default 20000)
 * @param limits                 twin size limits, Azure IoT Hub's by default
 * @param batch                  limits of {@code POST /twins/batch}
 * @param groupCommit            how twin commands are grouped into transactions ({@link GroupCommitCommandBus})
 */
@ConfigurationProperties("twin.command")
public record TwinCommandSettings(@DefaultValue("true") boolean enabled,
                                  @DefaultValue("100") int snapshotThreshold,
                                  @DefaultValue("5s") Duration readYourWritesTimeout,
                                  @DefaultValue("20000") int cacheSize,
                                  @DefaultValue Limits limits,
                                  @DefaultValue Batch batch,
                                  @DefaultValue GroupCommit groupCommit) {

    /**
     * Twin size limits, under {@code twin.command.limits}; each default is Azure IoT Hub's ({@link TwinLimits#AZURE}).
     * A write over one is refused whole with the JSON path at fault.
     *
     * @param maxTagsBytes     bytes of a twin's {@code tags}, as UTF-8 JSON (default 8192)
     * @param maxDesiredBytes  bytes of its desired properties (default 32768)
     * @param maxReportedBytes bytes of its reported properties (default 32768)
     * @param maxDepth         levels of nesting below {@code tags}, {@code desired} or {@code reported} (default 10)
     * @param maxKeyBytes      bytes of one property name (default 1024)
     * @param maxStringBytes   bytes of one string value (default 4096)
     * @param maxSafeInteger   the largest integer magnitude a value may have, so every reader's number keeps it
     *                         exactly (default 2^52 - 1)
     */
    public record Limits(@DefaultValue("8192") int maxTagsBytes,
                         @DefaultValue("32768") int maxDesiredBytes,
                         @DefaultValue("32768") int maxReportedBytes,
                         @DefaultValue("10") int maxDepth,
                         @DefaultValue("1024") int maxKeyBytes,
                         @DefaultValue("4096") int maxStringBytes,
                         @DefaultValue("4503599627370495") long maxSafeInteger) {

        public TwinLimits toTwinLimits() {
            return new TwinLimits(maxTagsBytes, maxDesiredBytes, maxReportedBytes, maxDepth, maxKeyBytes,
                    maxStringBytes, maxSafeInteger);
        }
    }

    /**
     * Limits of the batch API, under {@code twin.command.batch}. A request over either is refused whole with
     * {@code 413}, before any item is sent.
     *
     * @param maxItems     items in one request (default 1000)
     * @param maxBodySize  bytes of one request body (default 16MB: 1000 items of about 16 KB each)
     * @param maxInFlight  items of all batch requests together being handled at once (default 64); the rest wait
     *                     their turn, and items of one twin always wait for the one before them
     */
    public record Batch(@DefaultValue("1000") int maxItems,
                        @DefaultValue("16MB") DataSize maxBodySize,
                        @DefaultValue("64") int maxInFlight) {
    }

    /**
     * Group commit of twin commands, under {@code twin.command.group-commit}.
     *
     * @param workers   lanes: threads that each decide and commit a batch of twin commands at a time, a twin always
     *                  on the same lane (default 4; a batch mostly waits on PostgreSQL's fsync)
     * @param maxBatch  twin commands in one transaction at most (default 64)
     * @param queueSize twin commands waiting per lane (default 4096); a caller waits while its lane's queue is full
     */
    public record GroupCommit(@DefaultValue("4") int workers,
                              @DefaultValue("64") int maxBatch,
                              @DefaultValue("4096") int queueSize) {
    }
}
