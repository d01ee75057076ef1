import type { ComponentView } from '../../server/protocol.ts';
import { postJson } from '../api.ts';
import { fmtRate, h } from '../dom.ts';

/** Speeds offered in the selector; any other (from --speed or "custom") is added as its own option. */
const PRESETS = [0.5, 1, 2, 10, 60];
const CUSTOM = 'custom';

const fmtSpeed = (n: number): string => `×${Number(n.toPrecision(6))}`;

/** What the speed means for this source, in words: how much event time a second, or records per second. */
function describe(c: ComponentView): string {
  const speed = c.speed ?? 1;
  if (c.pacing === 'rate' && c.rate !== undefined)
    return `${fmtSpeed(speed)} of ${fmtRate(c.rate)}: ${fmtRate(c.rate * speed)}`;
  return `${fmtSpeed(speed)} event time: ${span(speed)} of data a second`;
}

/** `speed` seconds, in the largest unit that keeps it readable (60 → "1 min", 86400 → "1 day"). */
function span(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  for (const [size, name] of units) {
    if (seconds >= size) {
      const n = Number((seconds / size).toPrecision(3));
      return name === 'day' && n !== 1 ? `${n} days` : `${n} ${name}`;
    }
  }
  return `${Number((seconds * 1000).toPrecision(3))} ms`;
}

/**
 * Pause/Resume and a speed selector for one replaying source. The command goes to the server, which puts
 * it on the control topic; the button shows the new state when the source's status says so (the server
 * never pretends it happened). Errors are shown beside the controls, not thrown.
 */
export function replayControls(c: ComponentView): HTMLElement {
  const paused = c.paused === true;
  // Paused, it produces nothing: its speed's rate ("×1 of 10/s: 10/s") read as if it still ran. The
  // selector keeps the speed it resumes at.
  const note = h('span', {
    class: 'muted small replay-note',
    text: paused ? 'paused: 0/s until resumed' : describe(c),
  });
  const error = h('span', { class: 'bad-text small replay-error', role: 'alert' });
  const send = async (command: 'pause' | 'resume' | 'speed', speed?: number) => {
    error.textContent = '';
    try {
      await postJson('/api/control', {
        app: c.app,
        pipeline: c.pipeline,
        source: c.name,
        command,
        ...(speed === undefined ? {} : { speed }),
      });
    } catch (err) {
      error.textContent = (err as Error).message;
    }
  };

  const toggle = h('button', {
    type: 'button',
    class: `btn small replay-toggle ${paused ? 'active' : ''}`.trim(),
    'data-action': paused ? 'resume' : 'pause',
    text: paused ? 'Resume' : 'Pause',
  });
  toggle.addEventListener('click', () => {
    toggle.disabled = true;
    toggle.textContent = paused ? 'Resuming…' : 'Pausing…';
    void send(paused ? 'resume' : 'pause');
  });

  const current = c.speed ?? 1;
  const speeds = PRESETS.includes(current) ? PRESETS : [...PRESETS, current].sort((a, b) => a - b);
  const select = h(
    'select',
    { class: 'replay-speed', 'aria-label': `speed of ${c.name}` },
    ...speeds.map((s) => h('option', { value: String(s), text: fmtSpeed(s), selected: s === current })),
    h('option', { value: CUSTOM, text: 'custom…' }),
  );
  const custom = h('input', {
    type: 'number',
    class: 'replay-custom',
    min: '0.001',
    step: 'any',
    placeholder: 'speed',
    'aria-label': `custom speed of ${c.name}`,
    hidden: true,
  });
  select.addEventListener('change', () => {
    if (select.value === CUSTOM) {
      custom.hidden = false;
      custom.focus();
      return;
    }
    select.blur();
    void send('speed', Number(select.value));
  });
  custom.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') custom.blur();
    if (e.key !== 'Enter') return;
    const n = Number(custom.value);
    if (!(Number.isFinite(n) && n > 0)) {
      error.textContent = 'speed must be a number above 0';
      return;
    }
    custom.blur();
    void send('speed', n);
  });

  return h(
    'div',
    { class: 'replay-controls', 'data-paused': String(paused), 'data-speed': String(current) },
    toggle,
    select,
    custom,
    note,
    error,
  );
}

/**
 * The overview redraws its cards every second; a control must not be swapped out from under a click or
 * an open selector. While the pointer is down on one, or a selector or the custom field has focus, the
 * cards hold still; `release` runs once the user lets go.
 */
export function holdWhileUsed(root: HTMLElement, release: () => void): { busy(): boolean; dispose(): void } {
  let pressed = false;
  const using = () => {
    const a = document.activeElement;
    return a instanceof HTMLElement && root.contains(a) && a.matches('.replay-controls select, .replay-controls input');
  };
  root.addEventListener('pointerdown', (e) => {
    if ((e.target as HTMLElement).closest('.replay-controls')) pressed = true;
  });
  const up = () => {
    if (!pressed) return;
    pressed = false;
    // After the click handler, which runs on the same gesture.
    setTimeout(release, 0);
  };
  window.addEventListener('pointerup', up);
  window.addEventListener('pointercancel', up);
  root.addEventListener('focusout', () => setTimeout(() => using() || release(), 0));
  return {
    busy: () => pressed || using(),
    dispose() {
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
    },
  };
}
