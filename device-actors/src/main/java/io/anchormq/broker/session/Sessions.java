package io.anchormq.broker.session;

import io.anchormq.broker.BrokerMetrics;
import io.anchormq.broker.BrokerSettings;
import io.anchormq.broker.auth.AccessPolicy;
import io.anchormq.broker.events.BrokerEvents;
import io.anchormq.broker.retained.RetainedStore;
import io.anchormq.broker.routing.TopicRouter;
import io.netty.channel.ChannelHandler;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/** The session layer's entry point: starts the session directory and creates one handler per connection. */
public final class Sessions {

    private final SessionRuntime runtime;
    private final ActorRef<SessionDirectory.Command> directory;
    private final AtomicInteger sessionCount = new AtomicInteger();

    public Sessions(ActorSystem<?> system, BrokerSettings settings, TopicRouter router, RetainedStore retained,
                    BrokerEvents events, AccessPolicy access, BrokerMetrics metrics) {
        this.runtime = new SessionRuntime(settings, router, retained, events, access, metrics);
        this.directory = system.systemActorOf(SessionDirectory.create(runtime, sessionCount), "sessions",
                Props.empty());
    }

    /** A new handler for one accepted connection; goes last in the pipeline, after the MQTT codec. */
    public ChannelHandler newConnectionHandler() {
        return new MqttConnection(runtime, directory);
    }

    /** Sessions that exist now, connected or not. */
    public int count() {
        return sessionCount.get();
    }
}
