/**
 * The environment variables a ROS 2 user already sets, read for the rtps transport, so that
 * `simbridge sim --transport rtps` joins the same graph as `ros2` commands in that shell:
 * - `ROS_DOMAIN_ID`: the DDS domain, 0..232;
 * - `ROS_STATIC_PEERS`: unicast peers, `;`-separated hosts (ROS 2 Iron and later); discovery
 *   announces to them besides multicast;
 * - `ROS_AUTOMATIC_DISCOVERY_RANGE=OFF`: no multicast discovery, peers only;
 * - `SIMBRIDGE_RTPS_ADDRESS`: the IPv4 address this host is reached at (advertised to peers and
 *   used for multicast). The default, 127.0.0.1, reaches only nodes on this machine: set it to
 *   the address on the robot's network to talk to another host.
 */
import { isIPv4 } from 'node:net';
import { UserError } from '../../errors.ts';
import type { RtpsTransportOptions } from './RtpsTransport.ts';

/** Options from `env`; throws a UserError naming the variable and its value when one is bad. */
export function rtpsOptionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): RtpsTransportOptions {
  const out: RtpsTransportOptions = {};
  const domain = env['ROS_DOMAIN_ID']?.trim();
  if (domain) {
    const id = Number(domain);
    if (!/^\d+$/.test(domain) || id > 232) {
      throw new UserError(`expected a domain id 0..232, got '${domain}'`, { source: 'ROS_DOMAIN_ID' });
    }
    out.domainId = id;
  }
  const peers = env['ROS_STATIC_PEERS']
    ?.split(';')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (peers && peers.length > 0) {
    const bad = peers.find((p) => !isIPv4(p) && p !== 'localhost');
    if (bad !== undefined) {
      throw new UserError(`expected IPv4 addresses separated by ';', got '${bad}'`, {
        source: 'ROS_STATIC_PEERS',
      });
    }
    out.peers = peers.map((p) => (p === 'localhost' ? '127.0.0.1' : p));
  }
  const range = env['ROS_AUTOMATIC_DISCOVERY_RANGE']?.trim().toUpperCase();
  if (range === 'OFF') out.multicast = false;
  const address = env['SIMBRIDGE_RTPS_ADDRESS']?.trim();
  if (address) {
    if (!isIPv4(address)) {
      throw new UserError(`expected an IPv4 address, got '${address}'`, { source: 'SIMBRIDGE_RTPS_ADDRESS' });
    }
    out.address = address;
  }
  return out;
}
