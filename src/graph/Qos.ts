/**
 * QoS profiles as rmw defines them (rmw/qos_profiles.h). Pass one to
 * `createPublisher` / `createSubscription`, or spread one and override a field:
 * `{ ...QOS_SENSOR_DATA, depth: 1 }`.
 */
import { UserError } from '../errors.ts';
import type { QosProfile } from '../transports/Transport.ts';

export type { IncompatibleQosEvent, QosPolicyKind, QosProfile } from '../transports/Transport.ts';

/** rmw_qos_profile_default: reliable, volatile, keep last 10. For commands and state. */
export const QOS_DEFAULT: Readonly<QosProfile> = Object.freeze({
  history: 'keep_last',
  depth: 10,
  reliability: 'reliable',
  durability: 'volatile',
});

/**
 * rmw_qos_profile_sensor_data: best effort, volatile, keep last 5. For cameras and joint
 * states at rate, where the newest sample matters more than every sample. Matches both
 * reliable and best-effort publishers.
 */
export const QOS_SENSOR_DATA: Readonly<QosProfile> = Object.freeze({
  history: 'keep_last',
  depth: 5,
  reliability: 'best_effort',
  durability: 'volatile',
});

/**
 * Latched: reliable, transient local, keep last 1. Late joiners get the last sample,
 * as /robot_description and /tf_static need. Both sides must use it.
 */
export const QOS_TRANSIENT_LOCAL: Readonly<QosProfile> = Object.freeze({
  history: 'keep_last',
  depth: 1,
  reliability: 'reliable',
  durability: 'transient_local',
});

/** rmw_qos_profile_services_default: reliable, volatile, keep last 10. */
export const QOS_SERVICES_DEFAULT: Readonly<QosProfile> = Object.freeze({
  history: 'keep_last',
  depth: 10,
  reliability: 'reliable',
  durability: 'volatile',
});

/** /clock as rclcpp's ClockQoS subscribes to it: best effort, keep last 1. */
export const QOS_CLOCK: Readonly<QosProfile> = Object.freeze({
  history: 'keep_last',
  depth: 1,
  reliability: 'best_effort',
  durability: 'volatile',
});

const KEYS = new Set(['history', 'depth', 'reliability', 'durability']);

/**
 * Fills a partial profile from QOS_DEFAULT and rejects unknown keys and bad values.
 * A bare number is a keep-last depth, as in rclpy.
 */
export function resolveQos(qos: Partial<QosProfile> | number | undefined, source: string): QosProfile {
  if (qos === undefined) return QOS_DEFAULT;
  if (typeof qos === 'number') qos = { depth: qos };
  for (const key of Object.keys(qos)) {
    if (!KEYS.has(key)) throw new UserError(`unknown QoS field '${key}'`, { source });
  }
  const out: QosProfile = { ...QOS_DEFAULT, ...qos };
  if (out.history !== 'keep_last' && out.history !== 'keep_all') {
    throw new UserError(`qos.history must be 'keep_last' or 'keep_all' (got ${String(out.history)})`, {
      source,
    });
  }
  if (out.reliability !== 'reliable' && out.reliability !== 'best_effort') {
    throw new UserError(
      `qos.reliability must be 'reliable' or 'best_effort' (got ${String(out.reliability)})`,
      {
        source,
      },
    );
  }
  if (out.durability !== 'volatile' && out.durability !== 'transient_local') {
    throw new UserError(
      `qos.durability must be 'volatile' or 'transient_local' (got ${String(out.durability)})`,
      {
        source,
      },
    );
  }
  if (out.history === 'keep_last' && !(Number.isInteger(out.depth) && out.depth >= 1)) {
    throw new UserError(`qos.depth must be an integer >= 1 for keep_last (got ${String(out.depth)})`, {
      source,
    });
  }
  return out;
}
