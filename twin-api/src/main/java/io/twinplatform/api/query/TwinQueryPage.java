package io.twinplatform.api.query;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A page of fleet query results: whole twins, projected fields (keyed by alias or last path segment) or groups.
 *
 * @param items             the results, in the query's order
 * @param continuationToken where the next page starts, or {@code null} when this was the last page
 */
public record TwinQueryPage(List<ObjectNode> items, String continuationToken) {

    public TwinQueryPage {
        items = List.copyOf(items);
    }
}
