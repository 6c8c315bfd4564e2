/**
 * Relay global ids: `base64url("<Type>:<number>")`. Decoding is strict: only
 * the canonical encoding of a known type and a positive safe integer is
 * accepted, anything else is BAD_USER_INPUT naming the argument.
 *
 * Example:
 *   toGlobalId('Patient', 42)                 // 'UGF0aWVudDo0Mg'
 *   parseGlobalId('UGF0aWVudDo0Mg')           // { type: 'Patient', id: 42 }
 *   expectGlobalId('UGF0aWVudDo0Mg', 'Event') // throws BAD_USER_INPUT: expected an Event id, got a Patient id
 */
import { gatewayError } from '../errors.js';

export const NODE_TYPES = ['Patient', 'MedicalRecord', 'Clinician', 'Event', 'Schedule', 'Selection'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

const GLOBAL_ID_PATTERN = /^([A-Za-z]+):([1-9][0-9]{0,15})$/;

export function toGlobalId(type: NodeType, id: number): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

/** Decodes a global id, or returns null when it is not one of ours. */
export function parseGlobalId(globalId: string): { type: NodeType; id: number } | null {
  if (globalId.length === 0 || globalId.length > 64 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  // Only the canonical encoding: padding or trailing bits would make two ids for one object.
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== globalId) return null;
  const match = GLOBAL_ID_PATTERN.exec(decoded);
  if (!match) return null;
  const type = match[1] as NodeType;
  const id = Number(match[2]);
  if (!NODE_TYPES.includes(type) || !Number.isSafeInteger(id)) return null;
  return { type, id };
}

/** Decodes a global id of any node type, or throws BAD_USER_INPUT naming `argument`. */
export function expectAnyGlobalId(globalId: string, argument = 'id'): { type: NodeType; id: number } {
  const parsed = parseGlobalId(globalId);
  if (!parsed) {
    throw gatewayError('BAD_USER_INPUT', `Argument "${argument}" is not a valid global id: "${truncate(globalId)}".`, {
      argument,
      field: argument,
    });
  }
  return parsed;
}

/** Decodes a global id that must be of `type`; returns the row id. */
export function expectGlobalId(globalId: string, type: NodeType, argument = 'id'): number {
  const parsed = expectAnyGlobalId(globalId, argument);
  if (parsed.type !== type) {
    throw gatewayError(
      'BAD_USER_INPUT',
      `Argument "${argument}" must be ${article(type)} ${type} id, got ${article(parsed.type)} ${parsed.type} id.`,
      { argument, field: argument, expectedType: type, actualType: parsed.type },
    );
  }
  return parsed.id;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
