/**
 * The one place that writes an ssh command line. Every destination is a port
 * on this machine's loopback interface (our network rule), and the command
 * line makes sure that it stays one whatever the user's or the system's ssh
 * configuration says: no configuration file is read (`-F none`), and the
 * options that could send the connection elsewhere or run something locally
 * are given explicitly (the first value ssh obtains wins, and command-line
 * options come before any file). Values that come from outside (the login,
 * file names) are checked, and `--` ends the options before the destination,
 * so that none of them can become an ssh option.
 */
import path from 'node:path';

/** A login name as POSIX portable user names have it; never starts with '-'. */
const LOGIN_NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/;

export class SshDestinationError extends Error {
  override name = 'SshDestinationError';
}

/** Why `name` is not a login name ssh may be given, or null when it is one. */
export function loginNameProblem(name: string): string | null {
  if (name === '') return 'the user name is empty';
  if (name.startsWith('-')) return `the user name "${name}" starts with "-" (ssh would read it as an option)`;
  if (!LOGIN_NAME.test(name)) return `"${name}" is not a login name (letters, digits, ".", "_" and "-", at most 32, not starting with "-")`;
  return null;
}

/** A literal loopback address: 127.0.0.0/8 or ::1 (no names: they resolve through files we do not control). */
export function isLoopbackAddress(host: string): boolean {
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255);
  return host === '::1';
}

export interface LoopbackSshDestination {
  user: string;
  /** A literal loopback address (default 127.0.0.1). */
  host?: string;
  port: number;
  /** Private key; only this key is offered. Default: ssh's own defaults and agent. */
  identity?: string;
  /** Check the host key against this file; undefined: not checked and not recorded (as Vagrant does). */
  knownHosts?: string;
}

export interface SshCommandOptions {
  /** Allocate a terminal (an interactive login). */
  tty?: boolean;
}

/** A file name as the value of an `-o Keyword=value` option: absolute, quoted, `%` escaped. */
function fileOption(keyword: string, file: string): string {
  const abs = path.resolve(file);
  if (/["\n\r\0]/.test(abs)) throw new SshDestinationError(`${keyword}: the file name ${JSON.stringify(file)} has a quote or a line break, which ssh cannot be given`);
  return `${keyword}="${abs.replace(/%/g, '%%')}"`;
}

/**
 * ssh's arguments (without `ssh` itself) to run `command` (words joined by ssh
 * with spaces and run by the login shell; none: a login) at `dest`.
 */
export function sshArgs(dest: LoopbackSshDestination, command: readonly string[] = [], options: SshCommandOptions = {}): string[] {
  const host = dest.host ?? '127.0.0.1';
  if (!isLoopbackAddress(host)) throw new SshDestinationError(`ssh destination ${host} is not a loopback address (127.0.0.1, ::1): our network rule allows no other`);
  const problem = loginNameProblem(dest.user);
  if (problem !== null) throw new SshDestinationError(`ssh login: ${problem}`);
  if (!Number.isInteger(dest.port) || dest.port < 1 || dest.port > 65535) throw new SshDestinationError(`ssh port ${dest.port} is not 1-65535`);
  const o = (setting: string): string[] => ['-o', setting];
  const args = [
    // No ~/.ssh/config, no /etc/ssh/ssh_config (and so no Match exec, Include, ...).
    '-F', 'none',
    // Exactly this address and port, directly, as this user.
    ...o(`HostName=${host}`),
    ...o(`Port=${dest.port}`),
    ...o(`User=${dest.user}`),
    ...o('ProxyCommand=none'),
    ...o('ProxyJump=none'),
    ...o('CanonicalizeHostname=no'),
    // No shared connection that could lead elsewhere, nothing run or forwarded locally.
    ...o('ControlMaster=no'),
    ...o('ControlPath=none'),
    ...o('PermitLocalCommand=no'),
    ...o('LocalCommand=none'),
    ...o('RemoteCommand=none'),
    ...o('ClearAllForwardings=yes'),
    ...o('ForwardAgent=no'),
    ...o('ForwardX11=no'),
    ...o('Tunnel=no'),
    // No prompts, bounded waits, only errors on stderr.
    ...o('BatchMode=yes'),
    ...o('ConnectTimeout=15'),
    ...o('ServerAliveInterval=15'),
    ...o('LogLevel=ERROR'),
  ];
  if (dest.identity !== undefined) args.push('-i', path.resolve(dest.identity), ...o('IdentitiesOnly=yes'));
  if (dest.knownHosts !== undefined) {
    args.push(...o('StrictHostKeyChecking=yes'), ...o(fileOption('UserKnownHostsFile', dest.knownHosts)), ...o('GlobalKnownHostsFile=/dev/null'));
  } else {
    // A loopback forward's host key changes with every box: not checked, not recorded.
    args.push(...o('StrictHostKeyChecking=no'), ...o('UserKnownHostsFile=/dev/null'), ...o('GlobalKnownHostsFile=/dev/null'));
  }
  if (options.tty === true) args.push('-t');
  // Nothing after `--` is an option: not the destination, not the command.
  args.push('--', host, ...command);
  return args;
}
