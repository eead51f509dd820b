import { pickPlace, sortOrder, stackOrder, stackSteps } from './goalToPlan.ts';
import { article, checkSteps, type Plan, type SkillCall } from './Plan.ts';
import { type NounPhrase, normalize, parseInstruction, type Subtask } from './parseInstruction.ts';
import { describePhrase, type ReferenceContext, resolveNounPhrase } from './resolveReferences.ts';
import type { WorldSummary } from './WorldSummary.ts';

export { goalToPlan } from './goalToPlan.ts';

export type PlanResult =
  | { ok: true; plan: Plan }
  | {
      ok: false;
      /** Why there is no plan, for /policy/status and the CLI. */
      reason: string;
      /** The part of the instruction the grammar could not read (lowercased). */
      unparsed?: string;
      /** Supported phrasings closest to the instruction, filled with this scene's objects. */
      suggestions?: string[];
    };

/**
 * The embedded rule-based planner: instruction text -> a validated Plan, or a reason.
 * Never throws on any string; an unreadable or impossible instruction gives
 * `{ ok: false, reason }` and no steps, so nothing moves.
 */
export function planFromInstruction(instruction: string, world: WorldSummary): PlanResult {
  const parsed = parseInstruction(instruction);
  if (!parsed.ok) {
    const suggestions = suggestPhrasings(parsed.text || normalize(instruction), parsed.unparsed, world);
    if (parsed.empty)
      return { ok: false, reason: 'the instruction is empty: say what to do', unparsed: '', suggestions };
    if (parsed.tooLong) {
      return {
        ok: false,
        reason: 'the instruction is too long to read: split it into shorter ones',
        unparsed: parsed.unparsed,
        suggestions,
      };
    }
    return {
      ok: false,
      reason: `could not understand "${parsed.unparsed}"; try ${suggestions.map((s) => `"${s}"`).join(' or ')}`,
      unparsed: parsed.unparsed,
      suggestions,
    };
  }
  const laterOthers = parsed.subtasks.flatMap(otherPhrases);
  const ctx: ReferenceContext & { mentioned: string[] } = { world, mentioned: [], laterOthers: [] };
  const steps: SkillCall[] = [];
  for (let i = 0; i < parsed.subtasks.length; i++) {
    const subtask = parsed.subtasks[i]!;
    ctx.laterOthers = laterOthers.filter((l) => l.index > i).map((l) => l.np);
    const out = planSubtask(subtask, ctx);
    if (!out.ok) return { ok: false, reason: out.reason };
    // "pick up the red block, then put it in the bowl": the block is already held.
    const last = steps.at(-1);
    const first = out.steps[0];
    if (last?.skill === 'pick' && first?.skill === 'pick' && first.object === last.object) out.steps.shift();
    steps.push(...out.steps);
  }
  const errors = checkSteps(steps, world);
  if (errors.length) return { ok: false, reason: errors.join('; ') };
  // Joiners and punctuation alone (". then") parse to no subtask: nothing to do is not a plan.
  if (steps.length === 0) {
    return { ok: false, reason: 'the instruction asks for nothing to do', unparsed: instruction.trim() };
  }
  return { ok: true, plan: { steps, source: 'rules', instruction } };
}

function otherPhrases(subtask: Subtask, index: number): Array<{ index: number; np: NounPhrase }> {
  const nps: NounPhrase[] =
    subtask.type === 'place'
      ? [subtask.object, subtask.target]
      : subtask.type === 'push'
        ? [subtask.object, subtask.zone]
        : subtask.type === 'pick'
          ? [subtask.object]
          : [];
  return nps.filter((np) => np.other).map((np) => ({ index, np }));
}

type SubtaskPlan = { ok: true; steps: SkillCall[] } | { ok: false; reason: string };

function planSubtask(t: Subtask, ctx: ReferenceContext & { mentioned: string[] }): SubtaskPlan {
  const one = (np: NounPhrase): string | { reason: string } => {
    const r = resolveNounPhrase(np, ctx);
    if (!r.ok) return { reason: r.reason };
    ctx.mentioned.push(...r.ids);
    return r.ids[0]!;
  };
  switch (t.type) {
    case 'home':
      return { ok: true, steps: [{ skill: 'go_home' }] };
    case 'pick': {
      const kindError = expectKind(
        t.object,
        ['block'],
        `cannot pick up ${phraseWithArticle(t.object)}: only blocks can be picked up`,
      );
      if (kindError) return kindError;
      const o = one(t.object);
      if (typeof o !== 'string') return { ok: false, ...o };
      ctx.previous = o;
      return { ok: true, steps: [{ skill: 'pick', object: o }] };
    }
    case 'place': {
      const verb = t.verb;
      const prep = verb === 'stack' ? 'on' : t.target.kind === 'bowl' ? 'in' : 'on';
      const targetKinds = verb === 'stack' ? ['block'] : ['bowl', 'zone', 'block'];
      const mismatch =
        (t.object.kind !== 'any' && t.object.kind !== 'block') ||
        (t.target.kind !== 'any' && !targetKinds.includes(t.target.kind));
      if (mismatch) {
        const why =
          verb === 'stack'
            ? 'only blocks stack on blocks'
            : 'blocks go into a bowl, into a zone or onto a block';
        return {
          ok: false,
          reason: `cannot ${verb} ${phraseWithArticle(t.object)} ${prep} the ${noun(t.target)}: ${why}`,
        };
      }
      if (!t.object.all) {
        const o = one(t.object);
        if (typeof o !== 'string') return { ok: false, ...o };
        const target = one(t.target);
        if (typeof target !== 'string') return { ok: false, ...target };
        ctx.previous = o;
        return { ok: true, steps: pickPlace(o, target) };
      }
      const target = one(t.target);
      if (typeof target !== 'string') return { ok: false, ...target };
      {
        const r = resolveNounPhrase(t.object, ctx);
        if (!r.ok) return r;
        const ids = sortOrder(
          r.ids.filter((id) => id !== target),
          target,
          ctx.world,
        );
        ctx.mentioned.push(...ids);
        ctx.previous = ids.at(-1);
        return { ok: true, steps: ids.flatMap((id) => pickPlace(id, target)) };
      }
    }
    case 'push': {
      if (t.object.kind !== 'any' && t.object.kind !== 'block') {
        return { ok: false, reason: `cannot push ${phraseWithArticle(t.object)}: only blocks can be pushed` };
      }
      if (t.zone.kind !== 'any' && t.zone.kind !== 'zone') {
        return { ok: false, reason: `cannot push a block into the ${noun(t.zone)}: push blocks into a zone` };
      }
      if (t.object.all)
        return { ok: false, reason: `push one block at a time: "${t.object.text}" names several` };
      const o = one(t.object);
      if (typeof o !== 'string') return { ok: false, ...o };
      const z = one(t.zone);
      if (typeof z !== 'string') return { ok: false, ...z };
      ctx.previous = o;
      return { ok: true, steps: [{ skill: 'push', object: o, zone: z }] };
    }
    case 'stack_all': {
      const r = resolveNounPhrase(t.blocks, ctx);
      if (!r.ok) return r;
      if (r.ids.length < 2) {
        return {
          ok: false,
          reason: `cannot stack ${t.blocks.text}: the scene has only one ${describePhrase(t.blocks)}`,
        };
      }
      const order = stackOrder(r.ids, ctx.world);
      ctx.mentioned.push(...order);
      ctx.previous = order.at(-1);
      return { ok: true, steps: stackSteps(order) };
    }
    case 'route': {
      const cable = one(t.cable);
      if (typeof cable !== 'string') return { ok: false, ...cable };
      const steps: SkillCall[] = [];
      for (const label of t.clips) {
        const clip = one({ text: `clip ${label}`, kind: 'clip', label });
        if (typeof clip !== 'string') return { ok: false, ...clip };
        steps.push({ skill: 'route_through', cable, clip });
      }
      ctx.previous = cable;
      return { ok: true, steps };
    }
  }
}

function expectKind(np: NounPhrase, kinds: readonly string[], reason: string): SubtaskPlan | undefined {
  return np.kind === 'any' || kinds.includes(np.kind) ? undefined : { ok: false, reason };
}

function noun(np: NounPhrase): string {
  return np.kind === 'any' ? 'object' : np.kind;
}

function phraseWithArticle(np: NounPhrase): string {
  if (np.all) return np.text;
  return `${article(noun(np))} ${noun(np)}`;
}

/** Supported forms, as the grammar reads them. {x} are filled from the scene. */
const FORMS = [
  { text: 'put the {block} in the {bowl}', needs: ['block', 'bowl'] },
  { text: 'pick up the {block} and put it in the {bowl}', needs: ['block', 'bowl'] },
  { text: 'move the {block} to the {bowl}', needs: ['block', 'bowl'] },
  { text: 'stack the {block} on the {block2}', needs: ['block', 'block2'] },
  { text: 'put the {block} on top of the {block2}', needs: ['block', 'block2'] },
  { text: 'push the {block} into the {zone}', needs: ['block', 'zone'] },
  { text: 'slide the {block} to the {zone} without lifting it', needs: ['block', 'zone'] },
  { text: 'stack all the blocks', needs: ['block', 'block2'] },
  { text: 'make a tower out of all the blocks', needs: ['block', 'block2'] },
  { text: 'put all the {color} blocks in the {color} bowl', needs: ['block', 'bowl'] },
  { text: 'route the cable through clip {a}, then clip {b}, then clip {c}', needs: ['cable', 'a', 'b', 'c'] },
  { text: 'thread the cable through clips {a}, {b} and {c} in that order', needs: ['cable', 'a', 'b', 'c'] },
  { text: 'pick up the {block}', needs: ['block'] },
  { text: 'go home', needs: [] },
] as const;

/**
 * Up to three supported phrasings closest to `text` by word overlap (Jaccard), filled
 * with this scene's objects; forms the scene cannot serve are left out.
 */
export function suggestPhrasings(text: string, unparsed: string, world: WorldSummary): string[] {
  const blocks = world.objects.filter((o) => o.kind === 'block');
  const bowls = world.objects.filter((o) => o.kind === 'bowl');
  const labels = world.objects
    .filter((o) => o.kind === 'clip' && o.label)
    .map((o) => o.label!)
    .sort();
  const sortColor = blocks.find((b) => bowls.some((w) => w.color === b.color))?.color ?? bowls[0]?.color;
  const values: Record<string, string | undefined> = {
    block: blocks[0]?.className,
    block2: blocks[1]?.className,
    bowl: bowls[0]?.className,
    zone: world.objects.find((o) => o.kind === 'zone')?.className,
    cable: world.objects.find((o) => o.kind === 'cable')?.className,
    color: sortColor,
    a: labels[0],
    b: labels[1],
    c: labels[2],
  };
  const generic: Record<string, string> = {
    block: 'red block',
    block2: 'blue block',
    bowl: 'blue bowl',
    zone: 'yellow zone',
    color: 'red',
    a: 'A',
    b: 'B',
    c: 'C',
  };
  const empty = world.objects.length === 0;
  const forms = FORMS.filter((f) => empty || f.needs.every((k) => values[k] !== undefined)).map((f) =>
    f.text.replace(/\{(\w+)\}/g, (_, k: string) => (empty ? generic[k] : values[k]) ?? k),
  );
  const words = (s: string) =>
    new Set(
      s
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter(Boolean),
    );
  const jaccard = (a: Set<string>, b: Set<string>) => {
    let common = 0;
    for (const w of a) if (b.has(w)) common++;
    const union = a.size + b.size - common;
    return union === 0 ? 0 : common / union;
  };
  const t = words(text);
  const u = words(unparsed);
  return forms
    .map((f, i) => ({ f, i, score: jaccard(words(f), t) + jaccard(words(f), u) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, 3)
    .map((x) => x.f);
}
