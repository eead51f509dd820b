/**
 * URDF parser: XML text -> a typed, validated robot model.
 *
 * Semantics follow the URDF spec (http://wiki.ros.org/urdf/XML):
 * - `<origin>` defaults to xyz="0 0 0" rpy="0 0 0"; rpy is roll about fixed X, then pitch about
 *   fixed Y, then yaw about fixed Z, so R = Rz(yaw) * Ry(pitch) * Rx(roll).
 * - `<axis>` defaults to "1 0 0" and is normalised here.
 * - revolute and prismatic joints need `<limit>` with effort and velocity; lower/upper default to 0.
 *   For continuous joints lower/upper are ignored and reported as -Infinity/+Infinity.
 * - materials defined at the top level (or named and coloured inside a visual) are resolved by name.
 *
 * Frames are ROS: Z-up, metres, radians. Nothing here converts to three.js's Y-up; the viewer does that.
 *
 * Every problem is a `UserError` that names the file, the element, the attribute and the bad value.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Matrix4 } from 'three';
import { z } from 'zod';
import { UserError } from '../../src/errors.ts';

export type Vec3 = [number, number, number];

export interface UrdfOrigin {
  /** Translation, metres. */
  xyz: Vec3;
  /** Fixed-axis roll, pitch, yaw, radians. */
  rpy: Vec3;
}

export type UrdfGeometry =
  | { type: 'box'; size: Vec3 }
  | { type: 'cylinder'; radius: number; length: number }
  | { type: 'sphere'; radius: number }
  | { type: 'mesh'; filename: string; scale: Vec3 };

export interface UrdfMaterial {
  name?: string;
  /** Linear 0..1 red, green, blue, alpha. */
  rgba?: [number, number, number, number];
}

export interface UrdfVisual {
  name?: string;
  origin: UrdfOrigin;
  geometry: UrdfGeometry;
  material?: UrdfMaterial;
}

export interface UrdfCollision {
  name?: string;
  origin: UrdfOrigin;
  geometry: UrdfGeometry;
}

export interface UrdfInertial {
  /** Centre of mass and principal frame, in the link frame. */
  origin: UrdfOrigin;
  /** kg */
  mass: number;
  /** kg·m², about the centre of mass in the inertial frame. */
  inertia: { ixx: number; ixy: number; ixz: number; iyy: number; iyz: number; izz: number };
}

export interface UrdfLink {
  name: string;
  visuals: UrdfVisual[];
  collisions: UrdfCollision[];
  inertial?: UrdfInertial;
}

export type UrdfJointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed' | 'floating' | 'planar';

export interface UrdfJointLimit {
  /** rad or m; -Infinity for continuous joints. */
  lower: number;
  /** rad or m; +Infinity for continuous joints. */
  upper: number;
  /** rad/s or m/s */
  velocity: number;
  /** N·m or N */
  effort: number;
}

export interface UrdfMimic {
  joint: string;
  multiplier: number;
  offset: number;
}

export interface UrdfJoint {
  name: string;
  type: UrdfJointType;
  parent: string;
  child: string;
  /** Pose of the joint frame (and of the child link at zero) in the parent link frame. */
  origin: UrdfOrigin;
  /** Unit axis in the joint frame. */
  axis: Vec3;
  limit?: UrdfJointLimit;
  mimic?: UrdfMimic;
}

export interface UrdfRobot {
  name: string;
  links: Map<string, UrdfLink>;
  /** In document order. */
  joints: UrdfJoint[];
  /** The one link that is no joint's child. */
  rootLink: string;
  /** Where the text came from, used in error messages. */
  source: string;
}

// ---------------------------------------------------------------------------------------------
// Raw structure, as fast-xml-parser returns it (attributes prefixed '@_', all values strings).
// zod checks the shape; numbers are parsed afterwards so errors can quote the attribute text.

/** An element: text content is ignored (URDF elements carry none), attributes and children kept. */
const el = <T extends z.ZodRawShape>(shape: T) =>
  z.preprocess((v) => (typeof v === 'string' ? {} : v), z.looseObject(shape));
/** An element that may repeat: always an array. */
const many = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(schema));
const attr = z.string();

const RawOrigin = el({ '@_xyz': attr.optional(), '@_rpy': attr.optional() });
const RawGeometry = el({
  box: el({ '@_size': attr }).optional(),
  cylinder: el({ '@_radius': attr, '@_length': attr }).optional(),
  sphere: el({ '@_radius': attr }).optional(),
  mesh: el({ '@_filename': attr, '@_scale': attr.optional() }).optional(),
});
const RawMaterial = el({
  '@_name': attr.optional(),
  color: el({ '@_rgba': attr }).optional(),
  texture: z.unknown().optional(),
});
const RawVisual = el({
  '@_name': attr.optional(),
  origin: RawOrigin.optional(),
  geometry: RawGeometry,
  material: RawMaterial.optional(),
});
const RawCollision = el({ '@_name': attr.optional(), origin: RawOrigin.optional(), geometry: RawGeometry });
const inertiaKeys = ['ixx', 'ixy', 'ixz', 'iyy', 'iyz', 'izz'] as const;
const RawInertial = el({
  origin: RawOrigin.optional(),
  mass: el({ '@_value': attr }),
  inertia: el({
    '@_ixx': attr,
    '@_ixy': attr,
    '@_ixz': attr,
    '@_iyy': attr,
    '@_iyz': attr,
    '@_izz': attr,
  }),
});
const RawLink = el({
  '@_name': attr,
  visual: many(RawVisual),
  collision: many(RawCollision),
  inertial: RawInertial.optional(),
});
const jointTypes = ['revolute', 'continuous', 'prismatic', 'fixed', 'floating', 'planar'] as const;
const RawJoint = el({
  '@_name': attr,
  '@_type': z.enum(jointTypes),
  parent: el({ '@_link': attr }),
  child: el({ '@_link': attr }),
  origin: RawOrigin.optional(),
  axis: el({ '@_xyz': attr.optional() }).optional(),
  limit: el({
    '@_lower': attr.optional(),
    '@_upper': attr.optional(),
    '@_effort': attr,
    '@_velocity': attr,
  }).optional(),
  mimic: el({ '@_joint': attr, '@_multiplier': attr.optional(), '@_offset': attr.optional() }).optional(),
});
const RawRobot = el({
  '@_name': attr,
  link: many(z.unknown()),
  joint: many(z.unknown()),
  material: many(z.unknown()),
});

type RawOriginT = z.infer<typeof RawOrigin>;
type RawGeometryT = z.infer<typeof RawGeometry>;
type RawMaterialT = z.infer<typeof RawMaterial>;

// ---------------------------------------------------------------------------------------------

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
});

/**
 * Parses URDF text. `source` names the text in errors (usually the file path).
 * @throws UserError for malformed XML, a bad structure or value, or an invalid kinematic tree.
 */
export function parseUrdf(xmlText: string, source: string): UrdfRobot {
  const fail = (msg: string): never => {
    throw new UserError(msg, { source });
  };
  if (typeof xmlText !== 'string' || xmlText.trim() === '') fail('empty URDF text');
  const valid = XMLValidator.validate(xmlText);
  if (valid !== true) {
    fail(`malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  }
  let doc: unknown;
  try {
    doc = xmlParser.parse(xmlText);
  } catch (e) {
    fail(`malformed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof doc !== 'object' || doc === null || !Object.hasOwn(doc, 'robot')) {
    fail('root element must be <robot>');
  }
  const robot = check(RawRobot, (doc as { robot: unknown }).robot, '<robot>', source);
  const ctx = new Ctx(source);

  // Materials: top level first, then named coloured materials defined inline in visuals.
  const materials = new Map<string, UrdfMaterial>();
  robot.material.forEach((m, i) => {
    const raw = check(RawMaterial, m, `<material> #${i + 1}`, source);
    const where = raw['@_name'] !== undefined ? `material "${raw['@_name']}"` : `<material> #${i + 1}`;
    const mat = ctx.material(raw, where);
    if (mat.name === undefined) fail(`${where}: top-level <material> needs a name`);
    if (materials.has(mat.name!)) fail(`${where}: duplicate material name "${mat.name}"`);
    materials.set(mat.name!, mat);
  });

  const links = new Map<string, UrdfLink>();
  const pendingMaterials: Array<{ visual: UrdfVisual; where: string }> = [];
  robot.link.forEach((l, i) => {
    const where = elementLabel('link', l, i);
    const raw = check(RawLink, l, where, source);
    const name = raw['@_name'];
    if (name === '') fail(`${where}: attribute "name" is empty`);
    if (links.has(name)) fail(`${where}: duplicate link name "${name}"`);
    const visuals = raw.visual.map((v, k) => {
      const vw = `${where} <visual> #${k + 1}`;
      const visual: UrdfVisual = {
        origin: ctx.origin(v.origin, vw),
        geometry: ctx.geometry(v.geometry, vw),
      };
      if (v['@_name'] !== undefined) visual.name = v['@_name'];
      if (v.material !== undefined) {
        visual.material = ctx.material(v.material, `${vw} <material>`);
        const mat = visual.material;
        if (mat.rgba === undefined) pendingMaterials.push({ visual, where: `${vw} <material>` });
        else if (mat.name !== undefined && !materials.has(mat.name)) materials.set(mat.name, mat);
      }
      return visual;
    });
    const collisions = raw.collision.map((c, k) => {
      const cw = `${where} <collision> #${k + 1}`;
      const collision: UrdfCollision = {
        origin: ctx.origin(c.origin, cw),
        geometry: ctx.geometry(c.geometry, cw),
      };
      if (c['@_name'] !== undefined) collision.name = c['@_name'];
      return collision;
    });
    const link: UrdfLink = { name, visuals, collisions };
    if (raw.inertial !== undefined) {
      const iw = `${where} <inertial>`;
      const inertia = {} as UrdfInertial['inertia'];
      for (const key of inertiaKeys) {
        inertia[key] = ctx.number(raw.inertial.inertia[`@_${key}`], `${iw} <inertia ${key}=...>`);
      }
      if (inertia.ixx < 0 || inertia.iyy < 0 || inertia.izz < 0) {
        fail(`${iw} <inertia>: principal moments ixx, iyy, izz must be non-negative`);
      }
      link.inertial = {
        origin: ctx.origin(raw.inertial.origin, iw),
        mass: ctx.nonNegative(raw.inertial.mass['@_value'], `${iw} <mass value=...>`),
        inertia,
      };
    }
    links.set(name, link);
  });
  for (const { visual, where } of pendingMaterials) {
    const name = visual.material!.name;
    const known = name === undefined ? undefined : materials.get(name);
    if (known === undefined) {
      fail(
        `${where}: material ${name === undefined ? 'has no name and no <color>' : `"${name}" is not defined`}`,
      );
    }
    visual.material = { ...known };
  }
  if (links.size === 0) fail('<robot> has no <link>');

  const joints: UrdfJoint[] = [];
  const jointNames = new Set<string>();
  robot.joint.forEach((j, i) => {
    const where = elementLabel('joint', j, i);
    const raw = check(RawJoint, j, where, source);
    const name = raw['@_name'];
    if (name === '') fail(`${where}: attribute "name" is empty`);
    if (jointNames.has(name)) fail(`${where}: duplicate joint name "${name}"`);
    jointNames.add(name);
    const type = raw['@_type'];
    const parent = raw.parent['@_link'];
    const child = raw.child['@_link'];
    if (!links.has(parent)) fail(`${where} <parent link="${parent}">: no such link`);
    if (!links.has(child)) fail(`${where} <child link="${child}">: no such link`);
    if (parent === child) fail(`${where}: parent and child are the same link "${parent}"`);
    let axis: Vec3 = [1, 0, 0];
    if (raw.axis?.['@_xyz'] !== undefined) {
      axis = ctx.vec3(raw.axis['@_xyz'], `${where} <axis xyz="${raw.axis['@_xyz']}">`);
      const n = Math.hypot(axis[0], axis[1], axis[2]);
      if (n < 1e-9 && type !== 'fixed' && type !== 'floating') {
        fail(`${where} <axis xyz="${raw.axis['@_xyz']}">: axis must be non-zero`);
      }
      if (n >= 1e-9) axis = [axis[0] / n, axis[1] / n, axis[2] / n];
    }
    const joint: UrdfJoint = { name, type, parent, child, origin: ctx.origin(raw.origin, where), axis };
    if (raw.limit !== undefined) {
      const lw = `${where} <limit`;
      const continuous = type === 'continuous';
      const lower = continuous ? -Infinity : ctx.number(raw.limit['@_lower'] ?? '0', `${lw} lower=...>`);
      const upper = continuous ? Infinity : ctx.number(raw.limit['@_upper'] ?? '0', `${lw} upper=...>`);
      if (lower > upper) fail(`${where} <limit>: lower ${lower} is greater than upper ${upper}`);
      joint.limit = {
        lower,
        upper,
        velocity: ctx.nonNegative(raw.limit['@_velocity'], `${lw} velocity=...>`),
        effort: ctx.nonNegative(raw.limit['@_effort'], `${lw} effort=...>`),
      };
    } else if (type === 'revolute' || type === 'prismatic') {
      fail(`${where}: a ${type} joint needs a <limit> element`);
    }
    if (raw.mimic !== undefined) {
      const mw = `${where} <mimic`;
      joint.mimic = {
        joint: raw.mimic['@_joint'],
        multiplier: ctx.number(raw.mimic['@_multiplier'] ?? '1', `${mw} multiplier=...>`),
        offset: ctx.number(raw.mimic['@_offset'] ?? '0', `${mw} offset=...>`),
      };
    }
    joints.push(joint);
  });

  const byName = new Map(joints.map((j) => [j.name, j]));
  for (const j of joints) {
    if (j.mimic === undefined) continue;
    const where = `joint "${j.name}" <mimic joint="${j.mimic.joint}">`;
    const master = byName.get(j.mimic.joint);
    if (master === undefined) fail(`${where}: no such joint`);
    if (master!.name === j.name) fail(`${where}: a joint cannot mimic itself`);
    if (master!.mimic !== undefined) fail(`${where}: mimics a joint that is itself a mimic`);
    if (master!.type === 'fixed') fail(`${where}: mimics a fixed joint`);
  }

  const rootLink = findRoot(links, joints, fail);
  const name = robot['@_name'];
  return { name, links, joints, rootLink, source };
}

/**
 * Writes a URDF origin (xyz, fixed-axis rpy) as a pose into `out`. Also used for robot.yaml's `mount`.
 */
export function originToMatrix4(origin: UrdfOrigin, out: Matrix4): Matrix4 {
  const [x, y, z] = origin.xyz;
  const [r, p, yw] = origin.rpy;
  const cr = Math.cos(r);
  const sr = Math.sin(r);
  const cp = Math.cos(p);
  const sp = Math.sin(p);
  const cy = Math.cos(yw);
  const sy = Math.sin(yw);
  // R = Rz(yaw) Ry(pitch) Rx(roll)
  return out.set(
    cy * cp,
    cy * sp * sr - sy * cr,
    cy * sp * cr + sy * sr,
    x,
    sy * cp,
    sy * sp * sr + cy * cr,
    sy * sp * cr - cy * sr,
    y,
    -sp,
    cp * sr,
    cp * cr,
    z,
    0,
    0,
    0,
    1,
  );
}

// ---------------------------------------------------------------------------------------------

function findRoot(links: Map<string, UrdfLink>, joints: UrdfJoint[], fail: (m: string) => never): string {
  const parentOf = new Map<string, string>();
  const children = new Map<string, string[]>();
  for (const j of joints) {
    const prev = parentOf.get(j.child);
    if (prev !== undefined) {
      fail(`joint "${j.name}": link "${j.child}" already has a parent joint "${prev}" (URDF must be a tree)`);
    }
    parentOf.set(j.child, j.name);
    const list = children.get(j.parent);
    if (list) list.push(j.child);
    else children.set(j.parent, [j.child]);
  }
  const roots = [...links.keys()].filter((l) => !parentOf.has(l));
  if (roots.length === 0)
    fail('kinematic tree has no root link: every link is a child, so the joints form a cycle');
  if (roots.length > 1) {
    fail(
      `kinematic tree has ${roots.length} root links (${roots.map((r) => `"${r}"`).join(', ')}); expected one`,
    );
  }
  const root = roots[0]!;
  const seen = new Set<string>([root]);
  const stack = [root];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        stack.push(c);
      }
    }
  }
  if (seen.size !== links.size) {
    const cyc = [...links.keys()].filter((l) => !seen.has(l));
    fail(`kinematic tree has a cycle through links ${cyc.map((c) => `"${c}"`).join(', ')}`);
  }
  return root;
}

function elementLabel(tag: string, raw: unknown, index: number): string {
  const name =
    typeof raw === 'object' && raw !== null && typeof (raw as Record<string, unknown>)['@_name'] === 'string'
      ? ((raw as Record<string, unknown>)['@_name'] as string)
      : undefined;
  return name !== undefined ? `${tag} "${name}"` : `<${tag}> #${index + 1}`;
}

/** zod check with an error message in URDF terms: element, attribute, value. */
function check<T extends z.ZodType>(schema: T, value: unknown, where: string, source: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  let node: unknown = value;
  let parent: unknown;
  const elements: string[] = [];
  let attribute: string | undefined;
  for (const seg of issue.path) {
    parent = node;
    node =
      typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[seg] : undefined;
    if (typeof seg === 'string' && seg.startsWith('@_')) attribute = seg.slice(2);
    else if (typeof seg === 'string') elements.push(`<${seg}>`);
    else if (typeof seg === 'number') elements.push(`#${seg + 1}`);
  }
  const at = elements.length ? `${where} ${elements.join(' ')}` : where;
  let msg: string;
  if (Array.isArray(node) && parent !== undefined && issue.code === 'invalid_type') {
    msg = `${at}: more than one ${elements[elements.length - 1] ?? 'element'}`;
  } else if (attribute !== undefined) {
    if (node === undefined) msg = `${at}: missing attribute "${attribute}"`;
    else if (issue.code === 'invalid_value') {
      msg = `${at}: attribute ${attribute}="${String(node)}" must be one of ${jointTypes.join(', ')}`;
    } else msg = `${at}: bad attribute ${attribute}: ${issue.message}`;
  } else if (node === undefined) {
    msg = elements.length ? `${where}: missing element ${elements.join(' ')}` : `${where}: missing`;
  } else {
    msg = `${at}: ${issue.message}`;
  }
  throw new UserError(msg, { source });
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses attribute text into numbers, with errors that quote the text. */
class Ctx {
  constructor(readonly source: string) {}

  fail(msg: string): never {
    throw new UserError(msg, { source: this.source });
  }

  numbers(text: string, count: number, where: string): number[] {
    const parts = text
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '');
    const values = parts.map((p) => (NUMBER_RE.test(p) ? Number(p) : Number.NaN));
    if (parts.length !== count || values.some((v) => !Number.isFinite(v))) {
      this.fail(`${where}: expected ${count === 1 ? 'a number' : `${count} numbers`}, got "${text}"`);
    }
    return values;
  }

  number(text: string, where: string): number {
    return this.numbers(text, 1, where)[0]!;
  }

  nonNegative(text: string, where: string): number {
    const v = this.number(text, where);
    if (v < 0) this.fail(`${where}: expected a non-negative number, got "${text}"`);
    return v;
  }

  vec3(text: string, where: string): Vec3 {
    return this.numbers(text, 3, where) as Vec3;
  }

  origin(raw: RawOriginT | undefined, where: string): UrdfOrigin {
    const xyz = raw?.['@_xyz'];
    const rpy = raw?.['@_rpy'];
    return {
      xyz: xyz === undefined ? [0, 0, 0] : this.vec3(xyz, `${where} <origin xyz="${xyz}">`),
      rpy: rpy === undefined ? [0, 0, 0] : this.vec3(rpy, `${where} <origin rpy="${rpy}">`),
    };
  }

  geometry(raw: RawGeometryT, where: string): UrdfGeometry {
    const kinds = (['box', 'cylinder', 'sphere', 'mesh'] as const).filter((k) => raw[k] !== undefined);
    if (kinds.length !== 1) {
      this.fail(
        `${where} <geometry>: expected exactly one of <box>, <cylinder>, <sphere>, <mesh>, got ${kinds.length === 0 ? 'none' : kinds.map((k) => `<${k}>`).join(', ')}`,
      );
    }
    const positive = (text: string, w: string) => {
      const v = this.number(text, w);
      if (v <= 0) this.fail(`${w}: expected a positive number, got "${text}"`);
      return v;
    };
    if (raw.box) {
      const text = raw.box['@_size'];
      const size = this.vec3(text, `${where} <box size="${text}">`);
      if (size.some((s) => s <= 0)) this.fail(`${where} <box size="${text}">: sizes must be positive`);
      return { type: 'box', size };
    }
    if (raw.cylinder) {
      const c = raw.cylinder;
      return {
        type: 'cylinder',
        radius: positive(c['@_radius'], `${where} <cylinder radius="${c['@_radius']}">`),
        length: positive(c['@_length'], `${where} <cylinder length="${c['@_length']}">`),
      };
    }
    if (raw.sphere) {
      const r = raw.sphere['@_radius'];
      return { type: 'sphere', radius: positive(r, `${where} <sphere radius="${r}">`) };
    }
    const m = raw.mesh!;
    if (m['@_filename'] === '') this.fail(`${where} <mesh filename="">: filename is empty`);
    const scale = m['@_scale'];
    return {
      type: 'mesh',
      filename: m['@_filename'],
      scale: scale === undefined ? [1, 1, 1] : this.vec3(scale, `${where} <mesh scale="${scale}">`),
    };
  }

  material(raw: RawMaterialT, where: string): UrdfMaterial {
    const mat: UrdfMaterial = {};
    if (raw['@_name'] !== undefined) mat.name = raw['@_name'];
    if (raw.color !== undefined) {
      const text = raw.color['@_rgba'];
      const rgba = this.numbers(text, 4, `${where} <color rgba="${text}">`);
      if (rgba.some((c) => c < 0 || c > 1)) {
        this.fail(`${where} <color rgba="${text}">: components must be within [0, 1]`);
      }
      mat.rgba = rgba as [number, number, number, number];
    }
    return mat;
  }
}
