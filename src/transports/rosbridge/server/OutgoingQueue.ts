/**
 * A client's outgoing frames, bounded and drop-oldest, written to its socket only while the
 * socket keeps up. Topic data and control replies (service responses, action results,
 * statuses) queue separately, so a burst of topic data never pushes out a reply; each queue
 * holds at most `limit` entries and drops its oldest beyond that, counting what it dropped.
 *
 * Backpressure: frames go to the socket while its `bufferedAmount` (bytes ws and the kernel
 * have not taken yet) is under `highWaterBytes`; past it the queue waits for the socket's write
 * callback before sending more. A client that stops reading therefore holds at most
 * `highWaterBytes` plus `2 × limit` queued entries, and the sim is never blocked by it.
 *
 * Queue delay: for every topic message written, the time from entering this queue to being
 * handed to the socket (encoding included), in a histogram (µs). For a topic without
 * throttle_rate that is the server's whole share of a client's latency (the message enters the
 * queue as the graph delivers it); the rest is the kernel, the network and the client.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { Frame, OutgoingMessage } from './OutgoingMessage.ts';

/** What the queue needs from a ws socket. */
export interface FrameSink {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Frame, cb?: (err?: Error) => void): void;
}

/** A queued topic message and how this client wants it encoded. */
export interface DataEntry {
  message: OutgoingMessage;
  compression: 'none' | 'cbor' | 'cbor-raw';
  /** Split JSON frames larger than this into fragment ops. */
  fragmentSize: number | undefined;
  /** Fragment id (the subscription's id, else the topic). */
  fragmentId: string;
  /** performance.now() when it entered the queue (set by pushData). */
  queuedMs?: number;
}

const OPEN = 1;

/** A fixed-capacity ring; push beyond capacity returns the evicted oldest entry. */
class Ring<T> {
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  constructor(capacity: number) {
    this.#items = new Array(capacity);
  }
  get size(): number {
    return this.#size;
  }
  push(item: T): boolean {
    const cap = this.#items.length;
    if (this.#size === cap) {
      this.#items[this.#head] = item;
      this.#head = (this.#head + 1) % cap;
      return true;
    }
    this.#items[(this.#head + this.#size) % cap] = item;
    this.#size++;
    return false;
  }
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return item;
  }
  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}

export class OutgoingQueue {
  /** Frames written to the socket (fragments count one each). */
  sent = 0;
  /** Entries dropped because the queue was full. */
  dropped = 0;
  /** Encoding failures (the message was skipped). */
  errors = 0;
  /** Queue delay of each topic message written, µs (at least 1). */
  readonly delayUs: RecordableHistogram = createHistogram();
  readonly #sink: FrameSink;
  readonly #highWaterBytes: number;
  readonly #data: Ring<DataEntry>;
  readonly #control: Ring<Frame>;
  readonly #onEncodeError: (error: unknown, entry: DataEntry) => void;
  readonly #onDrain: () => void;
  /** Set when a frame pushed the socket past the high-water mark; cleared by its write callback. */
  #waitingForDrain = false;
  #closed = false;
  readonly #written = (): void => {
    this.#waitingForDrain = false;
    if (!this.#closed && this.queued > 0) this.#onDrain();
  };

  constructor(
    sink: FrameSink,
    options: {
      /** Entries per queue (data, control). */
      limit: number;
      /** Stop writing while the socket holds this many unsent bytes. */
      highWaterBytes: number;
      onEncodeError: (error: unknown, entry: DataEntry) => void;
      /** The socket took what it held and entries are waiting: call flush() soon. */
      onDrain: () => void;
    },
  ) {
    this.#sink = sink;
    this.#highWaterBytes = options.highWaterBytes;
    this.#data = new Ring(options.limit);
    this.#control = new Ring(options.limit);
    this.#onEncodeError = options.onEncodeError;
    this.#onDrain = options.onDrain;
  }

  /** Entries waiting (data and control). */
  get queued(): number {
    return this.#data.size + this.#control.size;
  }

  pushData(entry: DataEntry): void {
    if (this.#closed) return;
    entry.queuedMs = performance.now();
    if (this.#data.push(entry)) this.dropped++;
  }

  pushControl(frame: Frame): void {
    if (this.#closed) return;
    if (this.#control.push(frame)) this.dropped++;
  }

  /**
   * Writes queued frames until the queues are empty or the socket is past its high-water mark
   * (then the write callback of the frame that crossed it calls `onDrain`).
   */
  flush(): void {
    if (this.#closed || this.#sink.readyState !== OPEN) return;
    while (!this.#waitingForDrain) {
      const control = this.#control.shift();
      if (control !== undefined) {
        this.#send(control);
        continue;
      }
      const entry = this.#data.shift();
      if (entry === undefined) return;
      this.#sendEntry(entry);
    }
  }

  /** True while the socket holds more than the high-water mark. */
  get waitingForDrain(): boolean {
    return this.#waitingForDrain;
  }

  close(): void {
    this.#closed = true;
    this.#data.clear();
    this.#control.clear();
  }

  #sendEntry(entry: DataEntry): void {
    let frames: Frame | string[];
    try {
      const m = entry.message;
      if (entry.compression === 'cbor') frames = m.cbor();
      else if (entry.compression === 'cbor-raw') frames = m.cborRaw();
      else frames = (entry.fragmentSize && m.fragments(entry.fragmentSize, entry.fragmentId)) || m.json();
    } catch (error) {
      this.errors++;
      this.#onEncodeError(error, entry);
      return;
    }
    this.delayUs.record(Math.max(1, Math.round((performance.now() - entry.queuedMs!) * 1000)));
    if (Array.isArray(frames)) for (const f of frames) this.#send(f);
    else this.#send(frames);
  }

  #send(frame: Frame): void {
    const sink = this.#sink;
    const size = typeof frame === 'string' ? frame.length : frame.byteLength;
    if (sink.bufferedAmount + size >= this.#highWaterBytes) {
      this.#waitingForDrain = true;
      sink.send(frame, this.#written);
    } else {
      sink.send(frame);
    }
    this.sent++;
  }
}
