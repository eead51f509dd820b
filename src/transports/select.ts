/**
 * Picks a transport by the name a user gives on the command line (`--transport`). Concrete
 * transports load on demand, so choosing `local` never loads `ws` or rclnodejs.
 */
import { UserError } from '../errors.ts';
import type { Logger } from '../graph/Logger.ts';
import type { Transport } from './Transport.ts';

export const TRANSPORT_NAMES = ['local', 'rosbridge', 'ros2', 'rtps'] as const;
export type TransportName = (typeof TRANSPORT_NAMES)[number];

export interface TransportSelectOptions {
  /** rosbridge: the server, `ws://host:9090`. Required for `rosbridge`. */
  url?: string;
  /** rosbridge: the server's access token. */
  token?: string;
  /** ros2, rtps: the DDS domain (ROS_DOMAIN_ID), 0-232. @default the environment's, else 0 */
  domain?: number;
  /** rtps: the IPv4 address to bind multicast to and announce. @default SIMBRIDGE_RTPS_ADDRESS, else 127.0.0.1 */
  address?: string;
  /** rtps: unicast discovery peers (IPv4). @default ROS_STATIC_PEERS's */
  peers?: string[];
  /**
   * ros2: the ROS node the graph's nodes appear as (`ros2 node list`); rtps: the node that owns
   * endpoints made outside any graph node (graph nodes are listed each as itself). @default 'simbridge'
   */
  nodeName?: string;
  /** rosbridge: seeds the reconnect jitter. */
  seed?: number;
  /** @default writes to stderr */
  logger?: Logger;
}

/** Throws a UserError naming `--transport` unless `name` is one of TRANSPORT_NAMES. */
export function parseTransportName(name: string): TransportName {
  if ((TRANSPORT_NAMES as readonly string[]).includes(name)) return name as TransportName;
  throw new UserError(`unknown transport '${name}'; expected one of ${TRANSPORT_NAMES.join(', ')}`, {
    source: '--transport',
  });
}

/**
 * Makes the named transport. `rosbridge` starts connecting and returns at once (the transport
 * reconnects by itself); `ros2` loads rclnodejs, or throws a UserError saying how to install it.
 */
export async function createTransport(
  name: TransportName,
  options: TransportSelectOptions = {},
): Promise<Transport> {
  switch (name) {
    case 'local': {
      const { LocalTransport } = await import('./local/LocalTransport.ts');
      return new LocalTransport();
    }
    case 'rosbridge': {
      if (!options.url) {
        throw new UserError('--transport rosbridge needs --url, e.g. --url ws://robot:9090', {
          source: '--transport',
        });
      }
      const { RosbridgeTransport } = await import('./rosbridge/client/RosbridgeTransport.ts');
      return new RosbridgeTransport({
        url: options.url,
        ...(options.token !== undefined ? { token: options.token } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
    }
    case 'ros2': {
      const { createRos2Transport } = await import('./ros2/Ros2Transport.ts');
      return createRos2Transport({
        ...(options.domain !== undefined ? { domainId: options.domain } : {}),
        ...(options.nodeName !== undefined ? { nodeName: options.nodeName } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
    }
    case 'rtps': {
      const { RtpsTransport } = await import('./rtps/RtpsTransport.ts');
      const { rtpsOptionsFromEnvironment } = await import('./rtps/environment.ts');
      // ROS_DOMAIN_ID, ROS_STATIC_PEERS, ... from the environment, for what no flag gave (so a bad
      // variable that a flag overrides is not read at all).
      const env = { ...process.env };
      if (options.domain !== undefined) delete env['ROS_DOMAIN_ID'];
      if (options.address !== undefined) delete env['SIMBRIDGE_RTPS_ADDRESS'];
      if (options.peers?.length) delete env['ROS_STATIC_PEERS'];
      return RtpsTransport.create({
        ...rtpsOptionsFromEnvironment(env),
        ...(options.domain !== undefined ? { domainId: options.domain } : {}),
        ...(options.address !== undefined ? { address: options.address } : {}),
        ...(options.peers?.length ? { peers: options.peers } : {}),
        ...(options.nodeName !== undefined ? { nodeName: options.nodeName } : {}),
      });
    }
    default:
      throw new UserError(`unknown transport '${String(name)}'`, { source: '--transport' });
  }
}
