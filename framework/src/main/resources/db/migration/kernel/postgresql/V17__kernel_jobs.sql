-- One-time kernel jobs that must run again only when what they depend on changes, such as sealing the secrets a
-- setting type's schema marks, stored in the clear by servers from before secrets were sealed.
CREATE TABLE kernel_job (
    name    VARCHAR(400) NOT NULL,
    done_at TIMESTAMP    NOT NULL,
    CONSTRAINT pk_kernel_job PRIMARY KEY (name)
);
