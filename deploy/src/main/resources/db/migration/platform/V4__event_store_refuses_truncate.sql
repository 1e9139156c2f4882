-- Row triggers do not see TRUNCATE: refuse it too, so the audit trail cannot be emptied by accident.
CREATE TRIGGER domain_event_entry_no_truncate
    BEFORE TRUNCATE ON domain_event_entry
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
