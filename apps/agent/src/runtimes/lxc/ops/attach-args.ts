// lxc-attach has no working-directory option: a POSIX sh in the container changes into it (given as $1, never
// spliced into the script) and then execs the command unchanged.
const CD_THEN_EXEC = 'cd -- "$1" || exit 126; shift; exec "$@"';

export interface AttachRequest {
  lxcPath: string;
  name: string;
  command: string[];
  env: Record<string, string>;
  workdir?: string | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
}

export function attachArgs(req: AttachRequest): string[] {
  // --clear-env leaves only container=lxc and a default PATH, so nothing of the agent's environment leaks in.
  const args = ['-P', req.lxcPath, '-n', req.name, '--clear-env'];
  for (const [key, value] of Object.entries(req.env)) args.push('-v', `${key}=${value}`);
  if (req.uid !== undefined) args.push('-u', String(req.uid));
  if (req.gid !== undefined) args.push('-g', String(req.gid));
  args.push('--');
  if (req.workdir !== undefined) args.push('/bin/sh', '-c', CD_THEN_EXEC, 'sh', req.workdir, ...req.command);
  else args.push(...req.command);
  return args;
}

export type ExecUser = { uid: number; gid?: number } | { name: string };

// "1000", "1000:1000", or a user name that the container's own `id` resolves. Groups by name are not supported.
export function parseExecUser(user: string): ExecUser | null {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(user);
  if (numeric) {
    const uid = Number(numeric[1]);
    return numeric[2] === undefined ? { uid } : { uid, gid: Number(numeric[2]) };
  }
  return /^[a-z_][a-z0-9_.-]*\$?$/i.test(user) ? { name: user } : null;
}
