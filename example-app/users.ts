import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Column, DataType, Model, Table, type Sequelize } from 'sequelize-typescript';

/**
 * The app's own users: trpc-durin does not own them, it only needs a model with a primary key
 * (`userModel`), a credential check (`authenticateUser`) and, optionally, `isActive`.
 * Passwords are stored as salted scrypt hashes; no plaintext password is ever written.
 */

export function defineUserModel(sequelize: Sequelize) {
  // Every column has an explicit type: tsx and esbuild emit no decorator metadata.
  @Table({ tableName: 'app_user', timestamps: false })
  class User extends Model {
    @Column({ type: DataType.INTEGER, primaryKey: true, autoIncrement: true })
    override id!: number;

    @Column({ type: DataType.STRING(150), allowNull: false, unique: true })
    username!: string;

    /** `scrypt$N$r$p$salt$hash` (base64url), see hashPassword. */
    @Column({ type: DataType.STRING(255), allowNull: false, field: 'password_hash' })
    passwordHash!: string;

    /** durin's default `isUserActive` reads this attribute. */
    @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: true, field: 'is_active' })
    isActive!: boolean;
  }
  sequelize.addModels([User]);
  return User;
}

export type UserModel = ReturnType<typeof defineUserModel>;
export type User = InstanceType<UserModel>;

// OWASP's first scrypt choice: N=2^17, r=8, p=1 (128 MiB per hash). The parameters are stored
// with each hash, so they can be raised later without invalidating existing passwords.
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 64;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** A new salted hash of `password`: `scrypt$131072$8$1$<salt>$<hash>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` matches `stored`, compared in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Checked when the username is unknown, so that a wrong username costs as much as a wrong password.
let decoyHash: Promise<string> | undefined;

/** `authenticateUser` for createDurin: the user when the credentials match, else null. */
export function passwordAuthenticator(User: UserModel) {
  return async ({ username, password }: { username: string; password: string }): Promise<User | null> => {
    const user = await User.findOne({ where: { username } });
    if (!user) {
      decoyHash ??= hashPassword('decoy password');
      await verifyPassword(password, await decoyHash);
      return null;
    }
    return (await verifyPassword(password, user.passwordHash)) ? user : null;
  };
}
