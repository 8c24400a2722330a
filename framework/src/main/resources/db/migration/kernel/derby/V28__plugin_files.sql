-- Plugin files shared by the nodes of a cluster (PostgreSQL): a file dropped into one node's plugins directory is
-- stored here, and every node writes it into its own directory; a file removed from one node is marked removed, and
-- every node deletes its copy. The content of a removed file is dropped. Unused by a single Derby node.
CREATE TABLE plugin_file (
    name        VARCHAR(255) NOT NULL,
    sha256      CHAR(64)     NOT NULL,
    size_bytes  BIGINT       NOT NULL,
    content     BLOB(128M),
    removed     SMALLINT     NOT NULL,
    changed_by  VARCHAR(63)  NOT NULL,
    changed_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_plugin_file PRIMARY KEY (name)
);
