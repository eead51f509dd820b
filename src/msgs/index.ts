export { decodeCdr, encodeCdr } from './cdr.ts';
export { defaultMessage, fillDefaults } from './fillDefaults.ts';
export * from './generated/types.ts';
export {
  hasMessageType,
  listActionTypes,
  listMessageTypes,
  listServiceTypes,
  messageDefinition,
  messageDefinitions,
  messageDefinitionText,
} from './messageDefinition.ts';
export { messageSchema } from './messageSchema.ts';
export type { ResolvedMessageDefinition } from './resolveDefinitions.ts';
export { ACTION_MESSAGE_SUFFIXES, SERVICE_MESSAGE_SUFFIXES } from './resolveDefinitions.ts';
export { fromRosbridgeJson, toRosbridgeJson } from './rosbridgeJson.ts';
export { validateMessage } from './validateMessage.ts';
