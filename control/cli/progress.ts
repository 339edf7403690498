import { SingleBar } from "cli-progress";
import type { MoveJournal } from "../moves/journal";
import type { MoveProgress } from "../moves/move";
import type { Io } from "./output";

/**
 * A move's progress for people: on a terminal a live bar (records copied, records per second,
 * phase, elapsed), elsewhere one line per phase and at most one line per second while copying, all
 * on stderr so stdout stays data.
 */
export function moveProgress(io: Io, label = (j: MoveJournal) => `${j.tenantId} ${j.source}->${j.target}`): MoveProgress & { stop(): void } {
  let bar: SingleBar | undefined;
  let started = 0;
  let lastLine = 0;
  const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
  return {
    phase(journal, detail) {
      started ||= Date.parse(journal.startedAt) || Date.now();
      if (bar) {
        bar.stop();
        bar = undefined;
      }
      io.err(`${label(journal)} [${elapsed()} s] ${detail}`);
    },
    copied(journal, copied, total) {
      started ||= Date.now();
      const rate = copied / Math.max(0.001, (Date.now() - started) / 1000);
      if (io.interactive) {
        bar ??= new SingleBar(
          { format: `${label(journal)} copying |{bar}| {value}/{total} records | {rate}/s | {elapsed} s`, stream: process.stderr, hideCursor: true },
        );
        if (!bar.isActive) bar.start(total ?? copied, 0, { rate: "0", elapsed: elapsed() });
        bar.setTotal(Math.max(total ?? copied, copied));
        bar.update(copied, { rate: rate.toFixed(0), elapsed: elapsed() });
        return;
      }
      const now = Date.now();
      if (now - lastLine < 1000 && copied !== total) return;
      lastLine = now;
      io.err(`${label(journal)} [${elapsed()} s] copied ${copied}${total === undefined ? "" : `/${total}`} records (${rate.toFixed(0)}/s)`);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
