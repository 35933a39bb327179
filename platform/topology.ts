/**
 * The messaging topology as data: one definition drives local provisioning, the tests and the AWS
 * deployment. Per service: an event table (streams on, NEW_IMAGE), an SNS FIFO topic, and per consumer
 * an SQS FIFO queue with a dead-letter queue and a raw-delivery subscription.
 */
import type { ServiceName } from '../eventstore/types';

export const SERVICES = ['catalog', 'reservation', 'auth'] as const satisfies readonly ServiceName[];

export interface ConsumerDef {
  /** Unique name, `<owning service>-<purpose>`. */
  name: string;
  /** The service that runs the consumer (and owns the data it writes). */
  owner: ServiceName;
  /** Whose topic it subscribes to. */
  source: ServiceName;
  kind: 'denormalizer' | 'cross-service';
  description: string;
  /**
   * Appends events to its owner's event store (a reaction, e.g. ownership grants), not only a read model:
   * on AWS its role may then write that one table.
   */
  appendsToOwner?: boolean;
}

export const CONSUMERS = [
  { name: 'catalog-restaurants', owner: 'catalog', source: 'catalog', kind: 'denormalizer', description: 'restaurant read model and search' },
  { name: 'reservation-restaurants', owner: 'reservation', source: 'catalog', kind: 'cross-service', description: "reservation's replica of what booking needs" },
  { name: 'auth-ownership', owner: 'auth', source: 'catalog', kind: 'cross-service', description: 'grants/revokes restaurant ownership', appendsToOwner: true },
  { name: 'reservation-reservations', owner: 'reservation', source: 'reservation', kind: 'denormalizer', description: 'reservation read model' },
  { name: 'reservation-waitlists', owner: 'reservation', source: 'reservation', kind: 'denormalizer', description: 'waitlist read model (one document per restaurant and opening day)' },
  { name: 'auth-users', owner: 'auth', source: 'auth', kind: 'denormalizer', description: 'users read model' },
] as const satisfies readonly ConsumerDef[];

export type ConsumerName = (typeof CONSUMERS)[number]['name'];

/**
 * Receives before a message moves to the dead-letter queue (from where the pipeline moves it back with
 * backoff, eventstore/dead-letters.ts). A consumer stops receiving while its MongoDB does not answer, so
 * an outage costs a message about one receive, not one per visibility timeout.
 */
export const MAX_RECEIVE_COUNT = 5;
/** Consumers extend it every half while they handle a batch (a heartbeat), so a slow batch is not redelivered. */
export const VISIBILITY_TIMEOUT_SECONDS = 30;

export interface Topology {
  prefix: string;
  services: Record<ServiceName, { table: string; topic: string }>;
  consumers: Array<ConsumerDef & { name: ConsumerName; queue: string; dlq: string }>;
}

export function topology(prefix: string): Topology {
  const services = Object.fromEntries(
    SERVICES.map((s) => [s, { table: `${prefix}-${s}-events`, topic: `${prefix}-${s}-events.fifo` }]),
  ) as Topology['services'];
  const consumers = CONSUMERS.map((c) => ({ ...c, queue: `${prefix}-${c.name}.fifo`, dlq: `${prefix}-${c.name}-dlq.fifo` }));
  return { prefix, services, consumers };
}

export function consumerDef(topo: Topology, name: string): Topology['consumers'][number] {
  const c = topo.consumers.find((x) => x.name === name);
  if (!c) throw new Error(`unknown consumer ${name}; known: ${topo.consumers.map((x) => x.name).join(', ')}`);
  return c;
}
