// Whether `mode: Auto` templates become native sidecars (init containers with
// restartPolicy: Always), which Kubernetes enables by default from 1.29.
export type NativeSidecarsFlag = 'auto' | 'always' | 'never';
export const NATIVE_SIDECARS_CHOICES: readonly NativeSidecarsFlag[] = ['auto', 'always', 'never'];

export interface ServerVersion {
  major: number;
  minor: number;
}

/** `auto` means native only when the API server is known to be 1.29 or newer. */
export function nativeSidecarsEnabled(flag: NativeSidecarsFlag, server: ServerVersion | undefined): boolean {
  if (flag === 'always') return true;
  if (flag === 'never') return false;
  return server !== undefined && (server.major > 1 || (server.major === 1 && server.minor >= 29));
}

/** Parses client-node's VersionInfo fields; minor may carry a suffix such as `34+`. */
export function parseServerVersion(major: string, minor: string): ServerVersion | undefined {
  const ma = Number.parseInt(major, 10);
  const mi = Number.parseInt(minor, 10);
  return Number.isFinite(ma) && Number.isFinite(mi) ? { major: ma, minor: mi } : undefined;
}
