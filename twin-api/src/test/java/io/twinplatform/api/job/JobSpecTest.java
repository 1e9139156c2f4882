package io.twinplatform.api.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.twinplatform.api.error.ErrorKind;
import io.twinplatform.api.error.TwinException;
import io.twinplatform.api.model.TwinJson;
import io.twinplatform.api.model.TwinLimits;
import io.twinplatform.api.model.TwinValidator;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A job's body in Azure's jobs shape: what is read from it, and every mistake refused at its path. */
class JobSpecTest {

    private static final ObjectMapper JSON = TwinJson.newMapper();
    private static final TwinValidator VALIDATOR = new TwinValidator(TwinLimits.AZURE);
    private static final Instant NOW = Instant.parse("2026-11-24T03:00:00Z");
    /** JSON with ` for its double quotes, so that the condition's string literals keep their single quotes. */
    private static final String VALID = "{`type`:`scheduleUpdateTwin`,`queryCondition`:`tags.building='b1'`,"
            + "`updateTwin`:{`tags`:{`ring`:`early`},`properties`:{`desired`:{`interval`:30,`old`:null}}},"
            + "`startTime`:`2026-11-24T04:00:00Z`,`maxExecutionTimeInSeconds`:600}";

    @Test
    void readsAnAzureShapedJob() {
        JobSpec spec = parse("fw-1", VALID);

        assertThat(spec.type()).isEqualTo(JobSpec.SCHEDULE_UPDATE_TWIN);
        assertThat(spec.queryCondition()).isEqualTo("tags.building='b1'");
        assertThat(spec.tags()).isEqualTo(json("{`ring`:`early`}"));
        assertThat(spec.desired()).isEqualTo(json("{`interval`:30,`old`:null}"));
        assertThat(spec.startTime()).isEqualTo(Instant.parse("2026-11-24T04:00:00Z"));
        assertThat(spec.deadline()).isEqualTo(Instant.parse("2026-11-24T04:10:00Z"));
    }

    @Test
    void startsNowForOneHourWhenTheRequestDoesNotSay() {
        JobSpec spec = parse("fw-1", "{`type`:`scheduleUpdateTwin`,`queryCondition`:`*`,"
                + "`updateTwin`:{`tags`:{`ring`:`early`}}}");

        assertThat(spec.startTime()).isEqualTo(NOW);
        assertThat(spec.maxExecutionTimeInSeconds()).isEqualTo(3600);
        assertThat(spec.desired()).isNull();
    }

    @Test
    void aStartTimeInThePastMeansNow() {
        JobSpec spec = parse("fw-1", VALID.replace("2026-11-24T04:00:00Z", "2020-01-01T00:00:00Z"));

        assertThat(spec.startTime()).isEqualTo(NOW);
    }

    @Test
    void acceptsWhatAGetReturnsAndAnAnyEtag() {
        JobSpec spec = parse("fw-1", VALID.replace("{`type`", "{`jobId`:`fw-1`,`status`:`completed`,"
                + "`deviceJobStatistics`:{`deviceCount`:3},`type`").replace("`updateTwin`:{", "`updateTwin`:{`etag`:`*`,"));

        assertThat(spec.jobId()).isEqualTo("fw-1");
    }

    @Test
    void refusesEachMistakeAtItsPath() {
        refused("Upper", VALID, ErrorKind.MALFORMED, "invalidJobId", "jobId");
        refused("j".repeat(129), VALID, ErrorKind.MALFORMED, "invalidJobId", "jobId");
        refused("fw-1", "[]", ErrorKind.MALFORMED, "invalidJob", "$");
        refused("fw-1", VALID.replace("`type`:`scheduleUpdateTwin`,", ""), ErrorKind.MALFORMED, "missingType",
                "$.type");
        refused("fw-1", VALID.replace("`scheduleUpdateTwin`", "3"), ErrorKind.MALFORMED, "invalidType", "$.type");
        refused("fw-1", VALID.replace("`scheduleUpdateTwin`", "`scheduleDeviceMethod`"), ErrorKind.UNPROCESSABLE,
                "unsupportedJobType", "$.type");
        refused("fw-1", VALID.replace("`startTime`", "`cloudToDeviceMethod`:{},`startTime`"), ErrorKind.MALFORMED,
                "unknownMember", "$.cloudToDeviceMethod");
        refused("fw-1", VALID.replace("{`type`", "{`jobId`:`fw-2`,`type`"), ErrorKind.MALFORMED, "idMismatch",
                "$.jobId");
        refused("fw-1", VALID.replace("`tags.building='b1'`", "``"), ErrorKind.MALFORMED, "missingQueryCondition",
                "$.queryCondition");
        refused("fw-1", VALID.replace("`tags.building='b1'`", "7"), ErrorKind.MALFORMED, "missingQueryCondition",
                "$.queryCondition");
        refused("fw-1", VALID.replace("tags.building='b1'", "tags.building = = 'b1'"), ErrorKind.MALFORMED, null,
                "$.queryCondition@16");
        refused("fw-1", VALID.replace("tags.building='b1'", "SELECT deviceId FROM devices"), ErrorKind.MALFORMED,
                "invalidTargetCondition", "$.queryCondition@0");
        refused("fw-1", VALID.replace("`updateTwin`:{`tags`:{`ring`:`early`},`properties`:{`desired`:{`interval`:30,"
                + "`old`:null}}},", ""), ErrorKind.MALFORMED, "missingUpdateTwin", "$.updateTwin");
        refused("fw-1", VALID.replace("`updateTwin`:{", "`updateTwin`:{`deviceId`:`d1`,"), ErrorKind.MALFORMED,
                "unknownMember", "$.updateTwin.deviceId");
        refused("fw-1", VALID.replace("`updateTwin`:{", "`updateTwin`:{`etag`:`\\`7\\``,"),
                ErrorKind.UNPROCESSABLE, "etagNotSupported", "$.updateTwin.etag");
        refused("fw-1", VALID.replace("`tags`:{`ring`:`early`}", "`tags`:null"), ErrorKind.MALFORMED, "nullSection",
                "$.updateTwin.tags");
        refused("fw-1", VALID.replace("`tags`:{`ring`:`early`}", "`tags`:[1]"), ErrorKind.MALFORMED, "notAnObject",
                "$.updateTwin.tags");
        refused("fw-1", VALID.replace("`desired`:{", "`reported`:{`x`:1},`desired`:{"), ErrorKind.MALFORMED,
                "readOnlyMember", "$.updateTwin.properties.reported");
        refused("fw-1", VALID.replace("`interval`:30", "`a.b`:30"), ErrorKind.MALFORMED, "invalidKey",
                "$.updateTwin.properties.desired['a.b']");
        refused("fw-1", VALID.replace("`interval`:30", "`interval`:[1,null]"), ErrorKind.UNPROCESSABLE,
                "nullInArray", "$.updateTwin.properties.desired.interval[1]");
        refused("fw-1", VALID.replace("`early`", "`" + "x".repeat(4097) + "`"), ErrorKind.UNPROCESSABLE,
                "stringTooLong", "$.updateTwin.tags.ring");
        refused("fw-1", VALID.replace("`ring`:`early`", bigTags()), ErrorKind.TOO_LARGE, "sectionTooLarge",
                "$.updateTwin.tags");
        refused("fw-1", VALID.replace("`tags`:{`ring`:`early`},`properties`:{`desired`:{`interval`:30,`old`:null}}",
                "`tags`:{}"), ErrorKind.UNPROCESSABLE, "emptyUpdate", "$.updateTwin");
        refused("fw-1", VALID.replace("`2026-11-24T04:00:00Z`", "`tomorrow`"), ErrorKind.MALFORMED,
                "invalidStartTime", "$.startTime");
        refused("fw-1", VALID.replace("`2026-11-24T04:00:00Z`", "`+999999999-12-31T23:59:59Z`"), ErrorKind.MALFORMED,
                "invalidStartTime", "$.startTime");
        refused("fw-1", VALID.replace("`2026-11-24T04:00:00Z`", "`+10000-01-01T00:00:00Z`"), ErrorKind.MALFORMED,
                "invalidStartTime", "$.startTime");
        refused("fw-1", VALID.replace("`2026-11-24T04:00:00Z`", "1700000000"), ErrorKind.MALFORMED,
                "invalidStartTime", "$.startTime");
        refused("fw-1", VALID.replace("600}", "0}"), ErrorKind.UNPROCESSABLE, "invalidMaxExecutionTime",
                "$.maxExecutionTimeInSeconds");
        refused("fw-1", VALID.replace("600}", "1.5}"), ErrorKind.UNPROCESSABLE, "invalidMaxExecutionTime",
                "$.maxExecutionTimeInSeconds");
        refused("fw-1", VALID.replace("600}", "`600`}"), ErrorKind.UNPROCESSABLE, "invalidMaxExecutionTime",
                "$.maxExecutionTimeInSeconds");
    }

    private static String bigTags() {
        StringBuilder tags = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            tags.append(i == 0 ? "" : ",").append("`k").append(i).append("`:`").append("x".repeat(1000)).append('`');
        }
        return tags.toString();
    }

    private static void refused(String id, String body, ErrorKind kind, String code, String path) {
        assertThatThrownBy(() -> JobSpec.parse(id, json(body), NOW, VALIDATOR))
                .as("%s %s", id, body)
                .isInstanceOfSatisfying(TwinException.class, e -> {
                    assertThat(e.error().kind()).as("kind of %s", e.error()).isEqualTo(kind);
                    if (code != null) {
                        assertThat(e.error().code()).as("code of %s", e.error()).isEqualTo(code);
                    }
                    assertThat(e.error().path()).as("path of %s", e.error()).isEqualTo(path);
                });
    }

    private static JobSpec parse(String id, String body) {
        return JobSpec.parse(id, json(body), NOW, VALIDATOR);
    }

    private static JsonNode json(String backticked) {
        try {
            return JSON.readTree(backticked.replace('`', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(backticked, e);
        }
    }
}
