// A cross-process lock per dataset for captioning: two processes (the
// runtime, a captioning job, the CLI) never caption the same dataset at once.
// The lock is a file in the store holding the owner's pid and process start
// time; a lock whose owner is gone is taken over.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSameProcess, processStartToken } from '../os/process';

export class DatasetBusyError extends Error {}

interface LockInfo {
  pid: number;
  start: string | null;
  dir: string;
  since: string;
  job?: string;
}

export function captionLockPath(storeDir: string, datasetDir: string): string {
  return path.join(storeDir, 'locks', `caption-${createHash('sha1').update(datasetDir).digest('hex').slice(0, 16)}.json`);
}

/** Takes the lock or throws DatasetBusyError naming the holder; returns the release function. */
export function acquireCaptionLock(storeDir: string, datasetDir: string, name: string): () => void {
  const file = captionLockPath(storeDir, datasetDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const mine: LockInfo = { pid: process.pid, start: processStartToken(process.pid), dir: datasetDir, since: new Date().toISOString(), job: process.env.TUNESTUDIO_JOB_ID };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return () => {
        try {
          const now = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
          if (now.pid === mine.pid && now.start === mine.start) fs.rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockInfo | null = null;
    try {
      holder = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      /* half-written or removed meanwhile: try again */
    }
    if (holder && isSameProcess(holder.pid, holder.start)) {
      throw new DatasetBusyError(
        `Dataset '${name}' is already being captioned by process ${holder.pid}${holder.job ? ` (job ${holder.job})` : ''} since ${holder.since}; wait for it to finish or cancel it.`,
      );
    }
    fs.rmSync(file, { force: true }); // its owner is gone
  }
  throw new DatasetBusyError(`Dataset '${name}': could not take the captioning lock (${file}); try again.`);
}
