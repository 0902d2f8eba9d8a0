package io.anchormq.broker.auth;

import io.anchormq.broker.routing.TopicFilter;
import java.util.List;

/**
 * Allows everything except the configured topic filters. A subscription is refused when its filter (share prefix
 * removed) equals a deny-subscribe entry or is matched by it; a publish when its topic matches a deny-publish entry.
 */
public final class DenyRules implements AccessPolicy {

    private final List<String> denySubscribe;
    private final List<String> denyPublish;
    private final int subscribeReasonCode;
    private final int publishReasonCode;

    public DenyRules(List<String> denySubscribe, int subscribeReasonCode, List<String> denyPublish,
                     int publishReasonCode) {
        this.denySubscribe = List.copyOf(denySubscribe);
        this.denyPublish = List.copyOf(denyPublish);
        this.subscribeReasonCode = subscribeReasonCode;
        this.publishReasonCode = publishReasonCode;
    }

    @Override
    public Decision onSubscribe(ClientIdentity who, String clientId, String topicFilter) {
        TopicFilter.Parsed parsed = TopicFilter.parse(topicFilter);
        String filter = parsed == null ? topicFilter : parsed.filter();
        for (String denied : denySubscribe) {
            if (denied.equals(filter) || (!TopicFilter.hasWildcard(filter) && TopicFilter.matches(denied, filter))) {
                return Decision.deny(subscribeReasonCode);
            }
        }
        return Decision.ALLOW;
    }

    @Override
    public Decision onPublish(ClientIdentity who, String clientId, String topic) {
        for (String denied : denyPublish) {
            if (TopicFilter.matches(denied, topic)) {
                return Decision.deny(publishReasonCode);
            }
        }
        return Decision.ALLOW;
    }
}
