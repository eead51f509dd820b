export { goalToPlan, sortOrder, stackOrder } from './goalToPlan.ts';
export {
  checkReply,
  createLlmPlanner,
  LlmPlanner,
  type LlmPlannerOptions,
  LlmPlannerOptionsSchema,
  LlmPlanReplySchema,
  type LlmPlanResult,
  planJsonSchema,
} from './LlmPlanner.ts';
export {
  checkSteps,
  type Plan,
  PlanSchema,
  type PlanSource,
  type PlanValidation,
  SKILL_NAMES,
  type SkillCall,
  SkillCallSchema,
  type SkillName,
  validatePlan,
} from './Plan.ts';
export { type NounPhrase, normalize, parseInstruction, type Subtask } from './parseInstruction.ts';
export { measurePlanningLatency, type PlanningLatency, type PlanningLatencyCase } from './planningLatency.ts';
export { type PlanResult, planFromInstruction, suggestPhrasings } from './RuleBasedPlanner.ts';
export {
  describeObject,
  type ObjectKind,
  toWorldSummary,
  type WorldObject,
  type WorldSummary,
  WorldSummarySchema,
} from './WorldSummary.ts';
