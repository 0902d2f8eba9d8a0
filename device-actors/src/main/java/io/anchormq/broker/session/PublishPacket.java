package io.anchormq.broker.session;

import io.netty.handler.codec.mqtt.MqttProperties;

/**
 * An inbound PUBLISH with its payload copied out of Netty's buffer on the event loop, so sessions never hold
 * reference-counted buffers.
 *
 * @param fencePosition where it was read relative to SUBSCRIBEs ({@link io.anchormq.broker.routing.SubscriptionFence})
 */
record PublishPacket(String topic, int qos, boolean dup, boolean retain, int packetId, MqttProperties properties,
                     byte[] payload, long fencePosition) {
}
