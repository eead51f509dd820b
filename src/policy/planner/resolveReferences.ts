import type { NounPhrase } from './parseInstruction.ts';
import { describeObject, type WorldObject, type WorldSummary } from './WorldSummary.ts';

/** What a reference is resolved against: the scene and what the instruction said before it. */
export interface ReferenceContext {
  world: WorldSummary;
  /** The object of the previous subtask, for "it". */
  previous?: string | undefined;
  /** Ids named so far in this instruction, for "the other ...". */
  mentioned: readonly string[];
  /** Noun phrases with "other" later in the instruction: "the red block ..., then the other red block". */
  laterOthers: readonly NounPhrase[];
}

export type Resolution = { ok: true; ids: string[] } | { ok: false; reason: string };

/**
 * Maps a noun phrase to scene objects. A singular phrase resolves to one object or
 * fails with a reason: missing ("no purple block in the scene"), or ambiguous ("two
 * red blocks: say which ..."). Ambiguity is resolved from the scene when the
 * instruction itself settles it: "the red block ..., then the other red block" takes
 * the red blocks in order of distance from the robot.
 */
export function resolveNounPhrase(np: NounPhrase, ctx: ReferenceContext): Resolution {
  if (np.pronoun) {
    return ctx.previous
      ? { ok: true, ids: [ctx.previous] }
      : { ok: false, reason: `"${np.text}": nothing was named before it` };
  }
  let candidates = ctx.world.objects.filter((o) => matches(np, o));
  const desc = describePhrase(np);
  if (candidates.length === 0) return { ok: false, reason: `no ${desc} in the scene` };
  if (np.all) return { ok: true, ids: candidates.map((o) => o.id) };
  if (np.other) {
    const before = candidates.filter((o) => ctx.mentioned.includes(o.id));
    if (before.length === 0) return { ok: false, reason: `"${np.text}": no ${desc} was named before it` };
    candidates = candidates.filter((o) => !ctx.mentioned.includes(o.id));
    if (candidates.length === 0)
      return { ok: false, reason: `"${np.text}": there is no other ${desc} in the scene` };
  }
  if (np.relation) {
    const ref = resolveNounPhrase(np.relation.ref, ctx);
    if (!ref.ok) return ref;
    const r = ctx.world.objects.find((o) => o.id === ref.ids[0])!;
    const others = candidates.filter((o) => o.id !== r.id);
    const dist = (o: WorldObject) => Math.hypot(o.position[0] - r.position[0], o.position[1] - r.position[1]);
    const { type } = np.relation;
    // Left is +y in the robot's base frame; among several on that side, the nearest one is meant.
    const side =
      type === 'left'
        ? others.filter((o) => o.position[1] > r.position[1])
        : type === 'right'
          ? others.filter((o) => o.position[1] < r.position[1])
          : others;
    if (side.length === 0)
      return { ok: false, reason: `no ${desc} ${relationWords(type)} the ${describeObject(r)}` };
    const sorted = [...side].sort((a, b) => (type === 'far' ? dist(b) - dist(a) : dist(a) - dist(b)));
    return { ok: true, ids: [sorted[0]!.id] };
  }
  if (np.select) {
    const sel = np.select;
    const leftToRight = [...candidates].sort((a, b) => b.position[1] - a.position[1]);
    const fromBase = [...candidates].sort(
      (a, b) => Math.hypot(a.position[0], a.position[1]) - Math.hypot(b.position[0], b.position[1]),
    );
    if (sel.type === 'extreme') {
      const pick =
        sel.dir === 'left'
          ? leftToRight[0]
          : sel.dir === 'right'
            ? leftToRight.at(-1)
            : sel.dir === 'near'
              ? fromBase[0]
              : fromBase.at(-1);
      return { ok: true, ids: [pick!.id] };
    }
    const order = sel.from === 'left' ? leftToRight : leftToRight.reverse();
    const pick = order[sel.n - 1];
    if (!pick)
      return {
        ok: false,
        reason: `"${np.text}": there ${candidates.length === 1 ? 'is only one' : `are only ${countWord(candidates.length)}`} ${plural(desc, candidates.length)}`,
      };
    return { ok: true, ids: [pick.id] };
  }
  if (candidates.length === 1) return { ok: true, ids: [candidates[0]!.id] };
  if (ctx.laterOthers.some((later) => sameDescription(later, np))) {
    const nearest = [...candidates].sort(
      (a, b) => Math.hypot(a.position[0], a.position[1]) - Math.hypot(b.position[0], b.position[1]),
    );
    return { ok: true, ids: [nearest[0]!.id] };
  }
  return { ok: false, reason: ambiguityMessage(desc, candidates, ctx.world) };
}

function ambiguityMessage(desc: string, candidates: readonly WorldObject[], world: WorldSummary): string {
  const landmark =
    world.objects.find((o) => !candidates.includes(o) && o.kind !== 'block') ??
    world.objects.find((o) => !candidates.includes(o));
  const examples = [`"the leftmost ${desc}"`, `"the ${desc} on the right"`];
  if (landmark) examples.push(`"the ${desc} nearest the ${describeObject(landmark)}"`);
  return `${countWord(candidates.length)} ${plural(desc, candidates.length)}: say which, e.g. ${examples.join(' or ')}`;
}

function matches(np: NounPhrase, o: WorldObject): boolean {
  if (np.kind !== 'any' && o.kind !== np.kind) return false;
  if (np.color && o.color !== np.color) return false;
  if (np.label && (o.label ?? '').toUpperCase() !== np.label) return false;
  return true;
}

function sameDescription(a: NounPhrase, b: NounPhrase): boolean {
  return a.kind === b.kind && a.color === b.color && a.label === b.label;
}

/** "purple block", "clip D", "red object". */
export function describePhrase(np: NounPhrase): string {
  const noun = np.kind === 'any' ? 'object' : np.kind;
  if (np.kind === 'clip' && np.label) return `clip ${np.label}`;
  return np.color ? `${np.color} ${noun}` : noun;
}

function relationWords(type: 'left' | 'right' | 'near' | 'far'): string {
  return type === 'left' ? 'left of' : type === 'right' ? 'right of' : type === 'near' ? 'near' : 'far from';
}

export function countWord(n: number): string {
  return (
    ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'][n] ?? String(n)
  );
}

export function plural(desc: string, n: number): string {
  if (n === 1) return desc;
  if (desc.startsWith('clip ')) return desc.replace('clip', 'clips');
  return desc.endsWith('s') ? `${desc}es` : `${desc}s`;
}
