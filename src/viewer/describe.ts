/** A plan step as /policy/plan carries it (src/policy/planner/Plan.ts). */
export interface PlanStepJson {
  skill: string;
  object?: string;
  target?: string;
  zone?: string;
  cable?: string;
  clip?: string;
}

/** /policy/status (src/policy/language/LanguagePolicy.ts), as far as the viewer shows it. */
export interface PolicyStatusJson {
  state: string;
  step?: number;
  skill?: string;
  attempts?: number;
  retries?: number;
  recoveries?: number;
  reason?: string;
  instruction?: string;
  planner?: { reason: string; unparsed?: string; suggestions?: string[] };
}

const words = (id: string | undefined) => (id ?? '?').replace(/_/g, ' ');

/** One plan step in words: "pick red block", "place red block in blue bowl". */
export function describeStep(step: PlanStepJson): string {
  switch (step.skill) {
    case 'pick':
      return `pick ${words(step.object)}`;
    case 'place':
      return `place ${words(step.object)} on ${words(step.target)}`;
    case 'push':
      return `push ${words(step.object)} into ${words(step.zone)}`;
    case 'route_through':
      return `route ${words(step.cable)} through ${words(step.clip)}`;
    case 'go_home':
      return 'go home';
    default:
      return words(step.skill);
  }
}

/** The status lines the panel shows. `steps` is the plan's length, if a plan is known. */
export function describeStatus(
  s: PolicyStatusJson,
  steps: number | undefined,
): { state: string; step: string; attempts: string; retries: string; reason: string } {
  const n = steps ?? 0;
  let step = '–';
  if (s.state !== 'idle' && s.step !== undefined) {
    step =
      s.step >= n && n > 0
        ? `${n}/${n} done`
        : `${s.step + 1}${n ? `/${n}` : ''}${s.skill ? ` ${words(s.skill)}` : ''}`;
  }
  let reason = s.reason ?? '';
  if (s.planner?.suggestions?.length) reason += ` (try: ${s.planner.suggestions.join('; ')})`;
  return {
    state: s.state,
    step,
    attempts: s.attempts !== undefined && s.state !== 'idle' ? String(s.attempts) : '–',
    retries: s.retries !== undefined ? `${s.retries} (recoveries ${s.recoveries ?? 0})` : '–',
    reason,
  };
}
