/**
 * QoS on the wire (SEDP parameters) and DDS request/offered matching for the policies the
 * transport models: reliability, durability, history (history does not affect matching).
 */
import type { QosPolicyKind, QosProfile } from '../Transport.ts';
import { type Parameter, PID, paramValue, readParam } from './wire.ts';

const RELIABILITY_BEST_EFFORT = 1;
const RELIABILITY_RELIABLE = 2;

/** The SEDP parameters that describe `qos`. */
export function qosParameters(qos: QosProfile): Parameter[] {
  const reliability = new Uint8Array(12);
  const v = new DataView(reliability.buffer);
  v.setUint32(0, qos.reliability === 'reliable' ? RELIABILITY_RELIABLE : RELIABILITY_BEST_EFFORT, true);
  // max_blocking_time 100 ms, the DDS default.
  v.setUint32(4, 0, true);
  v.setUint32(8, Math.floor(0.1 * 0x1_0000_0000), true);
  return [
    { pid: PID.RELIABILITY, value: reliability },
    { pid: PID.DURABILITY, value: paramValue.u32(qos.durability === 'transient_local' ? 1 : 0) },
    {
      pid: PID.HISTORY,
      value: paramValue.u32pair(
        qos.history === 'keep_all' ? 1 : 0,
        qos.history === 'keep_all' ? 0 : qos.depth,
      ),
    },
  ];
}

/**
 * Reads QoS from SEDP parameters. Missing policies take the DDS defaults: a writer is
 * reliable, a reader best effort, both volatile and keep-last 1. Durability TRANSIENT and
 * PERSISTENT count as transient_local (they offer at least as much).
 */
export function qosFromParameters(params: readonly Parameter[], le: boolean, isWriter: boolean): QosProfile {
  const qos: QosProfile = {
    reliability: isWriter ? 'reliable' : 'best_effort',
    durability: 'volatile',
    history: 'keep_last',
    depth: 1,
  };
  for (const p of params) {
    if (p.pid === PID.RELIABILITY) {
      const k = readParam.u32(p.value, le);
      if (k !== undefined) qos.reliability = k === RELIABILITY_RELIABLE ? 'reliable' : 'best_effort';
    } else if (p.pid === PID.DURABILITY) {
      const k = readParam.u32(p.value, le);
      if (k !== undefined) qos.durability = k >= 1 ? 'transient_local' : 'volatile';
    } else if (p.pid === PID.HISTORY) {
      const k = readParam.u32(p.value, le);
      const depth = readParam.i32At(p.value, 4, le);
      if (k !== undefined) qos.history = k === 1 ? 'keep_all' : 'keep_last';
      if (depth !== undefined && depth > 0) qos.depth = depth;
    }
  }
  return qos;
}

export interface Incompatibility {
  policy: QosPolicyKind;
  reason: string;
}

/** DDS matching: undefined when a writer offering `w` can serve a reader requesting `r`. */
export function checkMatch(
  w: { type: string; qos: QosProfile },
  r: { type: string; qos: QosProfile },
): Incompatibility | undefined {
  if (w.type !== r.type) {
    return { policy: 'type', reason: `subscription type ${r.type} vs publisher type ${w.type}` };
  }
  if (r.qos.reliability === 'reliable' && w.qos.reliability !== 'reliable') {
    return { policy: 'reliability', reason: 'reliable subscription vs best_effort publisher' };
  }
  if (r.qos.durability === 'transient_local' && w.qos.durability !== 'transient_local') {
    return { policy: 'durability', reason: 'transient_local subscription vs volatile publisher' };
  }
  return undefined;
}
