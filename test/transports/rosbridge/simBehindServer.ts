/**
 * The sim node on a local context behind this project's rosbridge server, and a rosbridge client
 * transport connected to it (through a cuttable proxy when asked): what the client tests run
 * the graph over. Everything made is closed by the functions pushed onto `cleanups`.
 */
import { SimNode } from '../../../sim/node/SimNode.ts';
import { createContext, type MessageValidator, msgsValidator, SimClock } from '../../../src/graph/index.ts';
import { LocalTransport } from '../../../src/transports/local/LocalTransport.ts';
import { RosbridgeTransport } from '../../../src/transports/rosbridge/client/RosbridgeTransport.ts';
import { startRosbridgeServer } from '../../../src/transports/rosbridge/server/index.ts';
import { captureLogger } from '../../graph/helpers.ts';
import { startProxy } from './clientProxy.ts';

export async function simBehindServer(
  cleanups: Array<() => unknown>,
  options: { proxy: boolean; seed: number },
) {
  const validator: MessageValidator = await msgsValidator();
  const simContext = createContext({
    transport: new LocalTransport(),
    validator,
    clock: new SimClock(),
    logger: captureLogger(),
  });
  cleanups.push(() => simContext.destroy());
  const sim = new SimNode(simContext, { robot: 'ur5e' });
  cleanups.push(() => sim.destroy());
  // pick_place seed 16 has a red block and a blue bowl.
  sim.reset({ task: 'pick_place', seed: 16 });
  const server = await startRosbridgeServer({ context: simContext, port: 0 });
  cleanups.push(() => server.close());
  const proxy = options.proxy ? await startProxy(server.port) : undefined;
  if (proxy) cleanups.push(() => proxy.close());
  const logger = captureLogger();
  const transport = new RosbridgeTransport({
    url: proxy?.url ?? `ws://127.0.0.1:${server.port}`,
    backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    seed: options.seed,
    logger,
  });
  return { validator, simContext, sim, server, proxy, transport, logger };
}
