import type { ModelStatic, Model } from 'sequelize';

/**
 * Turns the raw column values of a hand-written SELECT into the attribute values Sequelize's own
 * finders would produce. The drivers disagree: SQLite returns DATETIME as text and BOOLEAN as 0/1,
 * mysql2 returns Date objects and 0/1. Only the types that differ are converted; the rest pass.
 */
export type ColumnDecoder = (value: unknown) => unknown;

export interface DecodedColumn {
  /** Attribute name on the model. */
  readonly attribute: string;
  /** Column name in the table. */
  readonly field: string;
  readonly decode: ColumnDecoder;
}

const passThrough: ColumnDecoder = (value) => value;

const decodeBoolean: ColumnDecoder = (value) => {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value === '1' || value.toLowerCase() === 'true';
  if (Buffer.isBuffer(value)) return value[0] === 1;
  return Boolean(value);
};

const decodeDate: ColumnDecoder = (value) => {
  if (value === null || value === undefined || value instanceof Date) return value;
  return new Date(value as string | number);
};

const decodeJson: ColumnDecoder = (value) => (typeof value === 'string' ? JSON.parse(value) : value);

const DECODERS: Record<string, ColumnDecoder> = {
  BOOLEAN: decodeBoolean,
  DATE: decodeDate,
  JSON: decodeJson,
};

/** The columns of a model, in attribute order, each with the decoder its type needs. */
export function decodedColumns(model: ModelStatic<Model>): DecodedColumn[] {
  return Object.entries(model.getAttributes()).map(([attribute, definition]) => {
    const type = definition.type as unknown as { key?: string; constructor?: { key?: string } };
    const key = type.key ?? type.constructor?.key ?? '';
    return { attribute, field: definition.field ?? attribute, decode: DECODERS[key] ?? passThrough };
  });
}
