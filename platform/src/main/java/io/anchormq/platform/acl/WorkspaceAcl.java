package io.anchormq.platform.acl;

import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.auth.ClientIdentity;
import io.anchormq.broker.routing.TopicFilter;
import io.anchormq.platform.store.AclRule;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A workspace's ACL, in force: its ordered rules and the groups of its devices, swapped as a whole when either
 * changes (so a check never sees half an update), and consulted directly by the sessions on every PUBLISH and
 * SUBSCRIBE, with no cache in between.
 *
 * <p>The first rule that applies decides. A workspace without rules allows everything (as before there were
 * ACLs); one with rules denies what no rule allows. Rule topics may hold {@code %c} (the client id), {@code %u} (the
 * user name) and {@code %d} (the device id); a rule whose substitution is missing or holds {@code /}, {@code +} or
 * {@code #} does not apply, so no client id can widen a rule.
 *
 * <p>A publish is matched against the rule's filter. A subscription is allowed by an allow rule whose filter covers
 * everything the requested filter could match, and denied by a deny rule whose filter shares any topic with it: put
 * the narrower deny rules first.
 */
public final class WorkspaceAcl implements AccessPolicy {

    private record Rule(String subjectKind, String subject, boolean publish, boolean subscribe, String topic,
                        boolean allow) {
    }

    private record InForce(List<Rule> rules, Map<String, Set<String>> groupsByDevice) {
    }

    private volatile InForce inForce = new InForce(List.of(), Map.of());

    /** Puts new rules and device groups in force (the caller then has sessions re-check their subscriptions). */
    public void update(List<AclRule> rules, Map<String, Set<String>> groupsByDevice) {
        List<Rule> compiled = rules.stream().map(r -> new Rule(r.subjectKind(), r.subject(),
                !r.action().equals("subscribe"), !r.action().equals("publish"), r.topic(),
                r.permission().equals("allow"))).toList();
        inForce = new InForce(compiled, Map.copyOf(groupsByDevice));
    }

    @Override
    public Decision onPublish(ClientIdentity who, String clientId, String topic) {
        InForce now = inForce;
        if (now.rules().isEmpty()) {
            return Decision.ALLOW;
        }
        for (Rule r : now.rules()) {
            if (!r.publish() || !appliesTo(r, who, now)) {
                continue;
            }
            String filter = substituted(r.topic(), who, clientId);
            if (filter != null && TopicFilter.matches(filter, topic)) {
                return r.allow() ? Decision.ALLOW : Decision.deny(NOT_AUTHORIZED);
            }
        }
        return Decision.deny(NOT_AUTHORIZED);
    }

    @Override
    public Decision onSubscribe(ClientIdentity who, String clientId, String topicFilter) {
        InForce now = inForce;
        if (now.rules().isEmpty()) {
            return Decision.ALLOW;
        }
        TopicFilter.Parsed parsed = TopicFilter.parse(topicFilter);
        String requested = parsed == null ? topicFilter : parsed.filter();
        for (Rule r : now.rules()) {
            if (!r.subscribe() || !appliesTo(r, who, now)) {
                continue;
            }
            String filter = substituted(r.topic(), who, clientId);
            if (filter == null) {
                continue;
            }
            if (r.allow() ? TopicPatterns.covers(filter, requested) : TopicPatterns.overlap(filter, requested)) {
                return r.allow() ? Decision.ALLOW : Decision.deny(NOT_AUTHORIZED);
            }
        }
        return Decision.deny(NOT_AUTHORIZED);
    }

    private static boolean appliesTo(Rule r, ClientIdentity who, InForce now) {
        return switch (r.subjectKind()) {
            case "any" -> true;
            case "anonymous" -> who.isAnonymous();
            case "device" -> !who.isAnonymous() && r.subject().equals(who.device());
            case "group" -> !who.isAnonymous()
                    && now.groupsByDevice().getOrDefault(who.device(), Set.of()).contains(r.subject());
            default -> false;
        };
    }

    /** The rule's filter with %c, %u and %d filled in; null when one of them cannot be. */
    static String substituted(String topic, ClientIdentity who, String clientId) {
        if (topic.indexOf('%') < 0) {
            return topic;
        }
        StringBuilder out = new StringBuilder(topic.length() + 16);
        for (int i = 0; i < topic.length(); i++) {
            char ch = topic.charAt(i);
            if (ch == '%' && i + 1 < topic.length()) {
                char k = topic.charAt(i + 1);
                String value = switch (k) {
                    case 'c' -> clientId;
                    case 'u' -> who.username();
                    case 'd' -> who.device();
                    default -> "%" + k;
                };
                if (k == 'c' || k == 'u' || k == 'd') {
                    if (value == null || value.isEmpty() || value.indexOf('/') >= 0 || value.indexOf('+') >= 0
                            || value.indexOf('#') >= 0) {
                        return null;
                    }
                }
                out.append(value);
                i++;
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }
}
