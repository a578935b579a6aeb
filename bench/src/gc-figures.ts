import { GCProfiler, getHeapStatistics } from 'node:v8';

/**
 * What V8 allocated on the JS heap, and how long it paused the main thread
 * to collect, between `measureGc()` and `stop()`. Allocation depends on the
 * code and the events, not on what else runs on the host: it is the figure
 * to compare between runs on a shared machine, where rates vary by ±20%.
 */
export interface GcFigures {
  allocatedBytes: number;
  /** Main-thread pauses (V8's own cost of each collection); its helper threads' work is not in it. */
  pauseMs: number;
}

export function measureGc(): { stop(): GcFigures } {
  const startUsed = getHeapStatistics().used_heap_size;
  const profiler = new GCProfiler();
  profiler.start();
  return {
    stop() {
      const endUsed = getHeapStatistics().used_heap_size;
      const statistics = profiler.stop()?.statistics ?? [];
      // Allocated = what the heap grew by between one collection's end and the next one's start.
      const figures: GcFigures = { allocatedBytes: 0, pauseMs: 0 };
      let usedAfter = startUsed;
      for (const gc of statistics) {
        figures.allocatedBytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - usedAfter);
        usedAfter = gc.afterGC.heapStatistics.usedHeapSize;
        figures.pauseMs += gc.cost / 1000;
      }
      figures.allocatedBytes += Math.max(0, endUsed - usedAfter);
      return figures;
    },
  };
}

/** `{ allocatedBytesPerEvent, gcPauseUsPerEvent }`, rounded for a JSON report. */
export function perEvent(figures: GcFigures, events: number): { allocatedBytesPerEvent: number; gcPauseUsPerEvent: number } {
  return { allocatedBytesPerEvent: Math.round(figures.allocatedBytes / events), gcPauseUsPerEvent: Math.round(((figures.pauseMs * 1000) / events) * 100) / 100 };
}
