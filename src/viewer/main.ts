// The simbridge browser viewer: a three.js view of the scene and a control panel, on rosbridge.
import { describeStatus, describeStep, type PlanStepJson, type PolicyStatusJson } from './describe.ts';
import type { TransformStampedJson } from './FrameTree.ts';
import { type ImageJson, imageToRgba } from './imageToRgba.ts';
import { DEFAULT_FIXTURE_DIMS, type FixtureDims } from './objectShape.ts';
import { RosLink } from './RosLink.ts';
import { type DetectionArrayJson, type JointStateJson, SceneView } from './SceneView.ts';

/** What `simbridge up` serves at ./config.json. Every field is optional: the viewer also works on its own. */
interface ViewerConfig {
  /** rosbridge's port on the host that served this page. */
  rosbridgePort?: number;
  rosbridgeUrl?: string;
  tasks?: string[];
  task?: string;
  seed?: number;
  fixtures?: Partial<FixtureDims>;
}

interface SimStatusJson {
  state: string;
  task: string;
  instruction: string;
  time: number;
  checks: Record<string, boolean>;
  lastError: string;
}

/** How long without /sim/status (sent at 10 Hz of sim time) before the panel says the sim is not advancing, ms. */
const STALL_MS = 1500;

const $ = <T extends HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el as T;
};

async function loadConfig(): Promise<ViewerConfig> {
  try {
    const res = await fetch('./config.json', { cache: 'no-store' });
    return res.ok ? ((await res.json()) as ViewerConfig) : {};
  } catch {
    return {};
  }
}

/** `?rosbridge=ws://robot:9090` points the viewer at any rosbridge server; else the one `up` started. */
function rosbridgeUrl(config: ViewerConfig): string {
  const fromQuery = new URLSearchParams(location.search).get('rosbridge');
  if (fromQuery) return fromQuery;
  // The host this page came from, so that the viewer also works from another machine (--host 0.0.0.0).
  const host = location.hostname || '127.0.0.1';
  if (config.rosbridgePort !== undefined) return `ws://${host}:${config.rosbridgePort}`;
  return config.rosbridgeUrl ?? `ws://${host}:9090`;
}

async function main(): Promise<void> {
  const config = await loadConfig();
  const view = new SceneView($('view'));
  view.fixtures = { ...DEFAULT_FIXTURE_DIMS, ...config.fixtures };
  const link = new RosLink(rosbridgeUrl(config));

  const linkBadge = $('link');
  link.onState((state) => {
    linkBadge.textContent = state === 'connected' ? `connected` : state;
    linkBadge.className = `badge ${state}`;
    linkBadge.title = link.url;
  });

  const message = $<HTMLParagraphElement>('message');
  const say = (text: string) => {
    message.textContent = text;
    message.hidden = text === '';
  };

  // ---- the scene -----------------------------------------------------------------
  link.subscribe<{ data: string }>('/robot_description', 'std_msgs/msg/String', (msg) => {
    try {
      view.setRobotDescription(msg.data);
    } catch (err) {
      say(`/robot_description: ${(err as Error).message}`);
    }
  });
  link.subscribe<JointStateJson>(
    '/joint_states',
    'sensor_msgs/msg/JointState',
    (msg) => view.setJointStates(msg, performance.now()),
    { throttleMs: 20 },
  );
  link.subscribe<{ transforms: TransformStampedJson[] }>(
    '/tf',
    'tf2_msgs/msg/TFMessage',
    (msg) => view.addTransforms(msg.transforms, performance.now(), false),
    { queueLength: 4 },
  );
  link.subscribe<{ transforms: TransformStampedJson[] }>(
    '/tf_static',
    'tf2_msgs/msg/TFMessage',
    (msg) => view.addTransforms(msg.transforms, performance.now(), true),
    { queueLength: 4 },
  );
  link.subscribe<DetectionArrayJson>('/detections', 'vision_msgs/msg/Detection3DArray', (msg) =>
    view.setDetections(msg, performance.now()),
  );

  // ---- the camera image ------------------------------------------------------------
  const cameraCanvas = $<HTMLCanvasElement>('camera');
  const cameraSection = $('camera-section');
  link.subscribe<ImageJson>(
    '/camera/color/image_raw',
    'sensor_msgs/msg/Image',
    (msg) => {
      try {
        const { width, height, rgba } = imageToRgba(msg);
        cameraCanvas.width = width;
        cameraCanvas.height = height;
        cameraCanvas.getContext('2d')?.putImageData(new ImageData(rgba, width, height), 0, 0);
        cameraSection.hidden = false;
      } catch (err) {
        say(`/camera/color/image_raw: ${(err as Error).message}`);
      }
    },
    { throttleMs: 100 },
  );

  // ---- the policy: instruction, plan, status ------------------------------------------
  const input = $<HTMLInputElement>('instruction');
  const planList = $<HTMLOListElement>('plan');
  let planSteps: PlanStepJson[] | undefined;
  let lastStatus: PolicyStatusJson = { state: 'idle' };

  const showStatus = () => {
    const d = describeStatus(lastStatus, planSteps?.length);
    const state = $('policy-state');
    state.textContent = d.state;
    state.className = `state ${d.state}`;
    $('policy-step').textContent = d.step;
    $('policy-attempts').textContent = d.attempts;
    $('policy-retries').textContent = d.retries;
    const reason = $<HTMLParagraphElement>('policy-reason');
    reason.textContent = d.reason;
    reason.hidden = d.reason === '';
    const items = planList.children;
    for (let i = 0; i < items.length; i++) {
      const step = lastStatus.step ?? -1;
      const running = lastStatus.state === 'running';
      items[i]!.className =
        i < step || lastStatus.state === 'succeeded' ? 'done' : i === step && running ? 'current' : '';
    }
  };
  const showPlan = (steps: PlanStepJson[] | undefined) => {
    planSteps = steps;
    planList.replaceChildren(
      ...(steps ?? []).map((s) => {
        const li = document.createElement('li');
        li.textContent = describeStep(s);
        return li;
      }),
    );
    showStatus();
  };

  link.subscribe<{ data: string }>('/policy/plan', 'std_msgs/msg/String', (msg) => {
    try {
      const plan = JSON.parse(msg.data) as { steps?: PlanStepJson[] } | null;
      showPlan(plan?.steps);
    } catch {
      say(`/policy/plan: not JSON: ${msg.data.slice(0, 80)}`);
    }
  });
  link.subscribe<{ data: string }>('/policy/status', 'std_msgs/msg/String', (msg) => {
    try {
      lastStatus = JSON.parse(msg.data) as PolicyStatusJson;
      showStatus();
    } catch {
      say(`/policy/status: not JSON: ${msg.data.slice(0, 80)}`);
    }
  });

  $<HTMLFormElement>('instruction-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim() || input.placeholder;
    if (!text) return;
    link.publish('/instruction', 'std_msgs/msg/String', { data: text });
    input.value = '';
    input.placeholder = text;
    say('');
  });

  // ---- the scene controls: task, seed, reset, pause ------------------------------------
  const taskSelect = $<HTMLSelectElement>('task');
  const seedInput = $<HTMLInputElement>('seed');
  const pauseButton = $<HTMLButtonElement>('pause');
  const simTime = $('sim-time');
  const simInfo = $('sim-info');
  const tasks = config.tasks ?? (config.task ? [config.task] : []);
  taskSelect.replaceChildren(
    ...tasks.map((t) => {
      const o = document.createElement('option');
      o.value = o.textContent = t;
      return o;
    }),
  );
  if (config.task) taskSelect.value = config.task;
  if (config.seed !== undefined) seedInput.value = String(config.seed);

  let paused = false;
  let lastSimStatusMs = performance.now();
  let simState: SimStatusJson | undefined;
  link.subscribe<{ data: string }>(
    '/sim/status',
    'std_msgs/msg/String',
    (msg) => {
      try {
        simState = JSON.parse(msg.data) as SimStatusJson;
      } catch {
        return;
      }
      lastSimStatusMs = performance.now();
      if (!input.value && simState.instruction) input.placeholder = simState.instruction;
      if (simState.task && !taskSelect.value) taskSelect.value = simState.task;
      const checks = Object.entries(simState.checks ?? {})
        .map(([k, v]) => `${k} ${v ? '✓' : '·'}`)
        .join('  ');
      simInfo.textContent = [simState.lastError, checks].filter(Boolean).join(' — ');
    },
    { throttleMs: 100 },
  );
  setInterval(() => {
    if (!simState) return;
    const stalled = link.state === 'connected' && !paused && performance.now() - lastSimStatusMs > STALL_MS;
    simTime.textContent = stalled
      ? `sim stopped at ${simState.time.toFixed(1)} s (time limit?): Reset for a new episode`
      : `sim ${simState.time.toFixed(1)} s${paused ? ' (paused)' : ''}`;
  }, 250);

  $<HTMLButtonElement>('reset').addEventListener('click', async () => {
    const seed = Number(seedInput.value);
    if (!Number.isInteger(seed) || seed < 0) {
      say(`seed must be a whole number >= 0, got "${seedInput.value}"`);
      return;
    }
    say('');
    try {
      const res = await link.call<
        { task: string; seed: number; split: string },
        { success: boolean; message: string; instruction: string }
      >('/sim/reset', 'simbridge_msgs/srv/Reset', { task: taskSelect.value, seed, split: 'seen' });
      if (!res.success) {
        say(`reset refused: ${res.message}`);
        return;
      }
      showPlan(undefined);
      lastStatus = { state: 'idle' };
      showStatus();
      input.value = '';
      input.placeholder = res.instruction;
      lastSimStatusMs = performance.now();
    } catch (err) {
      say((err as Error).message);
    }
  });

  pauseButton.addEventListener('click', async () => {
    try {
      const res = await link.call<{ data: boolean }, { success: boolean; message: string }>(
        '/sim/pause',
        'std_srvs/srv/SetBool',
        { data: !paused },
      );
      paused = res.message === 'paused';
      pauseButton.textContent = paused ? 'Resume' : 'Pause';
      lastSimStatusMs = performance.now();
    } catch (err) {
      say((err as Error).message);
    }
  });

  // ---- view toggles and the render loop -------------------------------------------------
  const framesBox = $<HTMLInputElement>('show-frames');
  const robotBox = $<HTMLInputElement>('show-robot');
  framesBox.addEventListener('change', () => {
    view.showFrames = framesBox.checked;
  });
  robotBox.addEventListener('change', () => {
    view.showRobot = robotBox.checked;
  });

  const frame = (now: number) => {
    view.render(now);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);

  // A read-only handle for automation (the browser test) and the devtools console.
  Object.assign(window, {
    simbridgeViewer: {
      project: (x: number, y: number, z: number) => view.project(x, y, z),
      get robotLoaded() {
        return view.robotLoaded;
      },
      get renderedFrames() {
        return view.renderedFrames;
      },
      get renderMs() {
        return view.renderMs;
      },
      get linkState() {
        return link.state;
      },
      get objects() {
        return view.objectIds;
      },
    },
  });
}

main().catch((err: unknown) => {
  document.body.textContent = `simbridge viewer failed to start: ${(err as Error).stack ?? err}`;
});
