import { describe, expect, it } from 'vitest';
import { GoalStatus, GraphError, type ServerGoalHandle } from '../../src/graph/index.ts';
import {
  type FollowJointTrajectory_Feedback,
  type FollowJointTrajectory_Goal,
  FollowJointTrajectory_Result,
  fillDefaults,
} from '../../src/msgs/index.ts';
import { makeGraph } from './helpers.ts';

const FJT = 'control_msgs/action/FollowJointTrajectory';

/** A one-joint trajectory through `positions` (rad), one point per second. */
function goal(positions: number[]): FollowJointTrajectory_Goal {
  return fillDefaults(`${FJT}_Goal`, {
    trajectory: {
      joint_names: ['j1'],
      points: positions.map((p, i) => ({ positions: [p], time_from_start: { sec: i + 1, nanosec: 0 } })),
    },
  });
}

function result(error_code: number, error_string = ''): FollowJointTrajectory_Result {
  return { error_code, error_string };
}

/** Resolves when `release()` is called: lets a test step an executing goal explicitly. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => {
    release = r;
  });
  return { opened, release };
}

describe('actions', () => {
  it('runs goal -> feedback -> SUCCEEDED result over the ROS 2 action endpoints', async () => {
    const { context } = makeGraph();
    const arm = context.createNode('arm');
    arm.createActionServer(FJT, '/joint_trajectory_controller/follow_joint_trajectory', {
      execute: async (h) => {
        const { joint_names, points } = h.goal.trajectory;
        for (const point of points) {
          h.publishFeedback(fillDefaults(`${FJT}_Feedback`, { joint_names, desired: point }));
        }
        return result(FollowJointTrajectory_Result.SUCCESSFUL);
      },
    });
    expect(arm.getServiceNamesAndTypes().map((s) => s.name)).toEqual([
      '/joint_trajectory_controller/follow_joint_trajectory/_action/cancel_goal',
      '/joint_trajectory_controller/follow_joint_trajectory/_action/get_result',
      '/joint_trajectory_controller/follow_joint_trajectory/_action/send_goal',
    ]);
    expect(arm.getTopicNamesAndTypes()).toContainEqual({
      name: '/joint_trajectory_controller/follow_joint_trajectory/_action/status',
      types: ['action_msgs/msg/GoalStatusArray'],
    });
    const client = context
      .createNode('policy')
      .createActionClient(FJT, '/joint_trajectory_controller/follow_joint_trajectory');
    const feedback: number[] = [];
    const handle = await client.sendGoal(goal([0.25, 0.5, 0.75, 1]), {
      onFeedback: (f) => feedback.push(f.desired.positions[0]!),
    });
    expect(handle.accepted).toBe(true);
    expect(handle.goalId).toMatch(/^[0-9a-f]{32}$/);
    const r = await handle.result();
    expect(r).toEqual({ status: GoalStatus.STATUS_SUCCEEDED, result: result(0) });
    expect(r.status).toBe(4);
    expect(feedback).toEqual([0.25, 0.5, 0.75, 1]);
    expect(handle.status).toBe(GoalStatus.STATUS_SUCCEEDED);
    context.destroy();
  });

  it('cancels an executing goal: CANCELING, then a CANCELED result', async () => {
    const { context } = makeGraph();
    const step = gate();
    let seen:
      | ServerGoalHandle<
          FollowJointTrajectory_Goal,
          FollowJointTrajectory_Result,
          FollowJointTrajectory_Feedback
        >
      | undefined;
    context.createNode('arm').createActionServer(FJT, 'fjt', {
      execute: async (h) => {
        seen = h;
        await step.opened;
        expect(h.isCancelRequested).toBe(true);
        h.canceled();
        return result(-1, 'canceled');
      },
    });
    const client = context.createNode('policy').createActionClient(FJT, 'fjt');
    const handle = await client.sendGoal(goal([1]));
    const cancel = await handle.cancel();
    expect(cancel.return_code).toBe(0);
    expect(cancel.goals_canceling).toHaveLength(1);
    expect(seen?.status).toBe(GoalStatus.STATUS_CANCELING);
    expect(handle.status).toBe(GoalStatus.STATUS_CANCELING);
    step.release();
    expect(await handle.result()).toEqual({
      status: GoalStatus.STATUS_CANCELED,
      result: result(-1, 'canceled'),
    });
    expect(GoalStatus.STATUS_CANCELED).toBe(5);
    // A second cancel of a finished goal says so.
    expect((await handle.cancel()).return_code).toBe(3);
    context.destroy();
  });

  it('reports a rejected goal: accepted false, result() rejects with GOAL_REJECTED', async () => {
    const { context } = makeGraph();
    let executed = false;
    context.createNode('arm').createActionServer(FJT, 'fjt', {
      onGoal: (g) => g.trajectory.points.length > 0,
      execute: () => {
        executed = true;
        return result(0);
      },
    });
    const client = context.createNode('policy').createActionClient(FJT, 'fjt');
    const handle = await client.sendGoal(goal([]));
    expect(handle.accepted).toBe(false);
    const err = (await handle.result().catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.code).toBe('GOAL_REJECTED');
    expect(executed).toBe(false);
    context.destroy();
  });

  it('ends a goal whose execute throws as ABORTED (6) and reports the error', async () => {
    const { context, logger } = makeGraph();
    context.createNode('arm').createActionServer(FJT, 'fjt', {
      execute: () => {
        throw new Error('joint 3 over its velocity limit');
      },
    });
    const handle = await context
      .createNode('policy')
      .createActionClient(FJT, 'fjt')
      .sendGoal(goal([1]));
    expect((await handle.result()).status).toBe(GoalStatus.STATUS_ABORTED);
    expect(logger.lines).toContainEqual(
      expect.stringMatching(/action error on \/fjt: joint 3 over its velocity/),
    );
    context.destroy();
  });

  it('fails sendGoal with NO_SERVICE when no server exists', async () => {
    const { context } = makeGraph();
    const client = context.createNode('policy').createActionClient(FJT, 'nobody');
    expect(client.isServerAvailable()).toBe(false);
    await expect(client.sendGoal(goal([1]))).rejects.toMatchObject({ code: 'NO_SERVICE' });
    context.destroy();
  });
});
