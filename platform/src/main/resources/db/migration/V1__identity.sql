-- Workspaces, devices and their credentials, API keys, ACL rules, issued certificates.
-- Portable SQL: runs unchanged on H2 (default mode) and PostgreSQL. Timestamps are TIMESTAMP WITH TIME ZONE
-- (microseconds on both), written and read as UTC instants. Deleting a workspace deletes everything in it through
-- ON DELETE CASCADE; the allowed values of the kind/role columns are CHECK constraints as well as Java checks.

CREATE TABLE workspace (
    id                           VARCHAR(64)  NOT NULL PRIMARY KEY,
    name                         VARCHAR(256) NOT NULL,
    created_at                   TIMESTAMP WITH TIME ZONE NOT NULL,
    anonymous_topic_prefix       VARCHAR(256),
    log_public_read              BOOLEAN      NOT NULL,
    -- NULL quotas: the platform's default applies
    max_connections              INT,
    max_messages_per_second      INT,
    max_bytes_per_second         BIGINT,
    max_subscriptions_per_client INT,
    max_retained_messages        INT,
    max_queued_messages          INT
);

INSERT INTO workspace (id, name, created_at, anonymous_topic_prefix, log_public_read)
VALUES ('default', 'Default workspace', CURRENT_TIMESTAMP, NULL, TRUE);

CREATE TABLE device (
    workspace_id VARCHAR(64)  NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    id           VARCHAR(128) NOT NULL,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE device_group_member (
    workspace_id VARCHAR(64)  NOT NULL,
    group_name   VARCHAR(128) NOT NULL,
    device_id    VARCHAR(128) NOT NULL,
    PRIMARY KEY (workspace_id, group_name, device_id),
    FOREIGN KEY (workspace_id, device_id) REFERENCES device (workspace_id, id) ON DELETE CASCADE
);

CREATE INDEX device_group_member_device ON device_group_member (workspace_id, device_id);

CREATE TABLE credential (
    id           VARCHAR(36)  NOT NULL PRIMARY KEY,
    workspace_id VARCHAR(64)  NOT NULL,
    device_id    VARCHAR(128) NOT NULL,
    kind         VARCHAR(16)  NOT NULL CHECK (kind IN ('password', 'token', 'certificate')),
    username     VARCHAR(256),
    secret_hash  VARCHAR(512),
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at   TIMESTAMP WITH TIME ZONE,
    revoked_at   TIMESTAMP WITH TIME ZONE,
    FOREIGN KEY (workspace_id, device_id) REFERENCES device (workspace_id, id) ON DELETE CASCADE
);

CREATE INDEX credential_by_username ON credential (username);
CREATE INDEX credential_device ON credential (workspace_id, device_id);

-- Which device a username belongs to. Several credentials may share a username (rotation), but only of one device
-- platform-wide, since the workspace is found from the username at CONNECT. The primary key makes that hold under
-- concurrent inserts, which a check of the credential table alone would not.
CREATE TABLE credential_username (
    username     VARCHAR(256) NOT NULL PRIMARY KEY,
    workspace_id VARCHAR(64)  NOT NULL,
    device_id    VARCHAR(128) NOT NULL,
    FOREIGN KEY (workspace_id, device_id) REFERENCES device (workspace_id, id) ON DELETE CASCADE
);

CREATE INDEX credential_username_device ON credential_username (workspace_id, device_id);

CREATE TABLE api_key (
    id           VARCHAR(36)  NOT NULL PRIMARY KEY,
    -- NULL: platform-wide
    workspace_id VARCHAR(64) REFERENCES workspace (id) ON DELETE CASCADE,
    role         VARCHAR(32)  NOT NULL CHECK (role IN ('platform-admin', 'workspace-admin', 'workspace-read')),
    name         VARCHAR(256) NOT NULL,
    -- SHA-256 hex of the random key: the key itself is never stored
    secret_hash  VARCHAR(128) NOT NULL UNIQUE,
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at   TIMESTAMP WITH TIME ZONE
);

CREATE INDEX api_key_workspace ON api_key (workspace_id);

CREATE TABLE acl_rule (
    id           VARCHAR(36)   NOT NULL PRIMARY KEY,
    workspace_id VARCHAR(64)   NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    position     INT           NOT NULL,
    subject_kind VARCHAR(16)   NOT NULL CHECK (subject_kind IN ('any', 'device', 'group', 'anonymous')),
    subject      VARCHAR(128),
    action       VARCHAR(16)   NOT NULL CHECK (action IN ('publish', 'subscribe', 'all')),
    topic        VARCHAR(1024) NOT NULL,
    permission   VARCHAR(8)    NOT NULL CHECK (permission IN ('allow', 'deny')),
    created_at   TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE INDEX acl_rule_workspace ON acl_rule (workspace_id, position);

-- No foreign key to device: a deleted device's certificates stay on record (revoked) for the CRL.
CREATE TABLE certificate (
    serial       VARCHAR(64)  NOT NULL PRIMARY KEY,
    workspace_id VARCHAR(64)  NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,
    device_id    VARCHAR(128) NOT NULL,
    subject      VARCHAR(512) NOT NULL,
    not_before   TIMESTAMP WITH TIME ZONE NOT NULL,
    not_after    TIMESTAMP WITH TIME ZONE NOT NULL,
    pem          TEXT         NOT NULL,
    issued_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at   TIMESTAMP WITH TIME ZONE
);

CREATE INDEX certificate_workspace ON certificate (workspace_id, device_id);
CREATE INDEX certificate_revoked ON certificate (revoked_at);
