import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A cache key from named inputs. Names are sorted and every value is
 * length-prefixed, so no two different input sets can serialize alike.
 */
export function keyOf(inputs: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(inputs).sort()) {
    const value = inputs[name] ?? '';
    hash.update(`${name.length}:${name}=${Buffer.byteLength(value)}:`);
    hash.update(value);
    hash.update('\n');
  }
  return hash.digest('hex');
}
