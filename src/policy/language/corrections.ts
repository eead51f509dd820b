/**
 * Language corrections (RT-H-style "language motions"): short utterances that adjust the
 * running skill instead of asking for a new plan.
 *
 * - Nudges: "a bit more to the left", "higher", "lower", "2 cm forward", "move right a lot".
 *   Directions are in the robot's base frame (ROS, Z-up), as the planner's selectors are:
 *   left is +y as seen from behind the robot looking along +x, forward is +x (away from the
 *   base), up is +z. "a bit"/"slightly"/"a little": 1 cm; plain: 2 cm; "a lot"/"much": 5 cm;
 *   an explicit distance ("3 cm", "15 mm") is taken as said, up to 10 cm.
 * - "stop", "wait", "hold on", "pause", "freeze": hold the arm where it is.
 * - "continue", "go on", "resume", "carry on", "ok go": carry on from where it stopped.
 * - "go back", "back up", "undo", "try again": drop the nudges, lift clear and redo the
 *   running step from its start.
 * - "reset the correction", "forget the correction": drop the nudges.
 *
 * Anything else is not a correction and goes to the planner.
 */
import { normalize } from '../planner/parseInstruction.ts';

export type Correction =
  | { kind: 'nudge'; offset: [number, number, number]; text: string }
  | { kind: 'stop'; text: string }
  | { kind: 'resume'; text: string }
  | { kind: 'back'; text: string }
  | { kind: 'clear'; text: string };

/** Largest single nudge, m: a correction is a small adjustment, not a new target. */
export const MAX_NUDGE = 0.1;

const DIRECTIONS: Array<{ re: RegExp; axis: 0 | 1 | 2; sign: 1 | -1 }> = [
  { re: /\b(?:to the left|left(?:wards?)?)\b/, axis: 1, sign: 1 },
  { re: /\b(?:to the right|right(?:wards?)?)\b/, axis: 1, sign: -1 },
  { re: /\b(?:forwards?|further away|farther away|away from (?:you|the robot)|away)\b/, axis: 0, sign: 1 },
  {
    re: /\b(?:backwards?|back|closer(?: to (?:you|the robot))?|towards? (?:you|the robot))\b/,
    axis: 0,
    sign: -1,
  },
  { re: /\b(?:higher|up(?:wards?)?|raise it)\b/, axis: 2, sign: 1 },
  { re: /\b(?:lower|down(?:wards?)?)\b/, axis: 2, sign: -1 },
];

const STOP = /^(?:stop|halt|wait|hold on|hold it|hold still|pause|freeze|stop (?:there|moving|now|it))$/;
const RESUME = /^(?:continue|go on|resume|carry on|keep going|go ahead|ok go|proceed|unpause)$/;
const BACK =
  /^(?:go back|back up|back off|undo(?: that)?|try (?:that )?again|start (?:that|this) step again)$/;
const CLEAR = /^(?:(?:reset|forget|clear|cancel) (?:the |that |your )?corrections?|no corrections?)$/;

/**
 * Reads `text` as a correction, or returns undefined when it is not one (then it is an
 * instruction for the planner).
 */
export function parseCorrection(text: string): Correction | undefined {
  const s = normalize(text).replace(/\.$/, '');
  if (STOP.test(s)) return { kind: 'stop', text: s };
  if (RESUME.test(s)) return { kind: 'resume', text: s };
  if (BACK.test(s)) return { kind: 'back', text: s };
  if (CLEAR.test(s)) return { kind: 'clear', text: s };
  return parseNudge(s);
}

const NUDGE_WORDS =
  /^(?:(?:move|go|shift|nudge|put it|place it|bring it|a bit|a little|a lot|slightly|much|bit|little|way|more|further|farther|even|it|the|to|and|cm|mm|centimetres?|centimeters?|millimetres?|millimeters?|\d+(?:\.\d+)?)\s*)+$/;

function parseNudge(s: string): Correction | undefined {
  const offset: [number, number, number] = [0, 0, 0];
  let rest = s;
  let found = false;
  for (const d of DIRECTIONS) {
    const m = d.re.exec(rest);
    if (!m) continue;
    // "back" inside "go back" is handled above; a direction word used twice is one direction.
    if (offset[d.axis] !== 0) return undefined; // "left and right": contradictory
    offset[d.axis] = d.sign;
    rest = `${rest.slice(0, m.index)} ${rest.slice(m.index + m[0].length)}`;
    found = true;
  }
  if (!found) return undefined;
  rest = rest.replace(/\s+/g, ' ').trim();
  // Everything left must be nudge vocabulary: "put the red block a bit higher" is not a nudge.
  if (rest !== '' && !NUDGE_WORDS.test(rest)) return undefined;
  const magnitude = nudgeMagnitude(s);
  if (magnitude === undefined) return undefined;
  const scale = magnitude / Math.hypot(...offset);
  return { kind: 'nudge', offset: offset.map((v) => v * scale) as [number, number, number], text: s };
}

function nudgeMagnitude(s: string): number | undefined {
  const explicit = /(\d+(?:\.\d+)?)\s*(cm|centimet(?:re|er)s?|mm|millimet(?:re|er)s?)\b/.exec(s);
  if (explicit) {
    const v = Number(explicit[1]) * (explicit[2]!.startsWith('m') ? 0.001 : 0.01);
    return v > 0 && v <= MAX_NUDGE ? v : undefined;
  }
  if (/\b(?:a bit|a little|slightly|bit|little|tad)\b/.test(s)) return 0.01;
  if (/\b(?:a lot|much|way|far)\b/.test(s)) return 0.05;
  return 0.02;
}
