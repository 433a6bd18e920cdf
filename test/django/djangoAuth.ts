import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { Column, DataType, Model, Table } from 'sequelize-typescript';

// Django's user table, read by column name (its column order differs between backends).
@Table({ tableName: 'auth_user', timestamps: false })
export class AuthUser extends Model {
  @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
  override id!: number;

  @Column({ type: DataType.STRING(150), allowNull: false })
  username!: string;

  @Column({ type: DataType.STRING(128), allowNull: false })
  password!: string;

  // durin's default isUserActive reads `isActive`.
  @Column({ type: DataType.BOOLEAN, allowNull: false, field: 'is_active' })
  isActive!: boolean;
}

const pbkdf2Async = promisify(pbkdf2);

/** Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte PBKDF2-HMAC-SHA256 key>`. */
export async function verifyDjangoPassword(password: string, encoded: string): Promise<boolean> {
  const [algorithm, iterations, salt, hash, ...rest] = encoded.split('$');
  if (algorithm !== 'pbkdf2_sha256' || rest.length > 0 || !salt || !hash) return false;
  if (!/^[1-9]\d{0,7}$/.test(iterations!) || password.length > 4096) return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length !== 32) return false;
  const derived = await pbkdf2Async(password, salt, Number(iterations), 32, 'sha256');
  return timingSafeEqual(derived, expected); // constant time
}

// Hashed for unknown usernames too, as Django does, so timing does not tell which usernames exist.
const UNKNOWN_USER = `pbkdf2_sha256$260000$unknown$${Buffer.alloc(32).toString('base64')}`;

/** createDurin's `authenticateUser`: the Django user, or null. */
export async function authenticateUser({ username, password }: { username: string; password: string }) {
  const user = await AuthUser.findOne({ where: { username } });
  const valid = await verifyDjangoPassword(password, user?.password ?? UNKNOWN_USER);
  return user && valid ? user : null;
}
