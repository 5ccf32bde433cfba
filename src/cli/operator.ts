import { userInfo } from 'node:os';

/** The actor of what a command line does: the operating-system user who ran it. */
export function operatorActor(): string {
  try {
    return `user:${userInfo().username}`;
  } catch {
    // A uid without a passwd entry (some containers) has no name.
    return `user:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
