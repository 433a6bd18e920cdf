import { z } from 'zod';
import type { DurinAdmin, DurinAdminClient } from '../../core/admin.js';
import type { DurinTRPC } from '../../request/procedures.js';
import { actorOf, type AdminProcedure } from './procedure.js';

/**
 * durin's ClientAdmin: list, create, change and delete clients. Inputs are shaped here; their
 * values (a duration, a rate, an ability) are checked as `durin.clients.create` checks them.
 */

const clientName = z.string().min(1).max(64);
const clientFields = {
  tokenTtl: z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(32)]).optional(),
  throttleRate: z.string().max(64).nullable().optional(),
  abilities: z.array(z.string().min(1).max(64)).max(100).nullable().optional(),
};
export const adminClientInput = z.object({ name: clientName, ...clientFields });

export interface AdminClientsDeps<TUser> {
  readonly t: DurinTRPC<TUser>;
  readonly adminProcedure: AdminProcedure<TUser>;
  readonly admin: DurinAdmin;
}

export function adminClientsRouter<TUser>(deps: AdminClientsDeps<TUser>) {
  const { t, adminProcedure, admin } = deps;
  return t.router({
    list: adminProcedure.query(function listClients(): Promise<DurinAdminClient[]> {
      return admin.listClients();
    }),
    create: adminProcedure.input(adminClientInput).mutation(function createClient({ ctx, input }): Promise<DurinAdminClient> {
      return admin.createClient(actorOf(ctx), input);
    }),
    update: adminProcedure.input(adminClientInput).mutation(function updateClient({ ctx, input }): Promise<DurinAdminClient> {
      return admin.updateClient(actorOf(ctx), input);
    }),
    delete: adminProcedure.input(z.object({ name: clientName })).mutation(async function deleteClient({ ctx, input }): Promise<void> {
      await admin.deleteClient(actorOf(ctx), input.name);
    }),
  });
}
