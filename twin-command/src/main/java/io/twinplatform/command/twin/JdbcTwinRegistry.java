package io.twinplatform.command.twin;

import io.twinplatform.api.twin.TwinCreated;
import io.twinplatform.api.twin.TwinDeleted;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.ResetHandler;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * {@link TwinRegistry} on the table {@code twin_registry}. Its event handlers run in the subscribing processing
 * group {@value #GROUP}, inside the transaction that appends the events.
 */
@Component
@ProcessingGroup(JdbcTwinRegistry.GROUP)
public class JdbcTwinRegistry implements TwinRegistry {

    public static final String GROUP = "twin-registry";

    private final JdbcTemplate jdbc;

    JdbcTwinRegistry(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public boolean deviceExists(String deviceId) {
        return !jdbc.queryForList(
                "SELECT 1 FROM twin_registry WHERE twin_id = ? AND module_id IS NULL AND NOT deleted FOR SHARE",
                Integer.class, deviceId).isEmpty();
    }

    @Override
    public boolean lockDeviceAndCheckModules(String deviceId) {
        jdbc.queryForList("SELECT 1 FROM twin_registry WHERE twin_id = ? FOR UPDATE", Integer.class, deviceId);
        Integer modules = jdbc.queryForObject(
                "SELECT count(*) FROM twin_registry WHERE device_id = ? AND module_id IS NOT NULL AND NOT deleted",
                Integer.class, deviceId);
        return modules != null && modules > 0;
    }

    @EventHandler
    void on(TwinCreated event) {
        jdbc.update("""
                INSERT INTO twin_registry (twin_id, device_id, module_id, deleted) VALUES (?, ?, ?, false)
                ON CONFLICT (twin_id) DO UPDATE SET deleted = false""",
                event.twinId(), event.deviceId(), event.moduleId());
    }

    @EventHandler
    void on(TwinDeleted event) {
        jdbc.update("UPDATE twin_registry SET deleted = true WHERE twin_id = ?", event.twinId());
    }

    @ResetHandler
    void reset() {
        jdbc.update("DELETE FROM twin_registry");
    }
}
