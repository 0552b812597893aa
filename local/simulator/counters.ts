// The totals the stats endpoints serve: running sums over the visible events [0, counted), per media, per visitor
// and for the account, brought up to date lazily (only forward: "now" never moves back).
import { NONE, u32, type Account } from './account.ts';

export class Counters {
  private counted = 0;
  readonly mPlays: number[] = [];
  readonly mLoads: number[] = [];
  readonly mPct: number[] = [];
  readonly mSeconds: number[] = [];
  readonly mVisitors: number[] = [];
  private readonly pairSeen = new Set<number>();
  readonly vPlays = u32();
  readonly vLoads = u32();
  /** The visitor's last visible event. */
  readonly vLast = u32();
  readonly account = { loads: 0, plays: 0, seconds: 0 };

  /** Adds the events that became visible since the last call (and a zero row for each new media and visitor). */
  sync(a: Account): void {
    for (let i = this.mPlays.length; i < a.medias.length; i++) {
      this.mPlays.push(0);
      this.mLoads.push(0);
      this.mPct.push(0);
      this.mSeconds.push(0);
      this.mVisitors.push(0);
    }
    for (let v = this.vPlays.length; v < a.viFirst.length; v++) {
      this.vPlays.push(0);
      this.vLoads.push(0);
      this.vLast.push(NONE);
    }
    const visible = a.visibleEvents();
    for (let e = this.counted; e < visible; e++) {
      const m = a.evMedia.at(e);
      const v = a.evVisitor.at(e);
      const loads = 1 + a.extraLoads(e);
      const secs = a.watchedSeconds(e);
      this.mPlays[m] = (this.mPlays[m] as number) + 1;
      this.mLoads[m] = (this.mLoads[m] as number) + loads;
      this.mPct[m] = (this.mPct[m] as number) + a.evPct.at(e);
      this.mSeconds[m] = (this.mSeconds[m] as number) + secs;
      const pair = m * 16_777_216 + v;
      if (!this.pairSeen.has(pair)) {
        this.pairSeen.add(pair);
        this.mVisitors[m] = (this.mVisitors[m] as number) + 1;
      }
      this.vPlays.set(v, this.vPlays.at(v) + 1);
      this.vLoads.set(v, this.vLoads.at(v) + loads);
      this.vLast.set(v, e);
      this.account.loads += loads;
      this.account.plays += 1;
      this.account.seconds += secs;
    }
    this.counted = Math.max(this.counted, visible);
  }
}
