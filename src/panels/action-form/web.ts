import type { PanelSpec } from '../../core/app.ts';
import { postJson } from '../../web/api.ts';
import { card, type PanelView } from '../../web/charts/card.ts';
import { fmtNum, h } from '../../web/dom.ts';
import type { WebPanelType } from '../web.ts';
import type { ActionFormOptions } from './options.ts';

const at = (v: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
      v,
    );

/** `action-form` in the browser: inputs, a button, and the answer (or the server's one-line refusal). */
function actionFormPanel(spec: PanelSpec): PanelView {
  const o = spec.options as unknown as ActionFormOptions;
  const c = card(spec, 'form');
  c.setEmpty(false);
  const fields = o.inputs.map((i) => {
    const id = `${spec.id}-${i.name}`;
    const input = i.choices
      ? h('select', { id, name: i.name }, ...i.choices.map((v) => h('option', { value: v, text: v })))
      : h('input', { id, name: i.name, type: 'text', maxlength: 200, required: i.required });
    return {
      spec: i,
      input,
      // Said before sending, not learned from a refusal: a required field's label carries a mark.
      row: h(
        'label',
        { class: 'form-row', for: id },
        h(
          'span',
          { text: i.label ?? i.name },
          ...(i.required ? [h('span', { class: 'form-required', title: 'required', text: ' *' })] : []),
        ),
        input,
      ),
    };
  });
  const button = h('button', { type: 'submit', text: o.submit ?? 'Send' });
  const answer = h('div', { class: 'form-answer', 'aria-live': 'polite' });
  const form = h('form', { class: 'action-form', novalidate: true }, ...fields.map((f) => f.row), button);
  c.body.append(form, answer);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body: Record<string, string> = {};
    for (const f of fields) {
      const v = f.input.value.trim();
      if (v !== '') body[f.spec.name] = v;
    }
    button.disabled = true;
    c.el.dataset.state = 'sending';
    postJson<unknown>(`/api/apps/${o.app}/${o.action}`, body)
      .then((res) => {
        answer.replaceChildren(
          ...o.answer.map((a) => {
            const v = at(res, a.field);
            const text =
              v === undefined || v === null
                ? '–'
                : a.format === 'percent' && typeof v === 'number'
                  ? `${fmtNum(v * 100, 1)}%`
                  : String(v);
            return h(
              'div',
              { class: 'form-result', 'data-field': a.field },
              h('strong', { text: `${a.label ?? a.field}: ` }),
              text,
            );
          }),
        );
        c.el.dataset.state = 'done';
        form.reset();
      })
      .catch((err: Error) => {
        answer.replaceChildren(h('div', { class: 'form-error', role: 'alert', text: err.message }));
        c.el.dataset.state = 'error';
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  return { el: c.el, apply() {}, delta() {}, destroy() {} };
}

export const actionFormRenderer: WebPanelType = { name: 'action-form', create: actionFormPanel };
