// A progress bar with rate and ETA for long work. On a terminal it redraws in place;
// elsewhere (CI, logs) it prints a line every few seconds.
import cliProgress from 'cli-progress';

export interface Progress {
  /** Advances by n units and updates the shown metrics. */
  tick(n?: number, metrics?: Record<string, number | string>): void;
  stop(): void;
}

function fmt(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4);
}

/** Seconds left as 45s, 3m05s or 1h02m (rounded once, so never 2m60s); '?' before any rate. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const r = Math.round(seconds);
  if (r < 60) return `${r}s`;
  const m = Math.floor(r / 60);
  if (m < 60) return `${m}m${String(r % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function progress(label: string, total: number, opts: { unit?: string; quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { tick: () => {}, stop: () => {} };
  const unit = opts.unit ?? 'it';
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} | {rate} ${unit}/s | ETA {eta_text} | {metrics}`,
      barsize: 24,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  let done = 0;
  bar.start(total, 0, { rate: '0', metrics: '', eta_text: '?' });
  return {
    tick(n = 1, metrics = {}) {
      done += n;
      const secs = (performance.now() - start) / 1000;
      const text = Object.entries(metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(' ');
      const rate = secs > 0 ? done / secs : 0;
      bar.update(done, { rate: fmt(rate), metrics: text, eta_text: rate > 0 ? formatEta((total - done) / rate) : '?' });
    },
    stop() {
      bar.stop();
    },
  };
}
