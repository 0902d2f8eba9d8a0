package io.anchormq.anchoring.merkle;

/**
 * Read access to the hashes of complete (perfect) subtrees of a log: the node at {@code level} and {@code index}
 * covers leaves [index·2^level, (index+1)·2^level). Level 0 holds the leaf hashes. Only nodes whose whole range
 * lies inside the log are asked for.
 */
@FunctionalInterface
public interface HashReader {

    byte[] hash(int level, long index);
}
