// Strict parsers for numeric CLI flags. `Number('')`, `parseInt('3abc')` and friends accept too much; a typo
// in a seed must not silently run a different evaluation. Errors name the flag and the value given.
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type Command, Option } from 'commander';
import { UserError } from '../errors.ts';
import { autoWorkerCount } from '../eval/pool.ts';
import { PERCEPTION_SOURCES } from '../eval/types.ts';

/**
 * Parses a non-negative decimal integer: digits only, no sign, no decimals, no exponent, within
 * Number.MAX_SAFE_INTEGER.
 * @param min the smallest value allowed (0 or 1)
 */
export function parseIntFlag(flag: string, text: string, min = 0): number {
  const what = min <= 0 ? 'a non-negative integer' : `an integer >= ${min}`;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UserError(`expected ${what}, got '${text}'`, { source: flag });
  }
  return value;
}

/** `--workers N|auto`: 0 and 1 run in this thread; `auto` uses one worker per available core. */
export function parseWorkersFlag(text: string): number {
  if (text === 'auto') return autoWorkerCount();
  try {
    return parseIntFlag('--workers', text, 0);
  } catch {
    throw new UserError(`expected a non-negative integer or 'auto', got '${text}'`, { source: '--workers' });
  }
}

/** `--domain N`: a DDS domain id (ROS_DOMAIN_ID), 0..232 (the RTPS port formula's limit). */
export function parseDomainFlag(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value <= 232))
    throw new UserError(`expected a domain id 0..232, got '${text}'`, { source: '--domain' });
  return value;
}

/** `--rtps-address IP`: the dotted IPv4 address of an interface of this host. */
export function parseIpv4Flag(flag: string, text: string): string {
  if (!isIPv4(text)) throw new UserError(`expected an IPv4 address, got '${text}'`, { source: flag });
  return text;
}

/** `--peer HOST`, repeatable: an IPv4 address or `localhost`, collected in order. */
export function collectPeerFlag(text: string, previous: string[] = []): string[] {
  if (text === 'localhost') return [...previous, '127.0.0.1'];
  if (!isIPv4(text))
    throw new UserError(`expected an IPv4 address or localhost, got '${text}'`, { source: '--peer' });
  return [...previous, text];
}

/** The IPv4 addresses of this host's interfaces. */
function localIpv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4')
    .map((a) => a.address);
}

/**
 * `--rtps-address` and `--peer` as transport options; a UserError when the transport is not rtps,
 * or when the address is not one of this host's.
 */
export function rtpsFlagOptions(
  transport: string,
  flags: { rtpsAddress?: string; peer?: string[] },
): { address?: string; peers?: string[] } {
  const given =
    flags.rtpsAddress !== undefined ? '--rtps-address' : flags.peer?.length ? '--peer' : undefined;
  if (given && transport !== 'rtps') {
    throw new UserError(`applies to --transport rtps only (the transport is ${transport})`, {
      source: given,
    });
  }
  const local = localIpv4Addresses();
  if (flags.rtpsAddress !== undefined && !local.includes(flags.rtpsAddress)) {
    throw new UserError(
      `'${flags.rtpsAddress}' is not an address of this host (it has ${local.join(', ')})`,
      { source: '--rtps-address' },
    );
  }
  return {
    ...(flags.rtpsAddress !== undefined ? { address: flags.rtpsAddress } : {}),
    ...(flags.peer?.length ? { peers: flags.peer } : {}),
  };
}

/** `--perturb`, `--switch` and `--perception`: how an episode of `run` or `eval` is run. */
export function addEpisodeModeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--perturb',
      'perturb the episode once: knock the held block away, move the target, or unclip the cable',
    )
    .option('--switch', 'switch the instruction once mid-episode; success is judged on the new goal')
    .addOption(
      new Option(
        '--perception <source>',
        "where /detections come from: the sim's ground truth, or a perception node on the sim camera",
      )
        .choices(PERCEPTION_SOURCES)
        .default('ground-truth'),
    );
}

/** `--domain`, `--rtps-address` and `--peer`: the DDS flags of `sim` and `policy`. */
export function addDdsOptions(cmd: Command): Command {
  return cmd
    .option('--domain <id>', 'ros2/rtps: DDS domain 0..232 (default: ROS_DOMAIN_ID, else 0)', parseDomainFlag)
    .option(
      '--rtps-address <ip>',
      'rtps: IPv4 address of the interface to use and announce (default: SIMBRIDGE_RTPS_ADDRESS, else 127.0.0.1)',
      (v) => parseIpv4Flag('--rtps-address', v),
    )
    .option(
      '--peer <host>',
      'rtps: unicast discovery peer, IPv4 or localhost; repeatable (default: ROS_STATIC_PEERS)',
      collectPeerFlag,
    );
}
