-- Several nodes on one database (issue 16). Every node registers itself and beats its heart here, so operators and
-- the other nodes see which nodes are alive.
CREATE TABLE cluster_node (
    node_id     VARCHAR(120) NOT NULL,
    name        VARCHAR(100) NOT NULL,
    started_at  TIMESTAMP    NOT NULL,
    seen_at     TIMESTAMP    NOT NULL,
    CONSTRAINT pk_cluster_node PRIMARY KEY (node_id)
);

-- Leases for work done once per cluster (the kernel's maintenance jobs, each plugin's periodic work): taken and
-- renewed by conditional updates, so exactly one node holds a lease until it expires.
CREATE TABLE cluster_lease (
    name        VARCHAR(200) NOT NULL,
    holder      VARCHAR(120) NOT NULL,
    acquired_at TIMESTAMP    NOT NULL,
    expires_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_cluster_lease PRIMARY KEY (name)
);

-- The change feed: a row per change that cached copies on other nodes must drop, written in the changing
-- transaction and polled by every node.
CREATE TABLE cluster_change (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    topic       VARCHAR(64)  NOT NULL,
    item_key    VARCHAR(400) NOT NULL,
    changed_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_cluster_change PRIMARY KEY (seq)
);
CREATE INDEX ix_cluster_change_at ON cluster_change (changed_at);

-- Failed sign-ins per username and per address, whichever node they reached; the count starts again after a quiet
-- spell (the lockout's length) since the last failure.
CREATE TABLE sign_in_failure (
    subject      VARCHAR(400) NOT NULL,
    failures     INT          NOT NULL,
    last_failed  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_sign_in_failure PRIMARY KEY (subject)
);

-- A known text sealed with the secrets key of the first node: a node started with another key cannot open it and
-- refuses to start, before it fails to open the secrets in the store.
CREATE TABLE secret_key_canary (
    name        VARCHAR(64)  NOT NULL,
    sealed      VARCHAR(400) NOT NULL,
    created_at  TIMESTAMP    NOT NULL,
    CONSTRAINT pk_secret_key_canary PRIMARY KEY (name)
);
