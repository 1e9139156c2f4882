package io.twinplatform.api.query;

/**
 * The scope of the caller a request is served for, as the platform's edge authenticated it. Read sides narrow what
 * they answer with it, write sides refuse what lies outside it. The application provides one bean; a module
 * started alone sees the whole fleet ({@link #WHOLE_FLEET}).
 */
@FunctionalInterface
public interface CallerScope {

    /** Every caller sees the whole fleet. */
    CallerScope WHOLE_FLEET = () -> null;

    /** The scope of the caller served on this thread, or {@code null} when it sees the whole fleet. */
    Scope current();
}
