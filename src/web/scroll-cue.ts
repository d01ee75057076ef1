/**
 * A cue on every table that scrolls sideways: on a phone the Topics table's rates and dead letters, and an
 * app card's targets, sat off-screen with nothing to say they were there. The box a table scrolls in gets
 * `data-more` = "left", "right" or both, the sides it has more on, and the stylesheet fades those edges.
 *
 * Views make their tables as they like (the overview redraws its every second), so one observer of the page
 * finds them: a table added, or changed inside, has its scroll box looked at again, as does a box that
 * scrolls or changes size.
 */

/** Scroll boxes seen, each with its scroll listener; dropped once they leave the page. */
const boxes = new Set<HTMLElement>();
const resized = new ResizeObserver((entries) => {
  for (const e of entries) update(e.target as HTMLElement);
});

/** The nearest ancestor of `table` that scrolls sideways, if any. */
function boxOf(table: Element): HTMLElement | undefined {
  for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
    const o = getComputedStyle(el).overflowX;
    if (o === 'auto' || o === 'scroll') return el;
  }
  return undefined;
}

/** Which sides of `box` have more to scroll to ("left right", "left", "right" or none). */
function moreSides(box: { scrollLeft: number; scrollWidth: number; clientWidth: number }): string {
  // A pixel of slack: zoomed pages report fractional scroll positions.
  const left = box.scrollLeft > 1;
  const right = box.scrollLeft < box.scrollWidth - box.clientWidth - 1;
  return [left ? 'left' : '', right ? 'right' : ''].filter(Boolean).join(' ');
}

function update(box: HTMLElement): void {
  const more = moreSides(box);
  if (more) box.setAttribute('data-more', more);
  else box.removeAttribute('data-more');
}

function watch(box: HTMLElement): void {
  if (!boxes.has(box)) {
    boxes.add(box);
    box.addEventListener('scroll', () => update(box), { passive: true });
    resized.observe(box);
  }
  update(box);
}

/** Keeps the cues of every table under `root` up to date, from now on. */
export function scrollCues(root: HTMLElement): void {
  new MutationObserver((records) => {
    const touched = new Set<Element>();
    for (const r of records) {
      const inside = r.target instanceof Element ? r.target.closest('table') : null;
      if (inside) touched.add(inside);
      for (const n of r.addedNodes) {
        if (!(n instanceof Element)) continue;
        if (n instanceof HTMLTableElement) touched.add(n);
        for (const t of n.querySelectorAll('table')) touched.add(t);
      }
    }
    for (const box of boxes) {
      if (box.isConnected) continue;
      boxes.delete(box);
      resized.unobserve(box);
    }
    for (const t of touched) {
      const box = t.isConnected ? boxOf(t) : undefined;
      if (box) watch(box);
    }
  }).observe(root, { childList: true, subtree: true });
}
