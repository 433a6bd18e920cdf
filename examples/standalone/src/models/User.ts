import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { Column, DataType, Model, Table } from 'sequelize-typescript';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, length: number) => Promise<Buffer>;

// `@Table` names the table `Users` (pluralized), with an INTEGER `id` and timestamps.
// Every column has an explicit `type`: tsx and esbuild emit no decorator metadata.
@Table
export class User extends Model {
  @Column({ type: DataType.STRING(150), allowNull: false, unique: true })
  username!: string;

  /** `<salt>:<scrypt hash>`, both hex; never the password. */
  @Column({ type: DataType.STRING(200), allowNull: false })
  passwordHash!: string;

  @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: true })
  isActive!: boolean;

  static async hashPassword(password: string): Promise<string> {
    const salt = randomBytes(16);
    return `${salt.toString('hex')}:${(await scryptAsync(password, salt, 32)).toString('hex')}`;
  }

  async checkPassword(password: string): Promise<boolean> {
    const [salt = '', hash = ''] = this.passwordHash.split(':');
    const actual = await scryptAsync(password, Buffer.from(salt, 'hex'), 32);
    const expected = Buffer.from(hash, 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
