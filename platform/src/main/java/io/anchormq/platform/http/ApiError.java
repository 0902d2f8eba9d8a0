package io.anchormq.platform.http;

/**
 * A request the admin API refuses: its HTTP status and a message, and for bad input the field at fault. Thrown by
 * handlers, answered as {@code {"error": ..., "field": ...}}.
 */
final class ApiError extends RuntimeException {

    final int status;
    final String field;

    ApiError(int status, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.field = field;
    }

    static ApiError badRequest(String field, String message) {
        return new ApiError(400, field, message);
    }

    /** Also what a caller gets for another workspace's resource: it cannot tell it exists. */
    static ApiError notFound(String message) {
        return new ApiError(404, null, message);
    }

    static ApiError conflict(String field, String message) {
        return new ApiError(409, field, message);
    }

    static ApiError forbidden(String message) {
        return new ApiError(403, null, message);
    }
}
