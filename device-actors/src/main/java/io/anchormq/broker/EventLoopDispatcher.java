package io.anchormq.broker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.dispatch.Dispatcher;
import org.apache.pekko.dispatch.Dispatchers;
import org.apache.pekko.dispatch.MessageDispatcher;
import org.apache.pekko.dispatch.MessageDispatcherConfigurator;
import scala.concurrent.duration.Duration;
import scala.concurrent.duration.FiniteDuration;

/**
 * A Pekko dispatcher that runs actors on the MQTT event loops. Sessions run there: a packet read by a loop is
 * handled by its session on the same thread, in the same turn, and the session's writes go out in that turn too,
 * instead of every packet crossing from the socket thread to a pool thread and every reply back, each crossing a
 * wake-up and a context switch (at a fixed 20,000 messages/s that was two per message, and most of the broker's CPU).
 * Each actor always runs on the same loop, so one actor never moves between threads. With one loop (the default)
 * the broker's MQTT work is single-threaded, as Mosquitto's is; more loops spread sessions over cores.
 *
 * <p>Session code must therefore never block: nothing on these threads waits for a disk or a lock held long.
 */
public final class EventLoopDispatcher extends MessageDispatcherConfigurator {

    /** Mailbox runs of one actor before the loop goes back to its sockets. */
    private static final int THROUGHPUT = 64;

    private final MessageDispatcher dispatcher;

    private EventLoopDispatcher(Config config, Dispatchers dispatchers, String id, EventLoopGroup loops) {
        super(config, dispatchers.prerequisites());
        List<EventExecutor> executors = new ArrayList<>();
        loops.forEach(executors::add);
        EventExecutor[] pinned = executors.toArray(EventExecutor[]::new);
        this.dispatcher = new Dispatcher(this, id, THROUGHPUT, Duration.Zero(),
                (name, threadFactory) -> () -> new Loops(pinned), FiniteDuration.apply(1, TimeUnit.SECONDS));
    }

    /**
     * Makes the loops a dispatcher of {@code system} and returns how to select it for actors. The loops stay the
     * caller's: the dispatcher never shuts them down, so they must outlive the actors on them.
     */
    public static DispatcherSelector register(ActorSystem<?> system, EventLoopGroup loops) {
        String id = "anchormq-event-loops-" + System.identityHashCode(loops);
        Dispatchers dispatchers = Adapter.toClassic(system).dispatchers();
        Config config = dispatchers.config(id, ConfigFactory.parseString("throughput = " + THROUGHPUT));
        dispatchers.registerConfigurator(id, new EventLoopDispatcher(config, dispatchers, id, loops));
        return DispatcherSelector.fromConfig(id);
    }

    @Override
    public MessageDispatcher dispatcher() {
        return dispatcher;
    }

    /** The loops as an executor: a task (an actor's mailbox) always goes to the same loop. */
    private static final class Loops extends AbstractExecutorService {

        private final EventExecutor[] loops;

        Loops(EventExecutor[] loops) {
            this.loops = loops;
        }

        @Override
        public void execute(Runnable task) {
            loops[loops.length == 1 ? 0 : Math.floorMod(System.identityHashCode(task), loops.length)].execute(task);
        }

        // the loops belong to the listener: the dispatcher's shutdown leaves them running
        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return false;
        }
    }
}
