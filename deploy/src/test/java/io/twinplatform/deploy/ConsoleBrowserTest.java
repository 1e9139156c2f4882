package io.twinplatform.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The console (static files under {@code /console}) in the machine's headless Chromium, driven by Selenium, against
 * a platform in its own JVM: sign-in with the bootstrap admin key, the fleet query (and a bad query marked at its
 * position), a twin's timeline, a diff, the time slider, a reported change arriving live, a rollout started and
 * rolled back by button, the audit chain verified, what a viewer is not offered, and the fleet page at phone width.
 * Each test fails on any error in the browser's console. Screenshots go to {@code target/console-screenshots/} and,
 * when set, to the directory named by the system property {@code console.screenshots} or the environment variable
 * {@code CONSOLE_SCREENSHOTS}.
 */
class ConsoleBrowserTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Where the platform serves the console. */
    private static final String CONSOLE = "/console/";
    private static final String SLIDER_TWIN = "console-slider";
    private static final String BAD_QUERY = "SELECT * FROM devices WHERE tags.a = 1 tags.b = 2";
    private static final int BAD_QUERY_POSITION = 39;
    /** The site of the twin whose computed attribute raises an alert (kept apart from the fleet the others count). */
    private static final String ALERT_SITE = "plant";

    private static Path dataDir;
    /** The identity provider the console can sign in at (twin.console.oidc-client-id). */
    private static TestIssuer issuer;
    private static PlatformProcess platform;
    private static TwinHttp http;
    private static String base;
    private static String adminKey;
    private static String viewerKey;
    private static String auditorKey;

    private WebDriver driver;
    private WebDriverWait wait;
    private Path userDataDir;
    /** Browser log lines a test expects (an HTTP refusal the console shows on purpose), as substrings. */
    private final List<String> expectedLogLines = new ArrayList<>();

    @BeforeAll
    static void startPlatform() {
        // Fail early and say what to install rather than skipping.
        browserBinaries();
        dataDir = TestDataDirs.fresh();
        issuer = TestIssuer.start();
        platform = PlatformProcess.start(dataDir, Duration.ofSeconds(180), List.of(
                "--twin.security.jwt.issuer-uri=" + issuer.issuer(),
                "--twin.security.jwt.jwk-set-uri=" + issuer.jwkSetUri(),
                "--twin.security.jwt.audience=" + TestIssuer.AUDIENCE,
                "--twin.console.oidc-client-id=twin-console"), Map.of());
        http = platform.http();
        base = "http://127.0.0.1:" + platform.port();
        adminKey = TwinHttp.adminKey(dataDir);
        seedFleet();
    }

    @AfterAll
    static void stopPlatform() {
        if (platform != null) {
            platform.close();
        }
        if (issuer != null) {
            issuer.close();
        }
    }

    /** A few twins with tags and reported changes (so they have a history), a module, a job, two configurations. */
    private static void seedFleet() {
        for (int i = 1; i <= 4; i++) {
            String id = "console-00" + i;
            ok(http.put("/twins/" + id, """
                    {"tags":{"site":"north","deviceType":"thermostat"},"properties":{"desired":{"telemetryInterval":30}}}
                    """, "X-Change-Reason", "commissioning"), 201);
            ok(http.patch("/twins/" + id + "/properties/reported", "{\"temperature\":" + (20 + i) + "}"), 200);
            ok(http.patch("/twins/" + id + "/properties/reported", "{\"temperature\":" + (21 + i)
                    + ",\"firmware\":{\"version\":\"1.0." + i + "\"}}"), 200);
        }
        ok(http.put("/twins/console-east", "{\"tags\":{\"site\":\"east\",\"deviceType\":\"meter\"}}"), 201);
        ok(http.put("/twins/console-001/modules/sensor", "{\"properties\":{\"desired\":{\"rate\":10}}}"), 201);
        // The twin of the slider: setpoint 18 when created, 21 later (after the history has the first version).
        ok(http.put("/twins/" + SLIDER_TWIN, """
                {"tags":{"site":"south","deviceType":"valve"},"properties":{"desired":{"setpoint":18}}}
                """, "X-Change-Reason", "installed"), 201);
        http.awaitHistory("/twins/" + SLIDER_TWIN + "/history", 1);
        awaitLaterMillisecond(http.get("/twins/" + SLIDER_TWIN + "/history").json().get("items").get(0)
                .get("time").asText());
        ok(http.patch("/twins/" + SLIDER_TWIN, "{\"properties\":{\"desired\":{\"setpoint\":21}}}",
                "X-Change-Reason", "summer setting"), 200);
        ok(http.patch("/twins/" + SLIDER_TWIN + "/properties/reported", "{\"setpoint\":21}"), 200);
        http.awaitHistory("/twins/" + SLIDER_TWIN + "/history", 3);

        ok(http.put("/jobs/console-ring", """
                {"type":"scheduleUpdateTwin","queryCondition":"tags.site = 'north'",
                 "updateTwin":{"tags":{"ring":"early"}}}
                """, "X-Change-Reason", "early ring"), 201);
        ok(http.put("/jobs/console-later", """
                {"type":"scheduleUpdateTwin","queryCondition":"tags.site = 'south'",
                 "updateTwin":{"tags":{"ring":"late"}},"startTime":"%s"}
                """.formatted(java.time.Instant.now().plus(Duration.ofHours(1))), "X-Change-Reason", "late ring"), 201);
        // Staged configurations: one the test rolls out by button, one with a rollout that stays running (no device
        // reports the metric) for the viewer to look at.
        // Each sets a key of its own: two configurations setting one key at one priority would leave the older one
        // only Targeted on those twins.
        for (String[] each : List.of(new String[]{"console-eco", "mode"}, new String[]{"console-viewer", "nightMode"})) {
            ok(http.put("/configurations/" + each[0], """
                    {"targetCondition":"tags.site = 'north'","priority":10,"staged":true,
                     "content":{"deviceContent":{"properties.desired.%2$s":"%1$s"}},
                     "metrics":{"queries":{"compliant":"SELECT deviceId FROM devices WHERE properties.reported.%2$s = '%1$s'"}}}
                    """.formatted(each[0], each[1])), 201);
        }
        ok(http.post("/rollouts", rolloutBody("console-viewer-rollout", "console-viewer")), 201);
        JsonNode viewer = http.post("/admin/keys", "{\"name\":\"console-viewer\",\"roles\":[\"viewer\"]}").json();
        viewerKey = viewer.get("key").asText();
        auditorKey = http.post("/admin/keys", "{\"name\":\"console-auditor\",\"roles\":[\"auditor\"]}").json()
                .get("key").asText();
    }

    private static String rolloutBody(String id, String configuration) {
        return """
                {"id":"%s","configurationId":"%s","phases":[{"name":"all","percent":100}],
                 "success":{"metric":"compliant","minPercent":95,"soakSeconds":1},
                 "failure":{"reportedCondition":"properties.reported.mode = 'broken'","maxPercent":50},
                 "onFailure":"pause","phaseTimeoutSeconds":3600}
                """.formatted(id, configuration);
    }

    @BeforeEach
    void openBrowser() throws IOException {
        Binaries binaries = browserBinaries();
        userDataDir = Files.createTempDirectory("console-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binaries.chromium().toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,900", "--user-data-dir=" + userDataDir);
        // The audit export's download lands in the browser's own temporary directory.
        options.setExperimentalOption("prefs", Map.of("download.default_directory", userDataDir.toString(),
                "download.prompt_for_download", false));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(binaries.chromedriver().toFile()).usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        // Live updates redraw what they change: an element found a moment ago may be replaced by the time it is read.
        wait = new WebDriverWait(driver, WAIT);
        wait.ignoring(StaleElementReferenceException.class);
    }

    @AfterEach
    void closeBrowser(TestInfo test) {
        try {
            List<String> errors = new ArrayList<>();
            for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
                if (entry.getLevel().intValue() >= Level.SEVERE.intValue()
                        && expectedLogLines.stream().noneMatch(entry.getMessage()::contains)) {
                    errors.add(entry.getMessage());
                }
            }
            assertThat(errors).as("errors in the browser console during %s", test.getDisplayName()).isEmpty();
        } finally {
            driver.quit();
            TestDataDirs.delete(userDataDir);
        }
    }

    @Test
    void aQueryFindsATwinAndABadQueryIsMarkedAtItsPosition() {
        signIn(adminKey);
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='view-status'] canvas")).isEmpty());
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='results-table'] [data-testid='twin-link']")).isEmpty());
        screenshot("fleet");

        // The bad query is run from the keyboard (Ctrl+Enter in the query box).
        WebElement box = driver.findElement(By.id("query"));
        box.clear();
        box.sendKeys(BAD_QUERY, Keys.chord(Keys.CONTROL, Keys.ENTER));
        expectedLogLines.add("/query - Failed to load resource: the server responded with a status of 400");
        WebElement problem = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='query-error']")));
        assertThat(problem.getText()).contains("invalidQuery").contains("position: " + BAD_QUERY_POSITION);
        WebElement marker = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("query-marker")));
        String[] lines = marker.getText().split("\n");
        assertThat(lines[0]).isEqualTo(BAD_QUERY);
        assertThat(lines[1].indexOf('^')).as("the caret under the token at fault").isEqualTo(BAD_QUERY_POSITION);
        Object selectionStart = js("return document.getElementById('query').selectionStart;");
        assertThat(((Number) selectionStart).intValue()).isEqualTo(BAD_QUERY_POSITION);
        screenshot("fleet-bad-query");

        // Paged with the continuation token: six device twins (not the alert test's), five a page.
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("page-size"))).selectByValue("5");
        runQuery("SELECT deviceId FROM devices WHERE tags.site != '" + ALERT_SITE + "'");
        By links = By.cssSelector("[data-testid='results-table'] [data-testid='twin-link']");
        wait.until(d -> d.findElements(links).size() == 5);
        click(By.cssSelector("[data-testid='query-next']"));
        wait.until(d -> d.findElements(links).size() == 1
                && d.findElement(By.cssSelector("[data-testid='query-page']")).getText().startsWith("Page 2"));
        assertThat(driver.findElement(By.cssSelector("[data-testid='query-next']")).isEnabled()).isFalse();
        click(By.cssSelector("[data-testid='query-prev']"));
        wait.until(d -> d.findElements(links).size() == 5
                && d.findElement(By.cssSelector("[data-testid='query-page']")).getText().startsWith("Page 1"));

        runQuery("SELECT deviceId, tags.site AS site FROM devices WHERE deviceId = '" + SLIDER_TWIN + "'");
        By link = By.cssSelector("[data-testid='results-table'] [data-testid='twin-link']");
        wait.until(d -> d.findElements(link).size() == 1 && d.findElement(link).getText().equals(SLIDER_TWIN));
        click(link);
        // (another test may have changed its setpoint: the tags tell the twin)
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-tags']")).getText().contains("\"valve\""));
        assertThat(driver.getCurrentUrl()).endsWith("#/twins/" + SLIDER_TWIN);
    }

    @Test
    void theTwinPageShowsTheTimelineADiffThePastAndALiveChange() {
        signIn(adminKey);
        driver.get(base + CONSOLE + "#/twins/" + SLIDER_TWIN);
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-desired']")).getText().contains("\"setpoint\": 21"));
        assertThat(driver.findElement(By.cssSelector("[data-testid='twin-tags']")).getText()).contains("valve");
        screenshot("twin");

        // The timeline: who, why, what.
        WebElement timeline = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='timeline']")));
        wait.until(d -> timeline.findElements(By.cssSelector("[data-testid='timeline-row']")).size() >= 3);
        assertThat(timeline.getText()).contains("TwinCreated").contains("installed").contains("summer setting")
                .contains("key:");

        // A diff between versions 1 and 2.
        click(By.cssSelector("[data-testid='pick-1']"));
        click(By.cssSelector("[data-testid='pick-2']"));
        click(By.cssSelector("[data-testid='diff-button']"));
        WebElement diff = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='diff-table']")));
        assertThat(diff.getText()).contains("properties.desired.setpoint").contains("18").contains("21");
        scrollTo(By.id("timeline-panel"));
        screenshot("twin-timeline-diff");

        // The slider at its start: the twin as created, with the older setpoint.
        WebElement slider = driver.findElement(By.cssSelector("[data-testid='asof-slider']"));
        wait.until(d -> !slider.getAttribute("min").equals("0"));
        scrollTo(By.cssSelector("[data-testid='asof-panel']"));
        slider.sendKeys(Keys.HOME);
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='asof-twin']")).getText().contains("version 1"));
        assertThat(driver.findElement(By.cssSelector("[data-testid='asof-desired']")).getText()).contains("\"setpoint\": 18");
        assertThat(driver.findElement(By.cssSelector("[data-testid='asof-label']")).getText()).matches("\\d{4}-.*Z");
        screenshot("twin-as-of");

        // A reported change through the API while the page is open arrives without a reload.
        wait.until(d -> "connected".equals(d.findElement(By.id("live")).getAttribute("data-state")));
        js("window.consoleTestMark = 'same page';");
        long version = http.get("/twins/" + SLIDER_TWIN).json().get("version").asLong();
        ok(http.patch("/twins/" + SLIDER_TWIN + "/properties/reported", "{\"temperature\":77.5}"), 200);
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-reported']")).getText().contains("77.5"));
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='timeline-row'][data-version='" + (version + 1) + "']")).isEmpty());
        assertThat(js("return window.consoleTestMark;")).as("the page was not reloaded").isEqualTo("same page");
        assertThat(driver.findElement(By.cssSelector("[data-testid='twin-live-note']")).getText()).contains("version " + (version + 1));

        // An edit based on a version that someone else changed meanwhile is refused (412) and overwrites nothing;
        // the current version is offered for reload.
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-edit-version']")).getText()
                .contains("version " + (version + 1)));
        scrollTo(By.cssSelector("[data-testid='twin-edit-panel']"));
        WebElement editor = driver.findElement(By.cssSelector("[data-testid='twin-edit']"));
        editor.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.DELETE);
        editor.sendKeys("{\"tags\":{\"site\":\"south\",\"deviceType\":\"valve\"},\"properties\":{\"desired\":{\"setpoint\":22}}}");
        ok(http.patch("/twins/" + SLIDER_TWIN, "{\"properties\":{\"desired\":{\"setpoint\":25}}}",
                "X-Change-Reason", "someone else"), 200);
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-desired']")).getText().contains("\"setpoint\": 25"));
        expectedLogLines.add("/twins/" + SLIDER_TWIN + " - Failed to load resource: the server responded with a status of 412");
        click(By.cssSelector("[data-testid='twin-save']"));
        WebElement conflict = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='twin-conflict']")));
        assertThat(conflict.getText()).contains("412").contains("If-Match \"" + (version + 1) + "\"");
        assertThat(http.get("/twins/" + SLIDER_TWIN).json().at("/properties/desired/setpoint").asInt())
                .as("nothing overwritten").isEqualTo(25);
        screenshot("twin-conflict");
        click(By.cssSelector("[data-testid='twin-reload']"));
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-edit']")).getAttribute("value").contains("\"setpoint\": 25"));
        assertThat(driver.findElement(By.cssSelector("[data-testid='twin-edit-version']")).getText()).contains("version " + (version + 2));
    }

    /**
     * The connection breaks (a proxy between the browser and the platform cuts it, and refuses new ones for a while);
     * a change made meanwhile arrives once the proxy lets the console back in, because the console reconnects with
     * the last event id it saw (a stream opened without it starts at the newest event and would never bring it).
     */
    @Test
    void aBrokenStreamResumesFromTheLastEventId() throws IOException {
        try (CuttableProxy proxy = new CuttableProxy(platform.port())) {
            String viaProxy = "http://127.0.0.1:" + proxy.port();
            driver.get(viaProxy + CONSOLE);
            signInHere(adminKey);
            driver.get(viaProxy + CONSOLE + "#/twins/console-002");
            wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-tags']")).getText().contains("north"));
            wait.until(d -> "connected".equals(d.findElement(By.id("live")).getAttribute("data-state")));
            ok(http.patch("/twins/console-002/properties/reported", "{\"pressure\":1001}"), 200);
            wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-reported']")).getText().contains("1001"));

            expectedLogLines.add("/events - Failed to load resource: net::ERR_");
            proxy.down();
            wait.until(d -> "retrying".equals(d.findElement(By.id("live")).getAttribute("data-state")));
            ok(http.patch("/twins/console-002/properties/reported", "{\"pressure\":1002}"), 200);
            proxy.up();
            wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-reported']")).getText().contains("1002"));
            assertThat(driver.findElement(By.id("live")).getAttribute("data-state")).isEqualTo("connected");
        }
    }

    @Test
    void aRolloutIsStartedAndRolledBackByButton() {
        signIn(adminKey);
        driver.get(base + CONSOLE + "#/configurations");
        click(By.xpath("//a[@data-testid='configuration-link' and text()='console-eco']"));
        WebElement body = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='rollout-body']")));
        assertThat(driver.findElement(By.cssSelector("[data-testid='configuration-metrics']")).getText()).contains("compliant");
        body.clear();
        body.sendKeys(rolloutBody("console-eco-rollout", "console-eco"));
        screenshot("configuration");
        click(By.cssSelector("[data-testid='rollout-start']"));

        wait.until(ExpectedConditions.urlContains("#/rollouts/console-eco-rollout"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='rollout-status']"), "running"));
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='phase-0']")).getText().contains("4 / 4"));
        screenshot("rollout");

        click(By.cssSelector("[data-testid='rollout-rollback']"));
        WebElement dialog = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("confirm")));
        assertThat(dialog.getText()).contains("Roll back");
        driver.findElement(By.cssSelector("[data-testid='confirm-reason']")).sendKeys("wrong mode for the north site");
        click(By.cssSelector("[data-testid='confirm-ok']"));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("confirm")));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='rollout-status']"), "rolledBack"));
        WebElement decisions = driver.findElement(By.cssSelector("[data-testid='rollout-decisions']"));
        assertThat(decisions.getText()).contains("rollbackStarted").contains("wrong mode for the north site").contains("rolledBack");
        assertThat(driver.findElements(By.cssSelector("[data-testid='rollout-rollback']"))).as("nothing left to roll back").isEmpty();
        screenshot("rollout-rolled-back");
    }

    @Test
    void theAuditChainVerifiesAndTheOtherPagesShow() {
        signIn(adminKey);
        driver.get(base + CONSOLE + "#/jobs/console-later");
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='job-status']"), "scheduled"));
        click(By.cssSelector("[data-testid='job-cancel']"));
        click(By.cssSelector("[data-testid='confirm-ok']"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='job-status']"), "cancelled"));
        assertThat(driver.findElements(By.cssSelector("[data-testid='job-cancel']"))).as("a finished job").isEmpty();
        driver.get(base + CONSOLE + "#/jobs/console-ring");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='job-status']")));
        wait.until(d -> d.findElements(By.cssSelector("[data-testid='job-link']")).size() == 2);
        screenshot("jobs");

        driver.get(base + CONSOLE + "#/audit");
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='audit-table']")).getText().contains("TwinCreated"));
        WebElement twinFilter = driver.findElement(By.cssSelector("[data-testid='audit-twin']"));
        twinFilter.sendKeys(SLIDER_TWIN);
        click(By.cssSelector("[data-testid='audit-search']"));
        wait.until(d -> {
            List<String> twins = d.findElements(By.cssSelector("[data-testid='audit-table'] tbody td:nth-child(2)"))
                    .stream().map(WebElement::getText).distinct().toList();
            return twins.equals(List.of(SLIDER_TWIN));
        });
        click(By.cssSelector("[data-testid='audit-export']"));
        wait.until(ExpectedConditions.textMatches(By.cssSelector("[data-testid='audit-export-messages']"),
                java.util.regex.Pattern.compile("Exported [1-9]\\d* bytes as ndjson")));
        twinFilter.clear();
        click(By.cssSelector("[data-testid='verify']"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='verify-state']"), "done"));
        WebElement result = driver.findElement(By.cssSelector("[data-testid='verify-result']"));
        assertThat(result.getText()).startsWith("valid");
        WebElement bar = driver.findElement(By.cssSelector("[data-testid='verify-progress'] progress"));
        assertThat(bar.getAttribute("value")).isEqualTo(bar.getAttribute("max"));
        assertThat(driver.findElements(By.cssSelector("[data-testid='verify-broken']"))).isEmpty();
        scrollTo(By.cssSelector("[data-testid='verify-panel']"));
        screenshot("audit-verified");

        driver.get(base + CONSOLE + "#/admin");
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='keys']")).getText().contains("console-viewer"));
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='replay-twin-state']")).isEmpty());
        screenshot("admin"); // before a key is made: no secret in a picture
        driver.findElement(By.cssSelector("[data-testid='key-name']")).sendKeys("console-made");
        click(By.cssSelector("[data-testid='key-create']"));
        WebElement secret = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='key-secret']")));
        assertThat(secret.getAttribute("value")).startsWith("twk_");
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='keys']")).getText().contains("console-made"));
        String id = secret.getAttribute("value").substring("twk_".length(), "twk_".length() + 12);
        click(By.cssSelector("[data-testid='revoke-" + id + "']"));
        click(By.cssSelector("[data-testid='confirm-ok']"));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("[data-testid='revoke-" + id + "']")));
        assertThat(http.withKey(secret.getAttribute("value")).get("/fleet/views").status()).as("the revoked key").isEqualTo(401);

        // A projection rebuilt from the event store, its replay followed to the end.
        click(By.cssSelector("[data-testid='replay-twin-state']"));
        click(By.cssSelector("[data-testid='confirm-ok']"));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("[data-testid='projection-messages']"),
                "Replay of twin-state started"));
        wait.until(d -> d.findElement(By.xpath("//*[@data-testid='projections']//tr[td[1][text()='twin-state']]"))
                .getText().contains("last replay took"));
        http.awaitReplayed("twin-state");
    }

    @Test
    void aViewerIsNotOfferedEditsRolloutActionsOrHistory() {
        signIn(viewerKey);
        assertThat(driver.findElement(By.id("roles")).getText()).contains("viewer");
        assertThat(driver.findElement(By.cssSelector("[data-testid='nav-audit']")).isDisplayed()).isFalse();
        assertThat(driver.findElement(By.cssSelector("[data-testid='nav-admin']")).isDisplayed()).isFalse();

        driver.get(base + CONSOLE + "#/twins/" + SLIDER_TWIN);
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-desired']")).getText().contains("setpoint"));
        assertThat(driver.findElements(By.cssSelector("[data-testid='twin-save']"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid='method-call']"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid='timeline-panel']"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid='asof-slider']"))).isEmpty();

        driver.get(base + CONSOLE + "#/rollouts/console-viewer-rollout");
        wait.until(ExpectedConditions.textToBe(By.cssSelector("[data-testid='rollout-status']"), "running"));
        assertThat(driver.findElement(By.cssSelector("[data-testid='rollout-actions']")).findElements(By.tagName("button")))
                .isEmpty();
        driver.get(base + CONSOLE + "#/configurations/console-viewer");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='configuration-metrics']")));
        assertThat(driver.findElements(By.cssSelector("[data-testid='rollout-form']"))).isEmpty();
        screenshot("viewer-configuration");
    }

    @Test
    void anOperatorSignsInAtTheIdentityProvider() {
        issuer.signInAs("console-operator", List.of("operator"));
        driver.get(base + CONSOLE);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='signin-oidc']")));
        assertThat(driver.findElement(By.id("signout")).isDisplayed()).as("no sign-out before signing in").isFalse();
        screenshot("signin");
        click(By.cssSelector("[data-testid='signin-oidc']"));
        wait.until(d -> d.findElement(By.id("principal")).getText().endsWith(":console-operator"));
        assertThat(driver.findElement(By.id("roles")).getText()).contains("operator");
        assertThat(driver.getCurrentUrl()).doesNotContain("code=").endsWith("/console/#/fleet");
        assertThat(driver.findElement(By.cssSelector("[data-testid='nav-admin']")).isDisplayed()).isFalse();
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='results-table'] [data-testid='twin-link']")).isEmpty());
        click(By.id("signout"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='signin-oidc']")));
        assertThat(js("return sessionStorage.length;")).isEqualTo(0L);
    }

    @Test
    void aRevokedKeyIsSentBackToSignIn() {
        JsonNode made = http.post("/admin/keys", "{\"name\":\"console-revoked\",\"roles\":[\"operator\"]}").json();
        signIn(made.get("key").asText());
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='results-table'] [data-testid='twin-link']")).isEmpty());
        assertThat(http.delete("/admin/keys/" + made.get("id").asText()).status()).isEqualTo(204);
        expectedLogLines.add("Failed to load resource: the server responded with a status of 401");
        driver.get(base + CONSOLE + "#/jobs");
        WebElement problem = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("[data-testid='signin-form'] [data-testid='problem']")));
        assertThat(problem.getText()).contains("401");
        assertThat(driver.getCurrentUrl()).endsWith("#/signin");
        assertThat(js("return sessionStorage.getItem('twin-console-credential');")).isNull();
    }

    @Test
    void anAuditorReadsTheTrailAndATwinsPastButNotTheCurrentTwins() {
        signIn(auditorKey);
        wait.until(ExpectedConditions.urlContains("#/audit"));
        assertThat(driver.findElement(By.cssSelector("[data-testid='nav-audit']")).isDisplayed()).isTrue();
        assertThat(driver.findElement(By.cssSelector("[data-testid='nav-fleet']")).isDisplayed()).isFalse();
        assertThat(driver.findElement(By.id("live")).getAttribute("data-state")).as("no live stream without the read role")
                .isEqualTo("off");
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='audit-table']")).getText().contains(SLIDER_TWIN));

        driver.get(base + CONSOLE + "#/twins/" + SLIDER_TWIN);
        wait.until(d -> d.findElements(By.cssSelector("[data-testid='timeline-row']")).size() >= 3);
        assertThat(driver.findElements(By.cssSelector("[data-testid='twin-desired']"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid='asof-slider']"))).isEmpty();
        assertThat(driver.findElements(By.cssSelector("[data-testid='twin-save']"))).isEmpty();
        click(By.cssSelector("[data-testid='pick-1']"));
        click(By.cssSelector("[data-testid='pick-2']"));
        click(By.cssSelector("[data-testid='diff-button']"));
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='diff-table']")).getText().contains("properties.desired.setpoint"));
    }

    @Test
    void aDeviceListsItsModuleTwinsAndAMethodCallShowsTheDevicesAbsence() {
        signIn(adminKey);
        driver.get(base + CONSOLE + "#/twins/console-001");
        click(By.xpath("//*[@data-testid='twin-modules']//a[text()='sensor']"));
        wait.until(ExpectedConditions.urlContains("#/twins/console-001/modules/sensor"));
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='twin-desired']")).getText().contains("\"rate\": 10"));

        driver.get(base + CONSOLE + "#/twins/console-001");
        WebElement name = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='method-name']")));
        name.sendKeys("reboot");
        expectedLogLines.add("/twins/console-001/methods/reboot - Failed to load resource: the server responded with a status of 404");
        click(By.cssSelector("[data-testid='method-call']"));
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='method-result']")).getText().contains("deviceNotConnected"));
    }

    /**
     * Chrome keeps a window at least 500 px wide, headless too, so the phone's 375 x 800 viewport is set through the
     * DevTools protocol's device metrics, as DevTools' device mode does.
     */
    @Test
    void aRaisedAlertShowsOnItsTwinAndInTheFleetCounts() {
        ok(http.put("/computed/hot", """
                {"targetCondition":"tags.site = '%s'","function":"mean","input":"reported.temperature",
                 "window":"PT1H","minSamples":1,"alert":{"above":30,"clear":25}}
                """.formatted(ALERT_SITE)), 201);
        ok(http.put("/twins/plant-pump", "{\"tags\":{\"site\":\"" + ALERT_SITE + "\",\"deviceType\":\"pump\"}}"), 201);
        ok(http.patch("/twins/plant-pump/properties/reported", "{\"temperature\":35.5}"), 200);
        http.awaitJson("/twins/plant-pump", twin -> twin.path("alerts").has("hot"), WAIT);

        signIn(adminKey);
        driver.get(base + CONSOLE + "#/twins/plant-pump");
        By alerts = By.cssSelector("[data-testid='twin-alerts']");
        wait.until(d -> d.findElement(alerts).getText().contains("hot") && d.findElement(alerts).getText().contains("above"));
        By computed = By.cssSelector("[data-testid='twin-computed']");
        wait.until(d -> d.findElement(computed).getText().contains("hot") && d.findElement(computed).getText().contains("35.5"));
        scrollTo(alerts);
        screenshot("twin-alert");

        driver.get(base + CONSOLE + "#/fleet");
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='view-alerts'] canvas")).isEmpty());
        assertThat(driver.findElement(By.cssSelector("[data-testid='alerts-caption']")).getText())
                .isEqualTo("alerts: 1 raised, by computed attribute");

        // Cleared by cooler reports (the hour's mean falls below 25): the fleet's count follows, live.
        for (int temperature = 20; temperature > 17; temperature--) {
            ok(http.patch("/twins/plant-pump/properties/reported", "{\"temperature\":" + temperature + "}"), 200);
        }
        http.awaitJson("/twins/plant-pump", twin -> !twin.path("alerts").has("hot"), WAIT);
        wait.until(d -> d.findElement(By.cssSelector("[data-testid='alerts-caption']")).getText()
                .equals("alerts: none raised"));
    }

    @Test
    void theFleetPageFitsAPhone() {
        ((ChromeDriver) driver).executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", 375, "height", 800, "deviceScaleFactor", 1, "mobile", true));
        signIn(adminKey);
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='results-table'] [data-testid='twin-link']")).isEmpty());
        wait.until(d -> !d.findElements(By.cssSelector("[data-testid='view-status'] canvas")).isEmpty());
        assertThat(driver.findElement(By.id("nav")).isDisplayed()).as("the nav collapses").isFalse();
        assertThat(((Number) js("return window.innerWidth;")).intValue()).isEqualTo(375);
        Number overflow = (Number) js("return document.body.scrollWidth - document.body.clientWidth;");
        assertThat(overflow.intValue()).as("horizontal overflow of the page body").isLessThanOrEqualTo(1);
        Number rootOverflow = (Number) js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
        assertThat(rootOverflow.intValue()).as("horizontal overflow of the page").isLessThanOrEqualTo(1);
        screenshot("fleet-phone");
        click(By.id("menu-toggle"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='nav-audit']")));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private void signIn(String key) {
        driver.get(base + CONSOLE);
        signInHere(key);
    }

    /** Signs in on the sign-in page the browser shows. */
    private void signInHere(String key) {
        WebElement credential = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-testid='credential']")));
        credential.sendKeys(key);
        click(By.cssSelector("[data-testid='signin']"));
        wait.until(d -> !d.findElement(By.id("principal")).getText().isBlank());
    }

    private void runQuery(String query) {
        WebElement box = driver.findElement(By.id("query"));
        box.clear();
        box.sendKeys(query);
        click(By.cssSelector("[data-testid='query-run']"));
    }

    /** Clicks what {@code by} finds once it is clickable, finding it again if a live update replaced it meanwhile. */
    private void click(By by) {
        wait.until(d -> {
            WebElement element = ExpectedConditions.elementToBeClickable(by).apply(d);
            if (element == null) {
                return false;
            }
            js("arguments[0].scrollIntoView({block: 'center'});", element);
            element.click();
            return true;
        });
    }

    private void scrollTo(By by) {
        js("arguments[0].scrollIntoView({block: 'start'});", driver.findElement(by));
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    /** Saves what the browser shows as {@code <name>.png} in target/console-screenshots and the chosen directory. */
    private void screenshot(String name) {
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        List<Path> dirs = new ArrayList<>(List.of(Path.of("target", "console-screenshots")));
        String chosen = Optional.ofNullable(System.getProperty("console.screenshots"))
                .orElse(System.getenv("CONSOLE_SCREENSHOTS"));
        if (chosen != null && !chosen.isBlank()) {
            dirs.add(Path.of(chosen));
        }
        try {
            for (Path dir : dirs) {
                Files.createDirectories(dir);
                Files.write(dir.resolve(name + ".png"), png);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void ok(TwinHttp.Reply reply, int status) {
        assertThat(reply.status()).as("%s", reply).isEqualTo(status);
    }

    /** Waits until the clock is past {@code instant} by a few milliseconds, so two changes get different times. */
    private static void awaitLaterMillisecond(String instant) {
        java.time.Instant after = java.time.Instant.parse(instant).plusMillis(5);
        while (java.time.Instant.now().isBefore(after)) {
            Thread.onSpinWait();
        }
    }

    /**
     * A TCP proxy in front of the platform that can drop every connection through it and refuse new ones
     * ({@link #down}) until {@link #up}: a network that breaks, as the browser sees it.
     */
    static final class CuttableProxy implements AutoCloseable {

        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private volatile boolean down;

        CuttableProxy(int target) throws IOException {
            this.target = target;
            Thread acceptor = new Thread(this::accept, "console-proxy");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void down() {
            down = true;
            open.forEach(CuttableProxy::closeQuietly);
        }

        void up() {
            down = false;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    if (down) {
                        closeQuietly(client);
                        continue;
                    }
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    open.add(client);
                    open.add(upstream);
                    pump(client, upstream);
                    pump(upstream, client);
                } catch (IOException e) {
                    // closed, or the platform refused: the browser sees a broken connection
                }
            }
        }

        private void pump(Socket from, Socket to) {
            Thread thread = new Thread(() -> {
                try {
                    from.getInputStream().transferTo(to.getOutputStream());
                } catch (IOException e) {
                    // cut
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                    open.remove(from);
                    open.remove(to);
                }
            }, "console-proxy-pump");
            thread.setDaemon(true);
            thread.start();
        }

        private static void closeQuietly(Socket socket) {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            open.forEach(CuttableProxy::closeQuietly);
        }
    }

    record Binaries(Path chromium, Path chromedriver) {
    }

    /** Chromium and its driver from the PATH; fails with what to install when either is missing. */
    private static Binaries browserBinaries() {
        Optional<Path> chromium = onPath("chromium", "chromium-browser");
        Optional<Path> chromedriver = onPath("chromedriver");
        if (chromium.isEmpty() || chromedriver.isEmpty()) {
            fail("The console's browser tests need Chromium and its driver on the PATH (found chromium: %s, chromedriver: %s):"
                    + " install Debian's packages `chromium` and `chromium-driver` (apt-get install chromium chromium-driver)",
                    chromium.map(Path::toString).orElse("no"), chromedriver.map(Path::toString).orElse("no"));
        }
        return new Binaries(chromium.get(), chromedriver.get());
    }

    private static Optional<Path> onPath(String... names) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String name : names) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isBlank()) {
                    continue;
                }
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}
