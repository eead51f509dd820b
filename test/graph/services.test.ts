import { afterEach, describe, expect, it, vi } from 'vitest';
import { GraphError } from '../../src/graph/index.ts';
import { fillDefaults } from '../../src/msgs/index.ts';
import { makeGraph } from './helpers.ts';

type Trigger = { success: boolean; message: string };

describe('services', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a call, passing the request and a request id', async () => {
    const { context } = makeGraph();
    const server = context.createNode('server', { namespace: '/sim' });
    const ids: number[] = [];
    server.createService('simbridge_msgs/srv/Reset', 'reset', (req, id) => {
      ids.push(id.sequenceNumber);
      return fillDefaults('simbridge_msgs/srv/Reset_Response', {
        success: true,
        message: `${req.task} seed ${req.seed} (${req.split})`,
      });
    });
    const client = context.createNode('client').createClient('simbridge_msgs/srv/Reset', '/sim/reset');
    expect(client.isServiceAvailable()).toBe(true);
    const reset = (seed: number) => client.call({ task: 'pick_cube', seed, split: 'train' });
    const answer = (message: string) => ({ success: true, message, instruction: '', goal_json: '' });
    await expect(reset(7)).resolves.toEqual(answer('pick_cube seed 7 (train)'));
    await expect(reset(8)).resolves.toEqual(answer('pick_cube seed 8 (train)'));
    expect(ids).toEqual([1, 2]);
    expect(server.getServiceNamesAndTypes()).toEqual([
      { name: '/sim/reset', types: ['simbridge_msgs/srv/Reset'] },
    ]);
    context.destroy();
  });

  it('rejects at once with NO_SERVICE when nobody serves the name', async () => {
    const { context } = makeGraph();
    const client = context.createNode('client').createClient('std_srvs/srv/Trigger', 'missing');
    const err = await client.call({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).code).toBe('NO_SERVICE');
    expect((err as GraphError).message).toBe(
      'no server for service /missing (std_srvs/srv/Trigger) is available',
    );
    context.destroy();
  });

  it('rejects with TIMEOUT when the server does not answer in time', async () => {
    vi.useFakeTimers();
    const { context } = makeGraph();
    context
      .createNode('server')
      .createService('std_srvs/srv/Trigger', 'slow', () => new Promise<Trigger>(() => {}));
    const client = context.createNode('client').createClient('std_srvs/srv/Trigger', 'slow');
    const pending = client.call({}, { timeoutSeconds: 2 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1999);
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const err = (await pending) as GraphError;
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toBe('service /slow (std_srvs/srv/Trigger) did not respond within 2 s');
    context.destroy();
  });

  it('rejects with SERVICE_FAILED carrying the handler error, and the service keeps serving', async () => {
    const { context, logger } = makeGraph();
    let n = 0;
    context.createNode('server').createService('std_srvs/srv/Trigger', 'flaky', () => {
      if (n++ === 0) throw new Error('arm not homed');
      return { success: true, message: '' };
    });
    const client = context.createNode('client').createClient('std_srvs/srv/Trigger', 'flaky');
    const err = (await client.call({}).catch((e: unknown) => e)) as GraphError;
    expect(err.code).toBe('SERVICE_FAILED');
    expect(err.message).toMatch(/\/flaky .*arm not homed/);
    expect(logger.lines).toContainEqual(expect.stringMatching(/service error on \/flaky: arm not homed/));
    await expect(client.call({})).resolves.toEqual({ success: true, message: '' });
    context.destroy();
  });
});
