/**
 * Gateway groups: which partitions of the topics a gateway reads ({@link PartitionRanges}), and what it answers
 * about a conversation another group owns ({@link GatewayGroup}: a {@code 307} to that group). Unset, a gateway
 * reads every partition and serves every conversation (broadcast).
 */
package dev.tokenrail.gateway.groups;
