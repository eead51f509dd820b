/**
 * A 64-bit FNV-1a hash of a list of float64 values, as 16 hex digits. Bit-exact:
 * two states hash equal only if every value is bit-identical (-0 and 0 differ).
 */
export function hashFloat64(values: Float64Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  // Two independent 32-bit FNV-1a lanes make a 64-bit digest without BigInt.
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b ^ (i & 0xff), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
