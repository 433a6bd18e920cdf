import type { ChildProcess } from 'node:child_process';

/**
 * The parent's side of a bench server child's IPC (bench/server.ts): the child says `ready` with
 * its port, then answers each `{ id, cmd }` with `{ id, result }`. Shared by the timed servers
 * (run.ts) and the counted ones under valgrind (instructions.ts).
 */
export interface ServerChannel {
  readonly port: number;
  call<T = unknown>(cmd: string): Promise<T>;
  /** Asks the server to exit cleanly (so `--cpu-prof` and callgrind write their files) and waits for it. */
  exit(): Promise<void>;
}

/** `name` says which server in errors; `detail` adds what the child printed, when the caller keeps it. */
export async function connectServer(child: ChildProcess, name: string, detail: () => string = () => ''): Promise<ServerChannel> {
  let nextId = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`${name} exited with ${code}${detail()}`));
    pending.clear();
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready${detail()}`)));
    child.on('message', (message: { ready?: boolean; port?: number; id?: number; result?: unknown }) => {
      if (message.ready) resolve(message.port!);
      else if (message.id !== undefined) {
        pending.get(message.id)?.resolve(message.result);
        pending.delete(message.id);
      }
    });
  });
  const call = <T>(cmd: string) =>
    new Promise<T>((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`${name} has exited`));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, cmd });
    });
  return {
    port,
    call,
    async exit() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call('exit');
      await exited;
    },
  };
}
