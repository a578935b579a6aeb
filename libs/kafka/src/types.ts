/** vigil's view of Kafka: small enough that another client could sit behind it. */

export interface KafkaConfig {
  brokers: readonly string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * How the client retries a failed request before giving up (default: 8
   * retries, 100 ms first, 10 s at most). A caller with its own retry loop,
   * such as a publisher that buffers, sets fewer so a send fails fast.
   * Producers and admins use it; consumers keep retrying their connections
   * for about a minute whatever it says, so a broker restart does not cost
   * them their group membership.
   */
  retry?: RetryOptions;
}

export interface RetryOptions {
  retries?: number;
  initialRetryTimeMs?: number;
  maxRetryTimeMs?: number;
}

export interface TopicSpec {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Record<string, string>;
}

export type Headers = Record<string, string>;

/** A message as received. */
export interface ReceivedMessage {
  topic: string;
  partition: number;
  offset: string;
  /** Broker timestamp, epoch ms. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

/** A message to send. */
export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: ReceivedMessage[];
}

export interface BatchContext {
  /** Tell the group coordinator we are alive during long batches. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: finish quickly. */
  isRunning(): boolean;
}

export interface Producer {
  /**
   * Resolves once every message is acknowledged by the brokers (acks=all). Many messages go in order as
   * several requests of at most ~900 KiB each (under the broker's default 1 MB batch limit); if one fails,
   * those before it are written (a retry of the whole send writes them again: at least once).
   */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group with no committed offset starts. */
  fromBeginning?: boolean;
  /**
   * Handles one batch of one partition. Offsets of the batch are committed only
   * after it resolves; if it throws, the batch is fetched again (at-least-once).
   */
  eachBatch(batch: Batch, context: BatchContext): Promise<void>;
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
  /**
   * How long the broker may hold a fetch when it has nothing new (default 5000 ms). Stopping waits for
   * the fetch in flight: a command a person stops with Ctrl-C sets it lower.
   */
  maxWaitTimeMs?: number;
  /** Called when the consumer crashes and will not restart itself. */
  onCrash?(error: Error): void;
  /**
   * Called each time the consumer (re)joins its group, before it handles
   * batches of the partitions it was given: state kept for partitions it
   * held before may be stale now.
   */
  onJoin?(): void;
  /**
   * Batches of different partitions handled at once (default 1). More lets
   * one partition's batch compute while another's waits on I/O; batches of
   * one partition are always handled in order.
   */
  partitionsConcurrently?: number;
  /**
   * Who commits offsets. `auto` (the default): the offsets of the batches
   * that resolved, every second and when the group rebalances. `manual`:
   * only the offsets passed to `Consumer.commit`, for a service that makes
   * its own state durable on a schedule and commits after it; after a
   * rebalance each partition starts again from its last commit.
   */
  commits?: 'auto' | 'manual';
  /**
   * With manual commits: called before the consumer gives up its partitions,
   * the last chance to commit them. On `stop`, once the batches in flight
   * have finished. On a rebalance, after each batch that finishes once the
   * group is rebalancing (noticed by the heartbeat that follows a batch), and
   * before the consumer rejoins. Not on a crash, nor on a rebalance noticed
   * while idle: then the partitions restart from the last commit.
   */
  beforeRevoke?(): Promise<void>;
}

/** The offset to commit for a partition: the next message to read. */
export interface CommitOffset {
  topic: string;
  partition: number;
  offset: string;
}

export interface Consumer {
  /** Connects, subscribes and starts consuming; resolves once running. */
  start(): Promise<void>;
  /** Stops after the batches in flight finish, commits, leaves the group. */
  stop(): Promise<void>;
  /** Resolves once the consumer has been assigned partitions (joined the group). */
  joined(): Promise<void>;
  /** Commits these offsets for the group (`commits: 'manual'`); throws when the broker refuses (a rebalance, say). */
  commit(offsets: readonly CommitOffset[]): Promise<void>;
}

export interface PartitionLag {
  partition: number;
  committed: string;
  high: string;
  lag: number;
}

export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/** Messages of one partition from `from` (inclusive) up to `to` (exclusive). */
export interface OffsetRange {
  partition: number;
  from: string;
  to: string;
}

export interface Admin {
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  /** Committed offsets of a group against the topic's high watermarks. */
  lag(groupId: string, topic: string): Promise<PartitionLag[]>;
  /** Each partition's first offset still held (low) and the offset its next message will get (high), by partition. */
  partitionOffsets(topic: string): Promise<PartitionOffsets[]>;
  disconnect(): Promise<void>;
}
