import { Matrix4, Quaternion, Vector3 } from 'three';
import type { MessageType } from '../../src/msgs/index.ts';
import type { RobotDescription } from '../robot/RobotConfig.ts';
import { originToMatrix4 } from '../robot/Urdf.ts';
import { transform } from './transform.ts';

type TransformStamped = MessageType<'geometry_msgs/msg/TransformStamped'>;
type Stamp = { sec: number; nanosec: number };

const _inv = new Matrix4();
const _rel = new Matrix4();
const _p = new Vector3();
const _q = new Quaternion();
const _s = new Vector3();

/**
 * The robot's frames as robot_state_publisher broadcasts them: one transform per
 * URDF joint, parent link → child link. Fixed joints (and world → base_link) go on
 * /tf_static; movable joints on /tf, read from the robot tree's current state.
 * `framePrefix` is robot_state_publisher's frame_prefix: with `left/`, every link frame
 * is `left/<link>` (the world frame is shared and stays `world`), so several robots of one
 * model share one tf tree.
 */
export class TransformTree {
  readonly #desc: RobotDescription;
  readonly #movable: Array<{ parent: string; child: string }>;
  readonly #fixed: Array<{ parent: string; child: string; origin: Matrix4 }>;
  readonly #prefix: string;

  constructor(desc: RobotDescription, framePrefix = '') {
    this.#desc = desc;
    this.#prefix = framePrefix;
    this.#movable = [];
    this.#fixed = [];
    for (const j of desc.urdf.joints) {
      if (j.type === 'fixed')
        this.#fixed.push({
          parent: j.parent,
          child: j.child,
          origin: originToMatrix4(j.origin, new Matrix4()),
        });
      else this.#movable.push({ parent: j.parent, child: j.child });
    }
  }

  staticTransforms(stamp: Stamp): TransformStamped[] {
    const mount = this.#desc.config.mount ?? { xyz: [0, 0, 0], rpy: [0, 0, 0] };
    const p = this.#prefix;
    const out = [
      matrixTransform(stamp, 'world', p + this.#desc.config.base_link, originToMatrix4(mount, new Matrix4())),
    ];
    for (const f of this.#fixed) out.push(matrixTransform(stamp, p + f.parent, p + f.child, f.origin));
    return out;
  }

  dynamicTransforms(stamp: Stamp): TransformStamped[] {
    const tree = this.#desc.tree;
    return this.#movable.map((j) => {
      _inv.copy(tree.linkPose(j.parent)).invert();
      _rel.multiplyMatrices(_inv, tree.linkPose(j.child));
      return matrixTransform(stamp, this.#prefix + j.parent, this.#prefix + j.child, _rel);
    });
  }
}

function matrixTransform(stamp: Stamp, parent: string, child: string, m: Matrix4): TransformStamped {
  m.decompose(_p, _q, _s);
  return transform(stamp, parent, child, [_p.x, _p.y, _p.z], [_q.x, _q.y, _q.z, _q.w]);
}
