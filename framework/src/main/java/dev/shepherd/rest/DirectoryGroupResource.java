package dev.shepherd.rest;

import dev.shepherd.directory.DirectoryGroup;
import dev.shepherd.directory.UserDirectoryService;
import dev.shepherd.http.AdminRoute;
import dev.shepherd.http.ApiException;
import dev.shepherd.security.Permission;
import dev.shepherd.server.Kernel;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** The groups identity providers put in the directory, with their direct and effective (nested) members. Read-only. */
final class DirectoryGroupResource {

    /** Members listed per kind in one group's answer; the counts say how many there are in all. */
    private static final int MEMBERS_SHOWN = 1000;
    /** Between the id and the name in a cursor; ids are UUIDs, so the first one is the separator. */
    private static final char CURSOR_SEPARATOR = ' ';

    /**
     * One directory group and its members.
     *
     * @param members the people and groups the provider lists in it, and the people in it at any depth
     */
    record GroupDetail(String id, String provider, String externalId, String name, Instant createdAt, Instant updatedAt,
                       UserDirectoryService.Members members) {
        GroupDetail(DirectoryGroup group, UserDirectoryService.Members members) {
            this(group.id(), group.provider(), group.externalId(), group.name(), group.createdAt(), group.updatedAt(), members);
        }
    }

    private final Kernel kernel;

    DirectoryGroupResource(Kernel kernel) {
        this.kernel = requireNonNull(kernel, "kernel is null");
    }

    List<AdminRoute> routes() {
        return List.of(
                AdminRoute.get("/api/v1/directory-groups", Permission.USER_READ).tag("users")
                        .deviceFree("groups of people in the directory, not devices")
                        .summary("Search the groups identity providers put in the directory, by name prefix")
                        .query("q", "name prefix, any case").query("cursor", "from the previous page").query("limit", "1 to 500, default 50")
                        .returns(Page.class).handle(request -> {
                            int limit = request.queryInt("limit", 50, 1, 500);
                            Optional<UserDirectoryService.GroupCursor> after = Pages.decode(request.query("cursor"))
                                    .map(DirectoryGroupResource::cursor);
                            List<DirectoryGroup> groups = kernel.userDirectory().searchGroups(request.query("q").orElse(""), after, limit + 1);
                            boolean more = groups.size() > limit;
                            List<DirectoryGroup> items = more ? groups.subList(0, limit) : groups;
                            if (!more) {
                                return new Page<>(items, Optional.<String>empty());
                            }
                            DirectoryGroup last = items.get(items.size() - 1);
                            return new Page<>(items, Optional.of(Pages.encode(last.id() + CURSOR_SEPARATOR + last.name())));
                        }),
                AdminRoute.get("/api/v1/directory-groups/{id}", Permission.USER_READ).tag("users")
                        .deviceFree("a group of people in the directory, not devices")
                        .summary("One directory group with its direct members (people and groups) and its effective members (people at any depth);"
                                + " at most " + MEMBERS_SHOWN + " of each, with their counts")
                        .returns(GroupDetail.class).handle(request -> kernel.userDirectory().group(request.path("id"))
                                .map(group -> new GroupDetail(group, kernel.userDirectory().members(group.id(), MEMBERS_SHOWN)))
                                .orElseThrow(() -> ApiException.notFound("No directory group has the id '" + request.path("id") + "'."))));
    }

    /** A cursor holds the last group's id and name, so paging goes on past a group removed meanwhile. */
    private static UserDirectoryService.GroupCursor cursor(String text) {
        int separator = text.indexOf(CURSOR_SEPARATOR);
        if (separator < 1) {
            throw ApiException.badRequest("the cursor is not valid");
        }
        return new UserDirectoryService.GroupCursor(text.substring(separator + 1), text.substring(0, separator));
    }
}
