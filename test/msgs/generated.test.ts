import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageDefinitionField } from '@foxglove/message-definition';
import { parse } from '@foxglove/rosmsg';
import { ros2humble } from '@foxglove/rosmsg-msgs-common';
import { describe, expect, it } from 'vitest';
import { GENERATED_DIR, generateMsgs } from '../../scripts/genMsgs.ts';
import { listMessageTypes, messageDefinition, messageDefinitionText } from '../../src/msgs/index.ts';

describe('generated message code', () => {
  it('is up to date with src/msgs/definitions (run: npx tsx scripts/genMsgs.ts)', () => {
    for (const [file, text] of Object.entries(generateMsgs())) {
      expect(readFileSync(join(GENERATED_DIR, file), 'utf8'), file).toBe(text);
    }
  });

  it('matches @foxglove/rosmsg-msgs-common ros2humble for every type it has', () => {
    const common = ros2humble as unknown as Record<string, { definitions: MessageDefinitionField[] }>;
    const shortName = (t: string) => t.replace('/msg/', '/');
    let compared = 0;
    for (const type of listMessageTypes()) {
      const theirs = common[shortName(type)];
      if (!theirs) continue;
      compared++;
      const ours = messageDefinition(type).fields.map((f) => ({
        ...f,
        type: f.isComplex ? shortName(f.type) : f.type,
      }));
      expect(ours.length, type).toBe(theirs.definitions.length);
      ours.forEach((f, i) => {
        expect(f, `${type}.${f.name}`).toEqual(theirs.definitions[i]);
      });
    }
    expect(compared).toBeGreaterThanOrEqual(29);
  });

  it('has the ROS 2 action and service wire types', () => {
    const names = (t: string) => messageDefinition(t).fields.map((f) => `${f.type} ${f.name}`);
    const fjt = 'control_msgs/action/FollowJointTrajectory';
    expect(names(`${fjt}_SendGoal_Request`)).toEqual([
      'unique_identifier_msgs/msg/UUID goal_id',
      `${fjt}_Goal goal`,
    ]);
    expect(names(`${fjt}_SendGoal_Response`)).toEqual(['bool accepted', 'time stamp']);
    expect(names(`${fjt}_GetResult_Request`)).toEqual(['unique_identifier_msgs/msg/UUID goal_id']);
    expect(names(`${fjt}_GetResult_Response`)).toEqual(['int8 status', `${fjt}_Result result`]);
    expect(names(`${fjt}_FeedbackMessage`)).toEqual([
      'unique_identifier_msgs/msg/UUID goal_id',
      `${fjt}_Feedback feedback`,
    ]);
    expect(names('simbridge_msgs/srv/Reset_Request')).toEqual(['string task', 'uint32 seed', 'string split']);
    expect(names('simbridge_msgs/srv/Step_Response')).toEqual([
      'bool success',
      'string message',
      'time stamp',
    ]);
    expect(names('std_srvs/srv/Empty_Request')).toEqual([]);
  });

  it('gives schema text that @foxglove/rosmsg parses back to the same definition', () => {
    for (const type of listMessageTypes()) {
      const parsed = parse(messageDefinitionText(type), { ros2: true });
      expect(parsed[0]!.definitions, type).toEqual(messageDefinition(type).fields);
    }
  });
});
