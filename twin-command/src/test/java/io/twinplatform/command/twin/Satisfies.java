package io.twinplatform.command.twin;

import org.hamcrest.Description;
import org.hamcrest.Matcher;
import org.hamcrest.TypeSafeDiagnosingMatcher;

import java.util.function.Consumer;

/**
 * A Hamcrest matcher (what the Axon fixture's {@code expect...Matching} methods take) that runs AssertJ assertions:
 * it matches when they pass and reports the assertion's message when they fail.
 */
public final class Satisfies<T> extends TypeSafeDiagnosingMatcher<T> {

    private final Class<T> type;
    private final String description;
    private final Consumer<? super T> assertions;

    private Satisfies(Class<T> type, String description, Consumer<? super T> assertions) {
        super(type);
        this.type = type;
        this.description = description;
        this.assertions = assertions;
    }

    public static <T> Matcher<T> satisfies(Class<T> type, String description, Consumer<? super T> assertions) {
        return new Satisfies<>(type, description, assertions);
    }

    @Override
    protected boolean matchesSafely(T item, Description mismatch) {
        try {
            assertions.accept(item);
            return true;
        } catch (AssertionError e) {
            mismatch.appendText(e.getMessage());
            return false;
        }
    }

    @Override
    public void describeTo(Description out) {
        out.appendText("a " + type.getSimpleName() + " that " + description);
    }
}
