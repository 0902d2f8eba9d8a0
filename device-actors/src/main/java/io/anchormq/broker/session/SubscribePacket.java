package io.anchormq.broker.session;

import io.netty.handler.codec.mqtt.MqttSubscribeMessage;

/**
 * An inbound SUBSCRIBE with the ticket it took when read, returned to the
 * {@link io.anchormq.broker.routing.SubscriptionFence} once its subscriptions are registered.
 */
record SubscribePacket(MqttSubscribeMessage message, long ticket) {
}
