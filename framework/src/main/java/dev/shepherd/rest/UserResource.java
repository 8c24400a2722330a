package dev.shepherd.rest;

import dev.shepherd.directory.DirectoryPasswords;
import dev.shepherd.directory.DirectoryGroup;
import dev.shepherd.directory.DirectoryService;
import dev.shepherd.directory.DirectoryUser;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.http.ApiResponse;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/** The people devices belong to: the built-in directory, and the people identity providers put in theirs. */
final class UserResource {

    /**
     * One person with the directory groups they are in.
     *
     * @param groups every group they are in, directly or through nested groups
     */
    record Person(String id, String provider, Optional<String> externalId, String username, String displayName, String email,
                  boolean active, Optional<Instant> deactivatedAt, Instant createdAt, Instant updatedAt, List<Membership> groups) {
        Person(DirectoryUser user, List<Membership> groups) {
            this(user.id(), user.provider(), user.externalId(), user.username(), user.displayName(), user.email(), user.active(),
                    user.deactivatedAt(), user.createdAt(), user.updatedAt(), List.copyOf(groups));
        }
    }

    /**
     * A directory group a person is in.
     *
     * @param direct whether the provider lists them in it, rather than in a group nested in it
     */
    record Membership(String id, String provider, String name, boolean direct) {
    }

    record NewUser(String username, String displayName, Optional<String> email) {
        NewUser {
            requireNonNull(username, "username is null");
            requireNonNull(displayName, "displayName is null");
        }
    }

    /** A new password; its text is never logged, audited or shown back. */
    record NewPassword(String password) {
        NewPassword {
            requireNonNull(password, "password is null");
        }

        @Override
        public String toString() {
            return "NewPassword[…]";
        }
    }

    private final Kernel kernel;
    private final DirectoryPasswords passwords;

    UserResource(Kernel kernel, DirectoryPasswords passwords) {
        this.kernel = requireNonNull(kernel, "kernel is null");
        this.passwords = requireNonNull(passwords, "passwords is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/users", Permission.USER_READ).tag("users").summary("Search people by username, name or e-mail prefix")
                        .deviceFree("people of the directory, not devices")
                        .query("q", "prefix").query("cursor", "from the previous page").query("limit", "1 to 500, default 50")
                        .returns(Page.class).handle(request -> {
                            int limit = request.queryInt("limit", 50, 1, 500);
                            List<DirectoryUser> users = kernel.directory().search(request.query("q").orElse(""),
                                    Pages.decode(request.query("cursor")), limit + 1);
                            boolean more = users.size() > limit;
                            List<DirectoryUser> items = more ? users.subList(0, limit) : users;
                            return new Page<>(items, more ? Optional.of(Pages.encode(items.get(items.size() - 1).username())) : Optional.empty());
                        }),
                AdminRoute.post("/api/v1/users", Permission.USER_WRITE).tag("users").summary("Add a person to the built-in directory")
                        .body(NewUser.class).returns(DirectoryUser.class).status(201).handle(request -> {
                            NewUser body = request.body(NewUser.class);
                            return ApiResponse.created(kernel.directory().create(request.actor(), DirectoryService.LOCAL, body.username(),
                                    body.displayName(), body.email().orElse("")));
                        }),
                AdminRoute.get("/api/v1/users/{id}", Permission.USER_READ).tag("users")
                        .summary("One person, with the directory groups they are in (directly or through nested groups)")
                        .deviceFree("a person of the directory, not a device").returns(Person.class)
                        .handle(request -> kernel.directory().get(request.path("id")).map(this::person)
                                .orElseThrow(() -> ApiException.notFound("No user has the id '" + request.path("id") + "'."))),
                AdminRoute.put("/api/v1/users/{id}/password", Permission.USER_WRITE).tag("users")
                        .summary("Set or reset the self-service portal password of a person of the built-in directory; ends their portal sessions")
                        .body(NewPassword.class).status(204).handle(request -> {
                            char[] password = request.body(NewPassword.class).password().toCharArray();
                            try {
                                if (!passwords.set(request.actor(), request.path("id"), password)) {
                                    throw ApiException.notFound("No user has the id '" + request.path("id") + "'.");
                                }
                            } finally {
                                Arrays.fill(password, '\0');
                            }
                            return ApiResponse.noContent();
                        }),
                AdminRoute.delete("/api/v1/users/{id}", Permission.USER_WRITE).tag("users")
                        .summary("Remove a person; their devices become unassigned").status(204).handle(request -> {
                            if (!kernel.directory().delete(request.actor(), request.path("id"))) {
                                throw ApiException.notFound("No user has the id '" + request.path("id") + "'.");
                            }
                            return ApiResponse.noContent();
                        }));
    }

    private Person person(DirectoryUser user) {
        Set<String> direct = kernel.userDirectory().groupsOf(user.id(), false).stream().map(DirectoryGroup::id).collect(Collectors.toSet());
        return new Person(user, kernel.userDirectory().groupsOf(user.id(), true).stream()
                .map(group -> new Membership(group.id(), group.provider(), group.name(), direct.contains(group.id()))).toList());
    }
}
