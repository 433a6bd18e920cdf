import type { DurinLivenessMessage } from '../core/liveness.js';

/**
 * The bus's wire format: one JSON object per message, `{ from, message }`, where `from` names the
 * publishing bus so that it ignores its own messages (its process has delivered them already).
 * What arrives from Redis is checked before it reaches the liveness hub: anything else is dropped.
 */

/** Longest payload read: 500 digests (a revocation batch) fit many times over. */
const MAX_PAYLOAD = 1_000_000;
const MAX_ID = 256;
const MAX_HASHES = 10_000;

export interface BusEnvelope {
  readonly from: string;
  readonly message: DurinLivenessMessage;
}

export function encodeEnvelope(from: string, message: DurinLivenessMessage): string {
  return JSON.stringify({ from, message });
}

const isId = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_ID;

function checkMessage(value: unknown): DurinLivenessMessage | null {
  if (!value || typeof value !== 'object') return null;
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'revoked': {
      const hashes = m.tokenHashes;
      if (!Array.isArray(hashes) || hashes.length > MAX_HASHES || !hashes.every(isId)) return null;
      return { type: 'revoked', tokenHashes: hashes };
    }
    case 'renewed':
      if (!isId(m.tokenHash) || typeof m.expiry !== 'number' || !Number.isFinite(m.expiry)) return null;
      return { type: 'renewed', tokenHash: m.tokenHash, expiry: m.expiry };
    case 'userChanged':
      return isId(m.userId) ? { type: 'userChanged', userId: m.userId } : null;
    default:
      return null;
  }
}

/** The envelope in `payload`, or `null` when it is not one. */
export function decodeEnvelope(payload: string): BusEnvelope | null {
  if (payload.length > MAX_PAYLOAD) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const { from, message } = parsed as Record<string, unknown>;
  const checked = checkMessage(message);
  return isId(from) && checked ? { from, message: checked } : null;
}
