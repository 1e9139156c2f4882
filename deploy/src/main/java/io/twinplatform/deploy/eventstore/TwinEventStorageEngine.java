package io.twinplatform.deploy.eventstore;

import org.axonframework.common.DateTimeUtils;
import org.axonframework.eventhandling.DomainEventData;
import org.axonframework.eventhandling.GapAwareTrackingToken;
import org.axonframework.eventhandling.GenericDomainEventEntry;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.TrackedDomainEventData;
import org.axonframework.eventhandling.TrackedEventData;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Collections;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * Axon's JDBC event storage, reading each row's time once. Axon keeps {@code time_stamp} as text
 * ({@code 2026-12-06T16:58:00.123Z}) and parses it with a general ISO-8601 formatter every time an event's time is
 * asked for: once to decide whether the row may still leave a gap behind it, and once more per message, in each
 * event processor that reads it. Here a row's time is parsed when it is read, by a parser for exactly the form Axon
 * writes (anything else goes to Axon's parser), and kept with the row. What is stored does not change.
 * <p>
 * The tracking token of a read row is computed as Axon's engine computes it: a row newer than the gap timeout may
 * leave gaps (up to {@code maxGapOffset} behind it), an older one closes them.
 */
public final class TwinEventStorageEngine extends JdbcEventStorageEngine {

    /** Axon's defaults, given to the builder and kept here for the token of a read row. */
    static final long LOWEST_GLOBAL_SEQUENCE = 1;
    static final int MAX_GAP_OFFSET = 10_000;
    static final int GAP_TIMEOUT_MILLIS = 60_000;

    TwinEventStorageEngine(JdbcEventStorageEngine.Builder builder) {
        super(builder.lowestGlobalSequence(LOWEST_GLOBAL_SEQUENCE)
                .maxGapOffset(MAX_GAP_OFFSET)
                .gapTimeout(GAP_TIMEOUT_MILLIS));
    }

    @Override
    protected TrackedEventData<?> getTrackedEventData(ResultSet resultSet, GapAwareTrackingToken previousToken)
            throws SQLException {
        long globalIndex = resultSet.getLong(schema().globalIndexColumn());
        // An event not applied by an aggregate is stored with its own id as aggregate id, and read back without one.
        Row row = row(resultSet, true);
        boolean mayLeaveGaps = row.getTimestamp()
                .isAfter(GenericEventMessage.clock.instant().minusMillis(GAP_TIMEOUT_MILLIS));
        GapAwareTrackingToken token;
        if (previousToken == null) {
            token = GapAwareTrackingToken.newInstance(globalIndex, mayLeaveGaps
                    ? LongStream.range(Math.min(LOWEST_GLOBAL_SEQUENCE, globalIndex), globalIndex).boxed()
                    .collect(Collectors.toCollection(TreeSet::new))
                    : Collections.emptySortedSet());
        } else {
            token = previousToken.advanceTo(globalIndex, mayLeaveGaps ? MAX_GAP_OFFSET : 0);
        }
        return new TrackedDomainEventData<>(token, row);
    }

    @Override
    protected DomainEventData<?> getDomainEventData(ResultSet resultSet) throws SQLException {
        return row(resultSet, false);
    }

    /**
     * The row the result set is on; with {@code tracked}, an aggregate id equal to the event id (an event no
     * aggregate applied) is read as none, as Axon reads it in a tracked stream.
     */
    private Row row(ResultSet resultSet, boolean tracked) throws SQLException {
        EventSchema schema = schema();
        String aggregateId = resultSet.getString(schema.aggregateIdentifierColumn());
        String eventId = resultSet.getString(schema.eventIdentifierColumn());
        return new Row(resultSet.getString(schema.typeColumn()),
                tracked && eventId.equals(aggregateId) ? null : aggregateId,
                resultSet.getLong(schema.sequenceNumberColumn()), eventId,
                resultSet.getString(schema.timestampColumn()), resultSet.getString(schema.payloadTypeColumn()),
                resultSet.getString(schema.payloadRevisionColumn()),
                readPayload(resultSet, schema.payloadColumn()), readPayload(resultSet, schema.metaDataColumn()));
    }

    /**
     * The instant of a stored {@code time_stamp}: the form Axon writes ({@code yyyy-MM-ddTHH:mm:ss.SSSZ}) read
     * directly, anything else by Axon's own parser (which also takes other offsets).
     */
    public static Instant parse(String text) {
        if (text.length() == 24 && text.charAt(4) == '-' && text.charAt(7) == '-' && text.charAt(10) == 'T'
                && text.charAt(13) == ':' && text.charAt(16) == ':' && text.charAt(19) == '.'
                && text.charAt(23) == 'Z') {
            int year = digits(text, 0, 4);
            int month = digits(text, 5, 2);
            int day = digits(text, 8, 2);
            int hour = digits(text, 11, 2);
            int minute = digits(text, 14, 2);
            int second = digits(text, 17, 2);
            int millis = digits(text, 20, 3);
            if (year >= 0 && month >= 1 && month <= 12 && YearMonth.of(year, month).isValidDay(day) && hour >= 0
                    && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60 && millis >= 0) {
                long days = LocalDate.of(year, month, day).toEpochDay();
                return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second,
                        millis * 1_000_000L);
            }
        }
        return DateTimeUtils.parseInstant(text);
    }

    /** The decimal number in {@code text[from, from + count)}, or -1 if a character there is not a digit. */
    private static int digits(String text, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** A stored event whose time is parsed once, when first asked for, and then kept. */
    private static final class Row extends GenericDomainEventEntry<Object> {

        private final String stored;
        private volatile Instant timestamp;

        Row(String type, String aggregateId, long sequenceNumber, String eventId, String timestamp,
            String payloadType, String payloadRevision, Object payload, Object metaData) {
            super(type, aggregateId, sequenceNumber, eventId, timestamp, payloadType, payloadRevision, payload,
                    metaData);
            this.stored = timestamp;
        }

        @Override
        public Instant getTimestamp() {
            Instant parsed = timestamp;
            if (parsed == null) {
                parsed = parse(stored);
                timestamp = parsed;
            }
            return parsed;
        }
    }
}
