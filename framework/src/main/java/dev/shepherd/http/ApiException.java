package dev.shepherd.http;

import static java.util.Objects.requireNonNull;

/** Ends an admin API request with a problem response; the message is the problem's detail. */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Problem problem;

    public ApiException(Problem problem) {
        super(requireNonNull(problem, "problem is null").detail(), null, false, false);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(Problem.badRequest(detail));
    }

    public static ApiException notFound(String detail) {
        return new ApiException(Problem.notFound(detail));
    }

    public static ApiException conflict(String detail) {
        return new ApiException(Problem.conflict(detail));
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(Problem.forbidden(detail));
    }
}
