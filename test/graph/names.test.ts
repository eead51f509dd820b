import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  expandTopicName,
  validateFullTopicName,
  validateNamespace,
  validateNodeName,
  validateTopicName,
} from '../../src/graph/index.ts';
import { makeGraph } from './helpers.ts';

// Cases from ros2/rcl test/rcl/test_validate_topic_name.cpp and ros2/rmw
// test/test_validate_node_name.cpp, test_validate_namespace.cpp: same verdicts, rules and indices.
describe('validateTopicName (rcl_validate_topic_name)', () => {
  it.each([
    'foo',
    'abc123',
    '_foo',
    'Foo',
    'BAR',
    '~',
    'foo/bar',
    '~/foo',
    '{foo}_bar',
    'foo/{ping}/bar',
    'foo/_bar',
    'foo_/bar',
    'foo_',
    '/foo',
    '/bar/baz',
    '/_private/thing',
    '/public_namespace/_private/thing',
    '{foo1}',
    '{foo_bar}',
    '{_bar}',
  ])('accepts %j', (name) => {
    expect(validateTopicName(name)).toBeUndefined();
  });

  it.each([
    ['123abc', 'NAME_TOKEN_STARTS_WITH_NUMBER', 0],
    ['123', 'NAME_TOKEN_STARTS_WITH_NUMBER', 0],
    [' ', 'CONTAINS_UNALLOWED_CHARACTERS', 0],
    ['foo bar', 'CONTAINS_UNALLOWED_CHARACTERS', 3],
    ['/~', 'MISPLACED_TILDE', 1],
    ['~foo', 'TILDE_NOT_FOLLOWED_BY_FORWARD_SLASH', 1],
    ['foo~', 'MISPLACED_TILDE', 3],
    ['foo~/bar', 'MISPLACED_TILDE', 3],
    ['foo/~bar', 'MISPLACED_TILDE', 4],
    ['foo/~/bar', 'MISPLACED_TILDE', 4],
    ['foo/', 'ENDS_WITH_FORWARD_SLASH', 3],
    ['', 'IS_EMPTY_STRING', 0],
    ['foo/123bar', 'NAME_TOKEN_STARTS_WITH_NUMBER', 4],
    ['foo/bar}/baz', 'UNMATCHED_CURLY_BRACE', 7],
    ['foo/{bar', 'UNMATCHED_CURLY_BRACE', 4],
    ['{$}', 'SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS', 1],
    ['{{bar}_baz}', 'SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS', 1],
    ['foo/{bar/baz}', 'SUBSTITUTION_CONTAINS_UNALLOWED_CHARACTERS', 8],
    ['{1foo}', 'SUBSTITUTION_STARTS_WITH_NUMBER', 1],
  ])('rejects %j with %s at index %i', (name, rule, index) => {
    expect(validateTopicName(name)).toEqual({ rule, index });
  });
});

describe('validateNodeName (rmw_validate_node_name)', () => {
  it.each(['nodename', 'node_name'])('accepts %j', (name) => {
    expect(validateNodeName(name)).toBeUndefined();
  });
  it.each([
    ['', 'IS_EMPTY_STRING', 0],
    ['node/name', 'CONTAINS_UNALLOWED_CHARACTERS', 4],
    ['node_{name}', 'CONTAINS_UNALLOWED_CHARACTERS', 5],
    ['~node_name', 'CONTAINS_UNALLOWED_CHARACTERS', 0],
    ['with spaces', 'CONTAINS_UNALLOWED_CHARACTERS', 4],
    ['with.periods', 'CONTAINS_UNALLOWED_CHARACTERS', 4],
    ['42node', 'STARTS_WITH_NUMBER', 0],
    ['0'.repeat(256), 'STARTS_WITH_NUMBER', 0],
    ['a'.repeat(256), 'TOO_LONG', 254],
  ])('rejects %j with %s at index %i', (name, rule, index) => {
    expect(validateNodeName(name)).toEqual({ rule, index });
  });
});

describe('validateNamespace (rmw_validate_namespace)', () => {
  it.each(['/', '/basename_only', '/with_one/heirarchy'])('accepts %j', (ns) => {
    expect(validateNamespace(ns)).toBeUndefined();
  });
  it.each([
    ['', 'IS_EMPTY_STRING', 0],
    ['not_absolute', 'NOT_ABSOLUTE', 0],
    ['not/absolute', 'NOT_ABSOLUTE', 0],
    ['/ends/with/', 'ENDS_WITH_FORWARD_SLASH', 10],
    ['/~/unexpanded_tilde', 'CONTAINS_UNALLOWED_CHARACTERS', 1],
    ['/unexpanded_sub/{node}', 'CONTAINS_UNALLOWED_CHARACTERS', 16],
    ['/question?', 'CONTAINS_UNALLOWED_CHARACTERS', 9],
    ['/with spaces', 'CONTAINS_UNALLOWED_CHARACTERS', 5],
    ['/repeated//slashes', 'CONTAINS_REPEATED_FORWARD_SLASH', 10],
    ['/9starts_with_number', 'NAME_TOKEN_STARTS_WITH_NUMBER', 1],
    ['/starts/42with/number', 'NAME_TOKEN_STARTS_WITH_NUMBER', 8],
    ['a'.repeat(246), 'NOT_ABSOLUTE', 0],
    [`/${'a'.repeat(246)}`, 'TOO_LONG', 244],
  ])('rejects %j with %s at index %i', (ns, rule, index) => {
    expect(validateNamespace(ns)).toEqual({ rule, index });
  });
});

describe('expandTopicName (rcl_expand_topic_name)', () => {
  it.each([
    ['chatter', '/', '/chatter'],
    ['chatter', '/arm', '/arm/chatter'],
    ['/abs', '/arm', '/abs'],
    ['~', '/arm', '/arm/talker'],
    ['~/status', '/arm', '/arm/talker/status'],
    ['~/status', '/', '/talker/status'],
    ['{node}/x', '/arm', '/arm/talker/x'],
  ])('%j in namespace %j is %j', (name, ns, expected) => {
    expect(expandTopicName(name, 'talker', ns, 'topic', 'test')).toBe(expected);
  });

  it("rejects '//' after expansion with the rule and the index", () => {
    expect(() => expandTopicName('foo//bar', 'talker', '/', 'topic', 'test')).toThrow(
      /CONTAINS_REPEATED_FORWARD_SLASH.*index 5|index 5.*CONTAINS_REPEATED_FORWARD_SLASH/,
    );
    expect(validateFullTopicName('/foo//bar')).toEqual({ rule: 'CONTAINS_REPEATED_FORWARD_SLASH', index: 5 });
  });
});

describe('node and topic names through the node API', () => {
  it('throws a UserError naming the rule and the offending character', () => {
    const { context } = makeGraph();
    expect(() => context.createNode('42node')).toThrow(UserError);
    expect(() => context.createNode('my node')).toThrow(/" " at index 2.*CONTAINS_UNALLOWED_CHARACTERS/);
    expect(() => context.createNode('ok', { namespace: '/a//b' })).toThrow(/CONTAINS_REPEATED_FORWARD_SLASH/);
    const node = context.createNode('talker', { namespace: 'arm' });
    expect(node.fullyQualifiedName).toBe('/arm/talker');
    expect(() => node.createPublisher('std_msgs/msg/String', 'joint states')).toThrow(
      /topic name "joint states".*" " at index 5.*CONTAINS_UNALLOWED_CHARACTERS/,
    );
    expect(() => node.createPublisher('std_msgs/msg/String', 'foo/~bar')).toThrow(/MISPLACED_TILDE/);
    expect(node.createPublisher('std_msgs/msg/String', '~/level').topic).toBe('/arm/talker/level');
    context.destroy();
  });

  it('refuses a second node with the same fully qualified name', () => {
    const { context } = makeGraph();
    context.createNode('a', { namespace: '/x' });
    context.createNode('a', { namespace: '/y' });
    expect(() => context.createNode('a', { namespace: '/x' })).toThrow(/\/x\/a already exists/);
    context.destroy();
  });
});
