// Reads recordings back the way a third-party tool would: @mcap/core to find the records, and
// @foxglove/rosmsg + @foxglove/rosmsg2-serialization (what Foxglove uses) to decode each message
// with the schema stored in the file, not with our own message definitions.
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { McapIndexedReader, McapStreamReader, type McapTypes } from '@mcap/core';

export interface DecodedMessage {
  topic: string;
  schemaName: string;
  logTime: bigint;
  publishTime: bigint;
  sequence: number;
  message: Record<string, unknown>;
}

const textDecoder = new TextDecoder();

/** A decoder per schema, built from the schema's ros2msg text as Foxglove builds it. */
function decoderFor(schema: McapTypes.Schema): MessageReader {
  if (schema.encoding !== 'ros2msg') throw new Error(`schema ${schema.name}: encoding ${schema.encoding}`);
  return new MessageReader(parse(textDecoder.decode(schema.data), { ros2: true }));
}

/** Opens an indexed (finished) recording, decodes every message and returns its metadata records. */
export async function readRecording(path: string) {
  const fh = await open(path, 'r');
  try {
    const size = BigInt((await fh.stat()).size);
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: async () => size,
        read: async (offset, length) => {
          const buf = new Uint8Array(Number(length));
          await fh.read(buf, 0, buf.byteLength, Number(offset));
          return buf;
        },
      },
    });
    const decoders = new Map<number, MessageReader>();
    const messages: DecodedMessage[] = [];
    for await (const m of reader.readMessages()) {
      const channel = reader.channelsById.get(m.channelId)!;
      const schema = reader.schemasById.get(channel.schemaId)!;
      let decoder = decoders.get(schema.id);
      if (!decoder) {
        decoder = decoderFor(schema);
        decoders.set(schema.id, decoder);
      }
      messages.push({
        topic: channel.topic,
        schemaName: schema.name,
        logTime: m.logTime,
        publishTime: m.publishTime,
        sequence: m.sequence,
        message: decoder.readMessage(m.data) as Record<string, unknown>,
      });
    }
    const metadata: { name: string; metadata: Map<string, string> }[] = [];
    for await (const m of reader.readMetadata()) metadata.push({ name: m.name, metadata: m.metadata });
    return { reader, messages, metadata };
  } finally {
    await fh.close();
  }
}

/**
 * Reads a recording record by record from the start, as a tool does with a file that has no
 * index (its writer was killed), and decodes every message it finds.
 */
export function streamRecording(path: string) {
  const stream = new McapStreamReader({ validateCrcs: true, includeChunks: true });
  stream.append(readFileSync(path));
  const schemas = new Map<number, McapTypes.Schema>();
  const channels = new Map<number, McapTypes.Channel>();
  const decoders = new Map<number, MessageReader>();
  const messages: DecodedMessage[] = [];
  let header: McapTypes.Header | undefined;
  let footer = false;
  let chunks = 0;
  for (let record = stream.nextRecord(); record; record = stream.nextRecord()) {
    if (record.type === 'Header') header = record;
    else if (record.type === 'Schema') schemas.set(record.id, record);
    else if (record.type === 'Channel') channels.set(record.id, record);
    else if (record.type === 'Footer') footer = true;
    else if (record.type === 'Message') {
      const channel = channels.get(record.channelId)!;
      const schema = schemas.get(channel.schemaId)!;
      let decoder = decoders.get(schema.id);
      if (!decoder) {
        decoder = decoderFor(schema);
        decoders.set(schema.id, decoder);
      }
      messages.push({
        topic: channel.topic,
        schemaName: schema.name,
        logTime: record.logTime,
        publishTime: record.publishTime,
        sequence: record.sequence,
        message: decoder.readMessage(record.data) as Record<string, unknown>,
      });
    } else if (record.type === 'Chunk') chunks++;
  }
  return { header, messages, footer, chunks, done: stream.done() };
}
