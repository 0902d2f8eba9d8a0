package io.anchormq.platform.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anchormq.platform.identity.Caller;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One admin API request as its handler sees it: the caller, the path's parameters and the body, with readers that
 * turn every kind of bad input into a {@link ApiError} naming the field.
 */
record ApiRequest(Caller caller, Map<String, String> params, Map<String, String> query, String body,
                  String contentType) {

    private static final ObjectMapper JSON = new ObjectMapper();

    String param(String name) {
        return params.get(name);
    }

    /** The body as a JSON object with only the given fields (an empty body is an empty object). */
    ObjectNode object(Set<String> allowed) {
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest(null, "malformed JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiError.badRequest(null, "the body must be a JSON object");
        }
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw ApiError.badRequest(name, "unknown field " + name + " (expected one of " + allowed + ")");
            }
        }
        return object;
    }

    static String text(ObjectNode o, String field, boolean required, Pattern format, String formatDescription) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw ApiError.badRequest(field, field + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw ApiError.badRequest(field, field + " must be a string");
        }
        if (format != null && !format.matcher(v.textValue()).matches()) {
            throw ApiError.badRequest(field, field + " must be " + formatDescription);
        }
        return v.textValue();
    }

    static Boolean bool(ObjectNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw ApiError.badRequest(field, field + " must be true or false");
        }
        return v.booleanValue();
    }

    /** A non-negative integer, or null when absent or null. */
    static Long count(ObjectNode o, String field, long max) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > max || !v.canConvertToLong()) {
            throw ApiError.badRequest(field, field + " must be an integer from 0 to " + max);
        }
        return v.asLong();
    }

    static Instant instant(ObjectNode o, String field) {
        String s = text(o, field, false, null, null);
        if (s == null) {
            return null;
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest(field, field + " must be an ISO-8601 instant such as 2027-01-01T00:00:00Z");
        }
    }
}
