-- Fleet tools (issue 21): device list views an admin saved (optionally shared with every admin) and the columns
-- each admin chose to see. A view is the list's query string; what it shows is scoped when it runs, never stored.
CREATE TABLE device_view (
    id          CHAR(36)      NOT NULL,
    owner       VARCHAR(200)  NOT NULL,   -- the admin's username
    name        VARCHAR(100)  NOT NULL,
    query       VARCHAR(2000) NOT NULL,   -- filters, search text and sort, as the list's URL query
    columns     VARCHAR(500)  NOT NULL,   -- comma-separated column keys, in order
    shared      SMALLINT      DEFAULT 0 NOT NULL,
    created_at  TIMESTAMP     NOT NULL,
    CONSTRAINT pk_device_view PRIMARY KEY (id),
    CONSTRAINT uq_device_view UNIQUE (owner, name)
);
CREATE INDEX ix_device_view_shared ON device_view (shared);

CREATE TABLE device_list_columns (
    owner       VARCHAR(200)  NOT NULL,
    columns     VARCHAR(500)  NOT NULL,
    updated_at  TIMESTAMP     NOT NULL,
    CONSTRAINT pk_device_list_columns PRIMARY KEY (owner)
);
