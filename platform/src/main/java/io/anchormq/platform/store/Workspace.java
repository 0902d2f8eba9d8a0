package io.anchormq.platform.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A tenant: its devices, credentials, ACL rules, API keys and certificates are its own.
 *
 * @param createdAt null on create: the time of the insert
 * @param anonymousTopicPrefix where anonymous clients (no credentials) of this workspace may go; null: not admitted
 * @param logPublicRead whether the workspace's integrity log can be read without an API key
 * @param quotas null is read as {@link Quotas#DEFAULTS}
 * @param anonymousRateQuota what each anonymous client may publish; null is read as
 *     {@link AnonymousRateQuota#DEFAULTS}
 * @param logAnonymousTopics whether the topics below {@code anonymousTopicPrefix} are in the integrity log
 */
public record Workspace(String id, String name, Instant createdAt, String anonymousTopicPrefix,
                        boolean logPublicRead, Quotas quotas, AnonymousRateQuota anonymousRateQuota,
                        boolean logAnonymousTopics) {

    /** The workspace migration V1 creates; until a client's username says otherwise, it is in this one. */
    public static final String DEFAULT_ID = "default";

    public Workspace {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        quotas = quotas == null ? Quotas.DEFAULTS : quotas;
        anonymousRateQuota = anonymousRateQuota == null ? AnonymousRateQuota.DEFAULTS : anonymousRateQuota;
    }

    /** With its anonymous clients' rates the platform's default, and their topics not logged. */
    public Workspace(String id, String name, Instant createdAt, String anonymousTopicPrefix, boolean logPublicRead,
                     Quotas quotas) {
        this(id, name, createdAt, anonymousTopicPrefix, logPublicRead, quotas, null, false);
    }
}
