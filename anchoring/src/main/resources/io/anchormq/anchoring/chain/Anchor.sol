// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

/// @title anchormq log anchor
/// @notice Records (Merkle root, tree size) pairs of anchormq logs as events. Nothing is stored: the event log is
/// the record, found by root with eth_getLogs (the root is an indexed topic).
/// @dev Only the deployer may anchor, so every Anchored event of this contract is a statement of the log operator
/// (a third party cannot fill the contract's log with roots of its choosing). The owner is an immutable, embedded
/// in the runtime code: the check costs a few gas, no storage read.
contract Anchor {
    event Anchored(bytes32 indexed root, uint64 treeSize);

    error NotOwner();

    address private immutable owner;

    constructor() {
        owner = msg.sender;
    }

    function anchor(bytes32 root, uint64 treeSize) external {
        if (msg.sender != owner) revert NotOwner();
        emit Anchored(root, treeSize);
    }
}
