import type { Action, Observation } from '../../../sim/Env.ts';
import type { RobotDescription } from '../../../sim/robot/RobotConfig.ts';
import type { SceneSpec } from '../../../sim/scene/SceneSpec.ts';
import type { Context, Publisher } from '../../graph/index.ts';
import { QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from '../../graph/index.ts';
import type { MessageType } from '../../msgs/index.ts';
import { type NodePolicy, PolicyNode } from '../PolicyNode.ts';
import { LanguagePolicy, type Planner } from './LanguagePolicy.ts';

export interface LanguageNodeOptions {
  /** robot.yaml configuration; the kinematics come from /robot_description. */
  robot: RobotDescription;
  scene: SceneSpec;
  /** Command rate, Hz (sim time). @default 60 */
  controlHz?: number;
  /** Node name. @default 'language_policy' */
  name?: string;
  /** instruction + world -> plan, such as an LLM planner (`asPlanner`). @default the rule-based planner */
  planner?: Planner;
  /** Namespace of the node and every topic it uses (`/left` gives `/left/instruction`). @default '/' */
  namespace?: string;
}

type StringPublisher = Publisher<MessageType<'std_msgs/msg/String'>>;

/**
 * The language-conditioned policy on the graph: /instruction (std_msgs/String) in,
 * arm and gripper commands out through the ros2_control contract (as PolicyNode),
 * /policy/plan (the plan as JSON, transient local) and /policy/status (JSON, 10 Hz
 * and on every change of state) out. Until an instruction arrives it holds still; a
 * new instruction mid-plan switches to it (the executor sets a held block down first
 * unless the new plan uses it).
 */
export class LanguageNode {
  readonly policyNode: PolicyNode;
  #language: LanguagePolicy | undefined;
  #pending: string | undefined;
  #lastPlan = '';
  #lastState = '';
  readonly #planPub: StringPublisher;
  readonly #statusPub: StringPublisher;

  constructor(context: Context, options: LanguageNodeOptions) {
    const controlHz = options.controlHz ?? 60;
    const self = this;
    const policy: NodePolicy = {
      act(obs: Observation): Action {
        return self.#act(obs, options, controlHz);
      },
      get finished() {
        return self.#language?.finished ?? false;
      },
      get failure() {
        return self.#language?.failure;
      },
    };
    this.policyNode = new PolicyNode(context, {
      robot: options.robot,
      scene: options.scene,
      controlHz,
      name: options.name ?? 'language_policy',
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      createPolicy: () => policy,
    });
    const node = this.policyNode.node;
    this.#planPub = node.createPublisher('std_msgs/msg/String', 'policy/plan', QOS_TRANSIENT_LOCAL);
    this.#statusPub = node.createPublisher('std_msgs/msg/String', 'policy/status', QOS_DEFAULT);
    node.createSubscription('std_msgs/msg/String', 'instruction', QOS_DEFAULT, (msg) => {
      if (this.#language) this.#language.setInstruction(msg.data);
      else this.#pending = msg.data;
    });
    node.createTimer(0.1, () => this.#publishStatus());
  }

  get language(): LanguagePolicy | undefined {
    return this.#language;
  }

  get failure(): string | undefined {
    return this.#language?.failure;
  }

  destroy(): void {
    this.policyNode.destroy();
  }

  #act(obs: Observation, options: LanguageNodeOptions, controlHz: number): Action {
    if (!this.#language && this.#pending !== undefined) {
      this.#language = new LanguagePolicy(this.policyNode.robot ?? options.robot, this.#pending, {
        controlHz,
        ...(options.planner ? { planner: options.planner } : {}),
      });
      this.#pending = undefined;
    }
    if (!this.#language) return { joints: obs.joints.position, gripper: obs.gripper.width };
    const action = this.#language.act(obs);
    const plan = JSON.stringify(this.#language.plan ?? null);
    if (plan !== this.#lastPlan) {
      this.#lastPlan = plan;
      this.#planPub.publish({ data: plan });
    }
    if (this.#language.status.state !== this.#lastState) this.#publishStatus();
    return action;
  }

  #publishStatus(): void {
    const status = this.#language?.status ?? { state: 'idle' };
    this.#lastState = status.state;
    this.#statusPub.publish({ data: JSON.stringify(status) });
  }
}
