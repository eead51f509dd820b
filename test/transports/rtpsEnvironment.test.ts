import { describe, expect, it } from 'vitest';
import { rtpsOptionsFromEnvironment } from '../../src/transports/rtps/environment.ts';

describe('rtps options from the ROS 2 environment', () => {
  it('reads ROS_DOMAIN_ID, ROS_STATIC_PEERS, ROS_AUTOMATIC_DISCOVERY_RANGE and SIMBRIDGE_RTPS_ADDRESS', () => {
    expect(
      rtpsOptionsFromEnvironment({
        ROS_DOMAIN_ID: '42',
        ROS_STATIC_PEERS: '192.168.1.20; localhost;',
        ROS_AUTOMATIC_DISCOVERY_RANGE: 'off',
        SIMBRIDGE_RTPS_ADDRESS: '192.168.1.10',
      }),
    ).toEqual({
      domainId: 42,
      peers: ['192.168.1.20', '127.0.0.1'],
      multicast: false,
      address: '192.168.1.10',
    });
    expect(rtpsOptionsFromEnvironment({})).toEqual({});
    expect(rtpsOptionsFromEnvironment({ ROS_AUTOMATIC_DISCOVERY_RANGE: 'SUBNET' })).toEqual({});
  });

  it.each([
    [{ ROS_DOMAIN_ID: '233' }, "ROS_DOMAIN_ID: expected a domain id 0..232, got '233'"],
    [{ ROS_DOMAIN_ID: 'one' }, "ROS_DOMAIN_ID: expected a domain id 0..232, got 'one'"],
    [
      { ROS_STATIC_PEERS: 'robot.local' },
      "ROS_STATIC_PEERS: expected IPv4 addresses separated by ';', got 'robot.local'",
    ],
    [{ SIMBRIDGE_RTPS_ADDRESS: '::1' }, "SIMBRIDGE_RTPS_ADDRESS: expected an IPv4 address, got '::1'"],
  ])('names the variable and the bad value: %o', (env, message) => {
    expect(() => rtpsOptionsFromEnvironment(env)).toThrow(message);
  });
});
