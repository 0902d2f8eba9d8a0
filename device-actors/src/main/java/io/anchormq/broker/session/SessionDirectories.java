package io.anchormq.broker.session;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * The session directory, sharded by client id: each shard is a {@link SessionDirectory} actor owning the client
 * ids that hash to it, so connection storms spawn session actors on all cores, and one client id always meets the
 * same shard (takeovers, stop requests and session versions stay per client).
 */
final class SessionDirectories {

    private final List<ActorRef<SessionDirectory.Command>> shards;

    /** @param dispatcher where the shards and their sessions run */
    SessionDirectories(String name, ActorSystem<?> system, SessionRuntime runtime, AtomicInteger sessionCount, int shardCount,
                       DispatcherSelector dispatcher) {
        ActorRef<?>[] refs = new ActorRef<?>[shardCount];
        for (int i = 0; i < shardCount; i++) {
            int shard = i;
            refs[i] = system.systemActorOf(SessionDirectory.create(runtime, sessionCount,
                    clientId -> shardOf(clientId, shardCount) == shard), name + "-" + i, dispatcher);
        }
        @SuppressWarnings("unchecked")
        List<ActorRef<SessionDirectory.Command>> list = (List<ActorRef<SessionDirectory.Command>>) (List<?>) List.of(refs);
        this.shards = list;
    }

    /** Stops every shard, and so every session. */
    void close() {
        for (ActorRef<SessionDirectory.Command> shard : shards) {
            shard.tell(new SessionDirectory.Close());
        }
    }

    void tellAll(SessionActor.Command command) {
        for (ActorRef<SessionDirectory.Command> shard : shards) {
            shard.tell(new SessionDirectory.TellAll(command));
        }
    }

    ActorRef<SessionDirectory.Command> of(String clientId) {
        return shards.get(shardOf(clientId, shards.size()));
    }

    private static int shardOf(String clientId, int shardCount) {
        return Math.floorMod(clientId.hashCode(), shardCount);
    }
}
