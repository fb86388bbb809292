// Conflates DOM work to one pass per animation frame: many watch events arriving within a
// frame (a rollout, a resync) mark keys dirty, and the flush sees each key once.

export class FrameBatch {
  /** `flush(keys)` runs once per animation frame with the keys marked since the last one. */
  constructor(flush) {
    this.flushCallback = flush;
    this.dirty = new Set();
    this.pending = null; // cancels the scheduled frame or timer
    this.everything = false;
  }

  /** Marks one key for the next frame. */
  mark(key) {
    this.dirty.add(key);
    this.schedule();
  }

  /** Marks the whole view (a new snapshot, a changed filter). */
  markAll() {
    this.everything = true;
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    // Hidden tabs get no animation frames; a timer keeps the view current meanwhile.
    if (document.hidden) {
      const timer = setTimeout(() => this.run(), 100);
      this.pending = () => clearTimeout(timer);
    } else {
      const frame = requestAnimationFrame(() => this.run());
      this.pending = () => cancelAnimationFrame(frame);
    }
  }

  run() {
    this.pending = null;
    const keys = this.dirty;
    const everything = this.everything;
    this.dirty = new Set();
    this.everything = false;
    this.flushCallback(keys, everything);
  }

  /** Drops pending work (the view is going away). */
  cancel() {
    this.pending?.();
    this.pending = null;
    this.dirty.clear();
    this.everything = false;
  }
}
