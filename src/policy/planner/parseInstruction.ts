/**
 * The rule-based planner's grammar: instruction text -> subtasks with unresolved noun
 * phrases. Syntax only; it reads no world. `resolveReferences.ts` maps the noun
 * phrases to scene objects.
 *
 * Chains are split where a parse succeeds: the text is cut at every possible joiner
 * (",", ";", ". ", "then", "and", "after that"), and the split into the fewest
 * parseable subtasks wins. So "pick up X and put it in Y" stays one subtask, and
 * "route the cable through clip B, then clip A" is not cut at ", then".
 */

import type { ObjectKind } from './WorldSummary.ts';

/** A noun phrase as written: what to look for, not yet which object. */
export interface NounPhrase {
  text: string;
  /** "it": the object of the previous subtask. */
  pronoun?: boolean;
  /** "all the ...", "every ...", or a plural noun: every match. */
  all?: boolean;
  /** "the other red block": a match not mentioned earlier in the instruction. */
  other?: boolean;
  color?: string;
  /** 'any' for "one", "object", "thing". */
  kind: ObjectKind | 'any';
  /** Clips: "clip a" -> 'A'. */
  label?: string;
  /** "the leftmost block", "the block on the left", "the second block from the right". */
  select?: Selector;
  /** "the block left of the bowl", "the block nearest the bowl". */
  relation?: { type: 'left' | 'right' | 'near' | 'far'; ref: NounPhrase };
}

/**
 * Selectors in the robot's base frame (ROS, Z-up): left is +y, as seen from behind the
 * robot looking along +x; near and far are distances from the robot's base.
 */
export type Selector =
  | { type: 'extreme'; dir: 'left' | 'right' | 'near' | 'far' }
  | { type: 'ordinal'; n: number; from: 'left' | 'right' };

export type Subtask =
  | { type: 'place'; verb: 'put' | 'stack'; object: NounPhrase; target: NounPhrase; text: string }
  | { type: 'push'; object: NounPhrase; zone: NounPhrase; text: string }
  | { type: 'stack_all'; blocks: NounPhrase; text: string }
  | { type: 'route'; cable: NounPhrase; clips: string[]; text: string }
  | { type: 'pick'; object: NounPhrase; text: string }
  | { type: 'home'; text: string };

export type ParseResult =
  | { ok: true; subtasks: Subtask[]; text: string }
  | { ok: false; text: string; unparsed: string; empty?: boolean; tooLong?: boolean };

/** Longest instruction the grammar reads, characters. Longer input is refused, not parsed. */
export const MAX_INSTRUCTION_CHARS = 2000;
/** Most joiner-separated pieces; the split search is quadratic in them. */
const MAX_PIECES = 80;

export const COLOR_WORDS = [
  'red',
  'green',
  'blue',
  'yellow',
  'purple',
  'orange',
  'pink',
  'cyan',
  'white',
  'brown',
  'gray',
  'black',
  'magenta',
  'violet',
  'teal',
  'lime',
  'navy',
  'maroon',
  'gold',
  'silver',
  'beige',
  'olive',
  'turquoise',
  'indigo',
  'tan',
] as const;
const COLOR_ALIASES: Record<string, string> = { grey: 'gray' };
const COLOR_SET = new Set<string>(COLOR_WORDS);

const NOUNS: Record<string, ObjectKind | 'any'> = {
  block: 'block',
  cube: 'block',
  brick: 'block',
  bowl: 'bowl',
  bin: 'bowl',
  container: 'bowl',
  tray: 'bowl',
  basket: 'bowl',
  dish: 'bowl',
  zone: 'zone',
  area: 'zone',
  region: 'zone',
  square: 'zone',
  spot: 'zone',
  patch: 'zone',
  mat: 'zone',
  cable: 'cable',
  wire: 'cable',
  cord: 'cable',
  rope: 'cable',
  clip: 'clip',
  clamp: 'clip',
  hook: 'clip',
  one: 'any',
  object: 'any',
  thing: 'any',
  item: 'any',
};
const PLURALS: Record<string, string> = {
  blocks: 'block',
  cubes: 'block',
  bricks: 'block',
  bowls: 'bowl',
  bins: 'bowl',
  containers: 'bowl',
  trays: 'bowl',
  baskets: 'bowl',
  dishes: 'bowl',
  zones: 'zone',
  areas: 'zone',
  regions: 'zone',
  squares: 'zone',
  spots: 'zone',
  patches: 'zone',
  mats: 'zone',
  cables: 'cable',
  wires: 'cable',
  cords: 'cable',
  clips: 'clip',
  clamps: 'clip',
  hooks: 'clip',
  ones: 'one',
  objects: 'object',
  things: 'thing',
  items: 'item',
};
const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  '1st': 1,
  '2nd': 2,
  '3rd': 3,
};
const EXTREMES: Record<string, 'left' | 'right' | 'near' | 'far'> = {
  leftmost: 'left',
  'left-most': 'left',
  left: 'left',
  rightmost: 'right',
  'right-most': 'right',
  right: 'right',
  nearest: 'near',
  closest: 'near',
  near: 'near',
  front: 'near',
  farthest: 'far',
  furthest: 'far',
  far: 'far',
  back: 'far',
};

const PUT_VERBS = [
  'put',
  'place',
  'move',
  'drop',
  'set',
  'lay',
  'bring',
  'carry',
  'transfer',
  'take',
  'get',
  'deposit',
  'stick',
  'load',
  'relocate',
  'toss',
  'throw',
];
const PICK_VERBS = ['pick up', 'pick', 'grab', 'grasp', 'lift', 'take', 'get', 'hold'];
const STACK_VERBS = ['stack', 'pile'];
const PUSH_VERBS = ['push', 'slide', 'shove', 'nudge', 'drag', 'sweep', 'scoot'];
const ROUTE_VERBS = [
  'route',
  'thread',
  'pass',
  'run',
  'feed',
  'guide',
  'lead',
  'weave',
  'string',
  'put',
  'lay',
  'clip',
];
const SORT_VERBS = ['sort', 'collect', 'gather', ...PUT_VERBS];

/** Prepositions before a place target; longest first so "on top of" wins over "on". */
const TARGET_PREPS = [
  'on top of',
  'inside of',
  'over to',
  'on to',
  'in to',
  'into',
  'inside',
  'onto',
  'upon',
  'atop',
  'in',
  'on',
  'to',
  'at',
  'toward',
  'towards',
];
const STACK_PREPS = ['on top of', 'onto', 'on to', 'upon', 'atop', 'on', 'over'];
const ROUTE_PREPS = ['through', 'thru', 'via', 'into', 'in', 'across', 'along'];

/** Lowercases, trims punctuation and politeness: "Could you please put ... , thanks!" -> "put ...". */
export function normalize(text: string): string {
  let s = text
    .toLowerCase()
    .replace(/[\u2018\u2019`]/g, "'")
    .replace(/[\u201c\u201d"]/g, '')
    .replace(/[!?]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  for (let i = 0; i < 8; i++) {
    const before = s;
    s = stripPoliteness(s);
    if (s === before) break;
  }
  return s;
}

function stripPoliteness(input: string): string {
  return input
    .replace(/[\s.,;:]+$/, '')
    .replace(
      /^(?:hey|hi|ok|okay|alright|robot|so|now|actually|instead|no|oh|sorry|change of plans?)\b[,:]?\s*/,
      '',
    )
    .replace(/^(?:could|can|would|will|wouldn't|won't) you\b(?: (?:please|kindly|now|just))*[,]?\s*/, '')
    .replace(/^(?:please|kindly|just)\b[,]?\s*/, '')
    .replace(
      /^(?:i (?:want|need|would like|'d like) you to|i want to|i'd like to|i would like to|let's|lets|go ahead and|try to)\s+/,
      '',
    )
    .replace(
      /[,]?\s*\b(?:please|for me|thanks|thank you|if you can|if you could|if possible|now|instead)$/,
      '',
    )
    .trim();
}

/** Parses an instruction into subtasks, or names the part it could not parse. */
export function parseInstruction(instruction: string): ParseResult {
  if (instruction.length > MAX_INSTRUCTION_CHARS) {
    return { ok: false, text: '', unparsed: `${instruction.slice(0, 40)}...`, tooLong: true };
  }
  const text = normalize(instruction);
  if (!/[a-z]/.test(text)) return { ok: false, text, unparsed: text, empty: true };
  const pieces = cutPieces(text);
  if (pieces.length > MAX_PIECES) return { ok: false, text, unparsed: text, tooLong: true };
  const n = pieces.length;
  // best[i]: the cheapest parse of pieces [0, i): fewest unparsed pieces, then fewest subtasks.
  type Cell = { bad: number; count: number; from: number; subtask?: Subtask };
  const best: Array<Cell | undefined> = [{ bad: 0, count: 0, from: -1 }];
  const better = (a: Cell, b: Cell | undefined) =>
    !b || a.bad < b.bad || (a.bad === b.bad && a.count < b.count);
  for (let i = 1; i <= n; i++) {
    for (let j = 0; j < i; j++) {
      const prev = best[j];
      if (!prev) continue;
      const seg = text.slice(pieces[j]!.start, pieces[i - 1]!.end);
      const subtask = parseSegment(seg);
      const cell: Cell = subtask
        ? { bad: prev.bad, count: prev.count + 1, from: j, subtask }
        : { bad: prev.bad + (i - j), count: prev.count + 1, from: j };
      // Unparsed stretches are taken one piece at a time, so they are reported precisely.
      if (!subtask && i - j > 1) continue;
      if (better(cell, best[i])) best[i] = cell;
    }
  }
  const cells: Array<Cell & { to: number }> = [];
  for (let i = n; i > 0; i = best[i]!.from) cells.unshift({ ...best[i]!, to: i });
  const subtasks = cells.flatMap((c) => (c.subtask ? [c.subtask] : []));
  const firstBad = cells.findIndex((c) => !c.subtask);
  if (firstBad < 0) return { ok: true, subtasks, text };
  // Report the first unparsed stretch (adjacent unparsed pieces merged), without any parseable prefix.
  let last = firstBad;
  while (cells[last + 1] && !cells[last + 1]!.subtask) last++;
  const start = pieces[cells[firstBad]!.from]!.start;
  const end = pieces[cells[last]!.to - 1]!.end;
  return { ok: false, text, unparsed: narrowUnparsed(text.slice(start, end)) };
}

/** A parseable leading part of a failed segment is not the problem: report the rest. */
function narrowUnparsed(segment: string): string {
  const words = segment.split(' ');
  for (let k = words.length - 1; k >= 2; k--) {
    if (parseSegment(words.slice(0, k).join(' '))) return words.slice(k).join(' ');
  }
  return stripConnectives(segment);
}

const JOINER =
  /\s*(?:[,;]|\.(?!\d))\s*(?:(?:and\s+)?(?:then|after\s+that|afterwards|next|finally|lastly)\b,?\s*|and\s+)?|\s+(?:and\s+then|and\s+after\s+that|and|then|after\s+that|afterwards)\s+/g;

/** Cuts the text at every possible joiner; returns the pieces' spans. */
function cutPieces(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let start = 0;
  for (const m of text.matchAll(JOINER)) {
    if (m[0].length === 0) continue;
    const end = m.index;
    if (end > start) out.push({ start, end });
    start = end + m[0].length;
  }
  if (start < text.length) out.push({ start, end: text.length });
  return out.filter((p) => /[a-z0-9]/.test(text.slice(p.start, p.end)));
}

function stripConnectives(s: string): string {
  let t = s.trim();
  for (let i = 0; i < 4; i++) {
    const before = t;
    t = stripPoliteness(
      t
        .replace(/^[,;.\s]+/, '')
        .replace(
          /^(?:and|then|next|finally|lastly|first|firstly|afterwards|after that|also|now)\b[,]?\s*/,
          '',
        ),
    );
    if (t === before) break;
  }
  return t;
}

/** Parses one subtask ("put the red block in the blue bowl"), or undefined. */
export function parseSegment(segment: string): Subtask | undefined {
  const s = stripConnectives(segment);
  if (!s) return undefined;
  return (
    parseHome(s) ??
    parseStackAll(s) ??
    parseRoute(s) ??
    parsePush(s) ??
    parsePickAndPut(s) ??
    parseSort(s) ??
    parseStack(s) ??
    parsePut(s) ??
    parsePick(s)
  );
}

function parseHome(s: string): Subtask | undefined {
  return /^(?:go|return|move|head|come|get)(?: back)?(?: to)?(?: the| your)? (?:home|start|starting|rest|ready)(?: (?:position|pose|configuration))?$/.test(
    s,
  ) || /^(?:go|return|come) (?:back )?home$/.test(s)
    ? { type: 'home', text: s }
    : undefined;
}

const ALL_BLOCKS =
  /^(?:all(?: of)?(?: the)?|every|each|both(?: of)?(?: the)?|the) (?:([a-z]+) )?(blocks?|cubes?|bricks?)$/;

function allBlocksPhrase(s: string): NounPhrase | undefined {
  const m = ALL_BLOCKS.exec(s);
  if (!m) return undefined;
  const plural = m[2]!.endsWith('s');
  const everyWord = !s.startsWith('the ');
  if (!plural && !everyWord) return undefined;
  const color = m[1] ? colorWord(m[1]) : undefined;
  if (m[1] && !color) return undefined;
  return { text: s, all: true, kind: 'block', ...(color ? { color } : {}) };
}

function parseStackAll(s: string): Subtask | undefined {
  let m =
    /^(?:stack|pile)(?: up)? (.+?)(?: (?:on top of each other|on top of one another|on each other|onto each other|on one another|into (?:a|one) (?:tower|stack|pile)|in (?:a|one) (?:tower|stack|pile)|up))?$/.exec(
      s,
    );
  if (m) {
    const blocks = allBlocksPhrase(m[1]!);
    if (blocks) return { type: 'stack_all', blocks, text: s };
  }
  m =
    /^(?:make|build|create|form) (?:a|one) (?:tower|stack|pile)(?: (?:out of|from|with|of|using))? (.+)$/.exec(
      s,
    );
  if (m) {
    const blocks = allBlocksPhrase(m[1]!);
    if (blocks) return { type: 'stack_all', blocks, text: s };
  }
  return undefined;
}

function parseRoute(s: string): Subtask | undefined {
  const rest = afterVerb(s, ROUTE_VERBS);
  if (rest === undefined) return undefined;
  for (const [left, , right] of splits(rest, ROUTE_PREPS)) {
    const cable = parseNounPhrase(left);
    if (!cable || (cable.kind !== 'cable' && !cable.pronoun)) continue;
    const clips = parseClipList(right);
    if (clips) return { type: 'route', cable, clips, text: s };
  }
  return undefined;
}

function parseClipList(s: string): string[] | undefined {
  const t = s.replace(
    / (?:in (?:that|this|the given) order|in order|in sequence|one after (?:the )?other|in turn)$/,
    '',
  );
  const items = t
    .split(/\s*(?:,\s*and then|,\s*then|,\s*and|,|\band then|\bthen|\band)\s*/)
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  if (items.length === 0) return undefined;
  const labels: string[] = [];
  for (const item of items) {
    const m = /^(?:(?:the )?(?:clips?|clamps?|hooks?) )?([a-z0-9])$/.exec(item);
    if (!m) return undefined;
    labels.push(m[1]!.toUpperCase());
  }
  return labels;
}

function parsePush(s: string): Subtask | undefined {
  let t = s;
  let noLift = false;
  const m = /^(.+?),? without (?:lifting|picking)(?: it| them)?(?: up)?$/.exec(t);
  if (m) {
    t = m[1]!;
    noLift = true;
  }
  const rest = afterVerb(t, noLift ? [...PUSH_VERBS, ...PUT_VERBS] : PUSH_VERBS);
  if (rest === undefined) return undefined;
  for (const [left, , right] of splits(rest, TARGET_PREPS)) {
    const object = parseNounPhrase(left);
    const zone = parseNounPhrase(right);
    if (object && zone) return { type: 'push', object, zone, text: s };
  }
  return undefined;
}

function parsePickAndPut(s: string): Subtask | undefined {
  const rest = afterVerb(s, PICK_VERBS);
  if (rest === undefined) return undefined;
  for (const [left, , right] of splits(rest, ['and then', 'and'])) {
    const object = parseNounPhrase(left.replace(/,$/, '').replace(/ up$/, ''));
    if (!object) continue;
    const putRest = afterVerb(right, [...PUT_VERBS, ...STACK_VERBS]);
    if (putRest === undefined) continue;
    const tail = putRest.replace(/^(?:it|them)(?: down)? /, '').replace(/^down /, '');
    const prep = TARGET_PREPS.find((p) => tail.startsWith(`${p} `));
    if (!prep) continue;
    const target = parseNounPhrase(tail.slice(prep.length + 1));
    if (target) return { type: 'place', verb: 'put', object, target, text: s };
  }
  return undefined;
}

function parseSort(s: string): Subtask | undefined {
  const rest = afterVerb(s, SORT_VERBS);
  if (rest === undefined) return undefined;
  for (const [left, , right] of splits(rest, TARGET_PREPS)) {
    const blocks = allBlocksPhrase(left);
    if (!blocks?.color) continue;
    const target = parseNounPhrase(right);
    if (target) return { type: 'place', verb: 'put', object: blocks, target, text: s };
  }
  return undefined;
}

function parseStack(s: string): Subtask | undefined {
  const rest = afterVerb(s, STACK_VERBS);
  if (rest === undefined) return undefined;
  for (const [left, , right] of splits(rest, STACK_PREPS)) {
    const object = parseNounPhrase(left);
    const target = parseNounPhrase(right);
    if (object && target) return { type: 'place', verb: 'stack', object, target, text: s };
  }
  return undefined;
}

function parsePut(s: string): Subtask | undefined {
  const rest = afterVerb(s, PUT_VERBS);
  if (rest === undefined) return undefined;
  for (const [left, , right] of splits(rest, TARGET_PREPS)) {
    const object = parseNounPhrase(left.replace(/ (?:down|back)$/, ''));
    const target = parseNounPhrase(right);
    if (object && target) return { type: 'place', verb: 'put', object, target, text: s };
  }
  return undefined;
}

function parsePick(s: string): Subtask | undefined {
  const rest = afterVerb(s, PICK_VERBS);
  if (rest === undefined) return undefined;
  const object = parseNounPhrase(rest.replace(/ up$/, ''));
  return object && !object.all ? { type: 'pick', object, text: s } : undefined;
}

/** The text after a leading verb from `verbs`, or undefined. */
function afterVerb(s: string, verbs: readonly string[]): string | undefined {
  for (const v of verbs) if (s.startsWith(`${v} `)) return s.slice(v.length + 1);
  return undefined;
}

/** Every way to cut `s` at one of `words` (space-delimited): [left, word, right]. */
function* splits(s: string, words: readonly string[]): Generator<[string, string, string]> {
  for (const w of words) {
    const needle = ` ${w} `;
    for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
      const left = s.slice(0, i).trim();
      const right = s.slice(i + needle.length).trim();
      if (left && right) yield [left, w, right];
    }
  }
}

function colorWord(w: string): string | undefined {
  const c = COLOR_ALIASES[w] ?? w;
  return COLOR_SET.has(c) ? c : undefined;
}

const PRONOUNS = new Set([
  'it',
  'that',
  'this',
  'that one',
  'this one',
  'that block',
  'this block',
  'the same block',
  'the same one',
  'them',
]);

/** Parses a noun phrase ("the other red block", "the block left of the blue bowl"), or undefined. */
export function parseNounPhrase(input: string): NounPhrase | undefined {
  const text = input.trim();
  if (!text) return undefined;
  if (PRONOUNS.has(text)) return { text, pronoun: true, kind: 'any' };
  const words = text.split(' ');
  let i = 0;
  const np: NounPhrase = { text, kind: 'any' };
  // Quantifier and determiner.
  if (words[i] === 'all' || words[i] === 'both') {
    np.all = true;
    i++;
    if (words[i] === 'of') i++;
  } else if (words[i] === 'every' || words[i] === 'each') {
    np.all = true;
    i++;
  }
  if (words[i] === 'one' && words[i + 1] === 'of' && words[i + 2] === 'the') return undefined;
  if (['the', 'a', 'an', 'this', 'that'].includes(words[i] ?? '')) i++;
  // Modifiers.
  let ordinal: number | undefined;
  let extreme: 'left' | 'right' | 'near' | 'far' | undefined;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w === 'other') np.other = true;
    else if (colorWord(w)) {
      if (np.color) return undefined;
      np.color = colorWord(w)!;
    } else if (w in ORDINALS && words[i + 1] !== 'of') ordinal = ORDINALS[w];
    else if (w === 'last') extreme = extreme ?? 'right';
    else if (w in EXTREMES && i + 1 < words.length && !['of', 'to', 'from'].includes(words[i + 1]!)) {
      extreme = EXTREMES[w];
    } else break;
  }
  const nounWord = words[i];
  if (nounWord === undefined) return undefined;
  const singular = PLURALS[nounWord] ?? nounWord;
  const kind = NOUNS[singular];
  if (!kind) return undefined;
  if (PLURALS[nounWord] && !np.all) {
    // "the red blocks": all of them. "the blocks left of ..." is not supported.
    np.all = true;
  }
  np.kind = kind;
  i++;
  if (kind === 'clip' && words[i] && /^[a-z0-9]$/.test(words[i]!)) {
    np.label = words[i]!.toUpperCase();
    i++;
  }
  const post = words.slice(i).join(' ');
  if (post) {
    const where = parsePostModifier(post);
    if (!where) return undefined;
    if ('select' in where) {
      if (where.select.type === 'ordinal' && ordinal === undefined && where.select.n === 0) {
        extreme = where.select.from;
      } else if (where.select.type === 'ordinal') {
        if (ordinal === undefined) return undefined;
        np.select = { type: 'ordinal', n: ordinal, from: where.select.from };
        ordinal = undefined;
      }
    } else np.relation = where.relation;
  }
  if (ordinal !== undefined) np.select = { type: 'ordinal', n: ordinal, from: 'left' };
  else if (extreme !== undefined) np.select = { type: 'extreme', dir: extreme };
  if (np.all && (np.select || np.relation || np.other)) return undefined;
  return np;
}

function parsePostModifier(
  s: string,
):
  | { select: { type: 'ordinal'; n: number; from: 'left' | 'right' } }
  | { relation: NonNullable<NounPhrase['relation']> }
  | undefined {
  let m = /^(?:on|at|to) the (left|right)$/.exec(s);
  if (m) return { select: { type: 'ordinal', n: 0, from: m[1] as 'left' | 'right' } };
  m = /^from the (left|right)$/.exec(s);
  if (m) return { select: { type: 'ordinal', n: 1, from: m[1] as 'left' | 'right' } };
  const rel = /^(?:(?:that|which) is |that's )?(?:(?:to|on) the )?(left|right) of (.+)$/.exec(s);
  if (rel) {
    const ref = parseNounPhrase(rel[2]!);
    return ref && !ref.all ? { relation: { type: rel[1] as 'left' | 'right', ref } } : undefined;
  }
  const near =
    /^(?:(?:that|which) is |that's )?(?:(?:closest|nearest|next|close) to|nearest|closest|near|beside|by|next to) (.+)$/.exec(
      s,
    );
  if (near) {
    const ref = parseNounPhrase(near[1]!);
    return ref && !ref.all ? { relation: { type: 'near', ref } } : undefined;
  }
  const far = /^(?:(?:that|which) is |that's )?(?:farthest|furthest) (?:from|away from) (.+)$/.exec(s);
  if (far) {
    const ref = parseNounPhrase(far[1]!);
    return ref && !ref.all ? { relation: { type: 'far', ref } } : undefined;
  }
  return undefined;
}
