// Renders a published form from its JSON definition (docs/forms.md) and keeps the answers.
// Answers are flat by question name; a repeat's answers are a list of row objects under its
// name, exactly as the server validates them. Relevance, required, constraints and
// calculations use the same expression subset as the server (expr.js).
import { compile, toBool, toString } from './expr.js';

const INPUT_TYPES = new Set(['text', 'integer', 'decimal', 'range', 'date', 'time', 'datetime', 'barcode']);
const CHOICE_TYPES = new Set(['select_one', 'select_multiple']);
const METADATA = new Set(['start', 'end', 'today', 'deviceid', 'username', 'audit', 'simserial', 'subscriberid', 'phonenumber', 'email']);
const isEmpty = (v) => v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length);

let nextId = 0;
// The required mark is decoration: the input says `required` itself.
const mark = () => el('span', { class: 'required', 'aria-hidden': 'true', text: ' *' });

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

export class FormView {
  // record.data holds the answers and is updated in place; onChange(record) after each edit.
  constructor(container, definition, record, { language, pcodes = {}, onChange = () => {} } = {}) {
    this.container = container;
    this.definition = definition;
    this.record = record;
    this.record.data = this.record.data || {};
    this.language = language || definition.default_language;
    this.pcodes = pcodes; // level -> Set of known P-codes (empty object: not checked)
    this.onChange = onChange;
    this.showAll = false;
    this.touched = new Set(); // paths edited here: their problems show as they type
    this.repeats = new Map(); // question name inside a repeat -> the repeat question
    this.calculates = [];
    this.index(definition.questions, null);
    container.addEventListener('input', (e) => this.edited(e));
    container.addEventListener('change', (e) => this.edited(e));
  }

  index(questions, repeat) {
    for (const q of questions) {
      if (repeat) this.repeats.set(q.name, repeat);
      if (q.type === 'calculate' && q.calculation && !repeat) this.calculates.push(q);
      if (q.children) this.index(q.children, q.type === 'repeat' ? q : repeat);
    }
  }

  text(texts) {
    if (!texts) return '';
    if (typeof texts === 'string') return texts;
    return texts[this.language] ?? texts[this.definition.default_language] ?? Object.values(texts)[0] ?? '';
  }

  // ---- evaluation -------------------------------------------------------------------------

  scope(row) {
    const data = this.record.data;
    return {
      value: (name) => {
        if (row && this.repeats.has(name)) return row[name];
        return data[name];
      },
      values: (name) => {
        const repeat = this.repeats.get(name);
        if (repeat) return (data[repeat.name] || []).map((r) => r[name]);
        const value = data[name];
        return Array.isArray(value) ? value : [value];
      },
    };
  }

  recalculate() {
    const scope = this.scope(null);
    for (const q of this.calculates) {
      const value = toString(compile(q.calculation, '')(scope, undefined));
      if (value === '' || value === 'NaN') delete this.record.data[q.name];
      else this.record.data[q.name] = value;
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  render() {
    this.nodes = [];
    this.recalculate();
    this.container.replaceChildren(
      el('div', { class: 'server-summary', role: 'alert', hidden: true }),
      ...this.build(this.definition.questions, null, null, '', null),
    );
    this.summary = this.container.firstChild;
    this.refresh();
    this.showServerErrors(this.record.server_errors || []);
  }

  build(questions, row, rowIndex, prefix, parentNode) {
    const out = [];
    for (const q of questions) {
      const built = this.buildOne(q, row, rowIndex, prefix, parentNode);
      if (built) out.push(built);
    }
    return out;
  }

  register(q, element, row, path, parentNode, extra = {}) {
    const node = { q, element, row, path, parent: parentNode, relevant: true, ...extra };
    this.nodes.push(node);
    element.dataset.path = path;
    return node;
  }

  buildOne(q, row, rowIndex, prefix, parentNode) {
    const path = prefix + q.name;
    if (q.type === 'group') {
      if (q.name === 'meta') return null;
      const box = el('fieldset', { class: 'group' }, el('legend', { text: this.text(q.label) || q.name }));
      const node = this.register(q, box, row, path, parentNode, { kind: 'group' });
      box.append(...this.build(q.children || [], row, rowIndex, prefix, node));
      return box;
    }
    if (q.type === 'repeat') return this.buildRepeat(q, path, parentNode);
    if (q.type === 'note') {
      const note = el('p', { class: 'note', text: this.text(q.label) });
      this.register(q, note, row, path, parentNode, { kind: 'note' });
      return note;
    }
    if (q.type === 'calculate' || METADATA.has(q.type)) return null;
    return this.buildField(q, row, path, parentNode);
  }

  buildRepeat(q, path, parentNode) {
    const label = this.text(q.label) || q.name;
    const rows = el('div', { class: 'rows' });
    const error = el('p', { class: 'error repeat-error', 'aria-live': 'polite' });
    const section = el('section', { class: 'repeat', 'aria-label': label }, el('h3', { text: label }), error, rows);
    const node = this.register(q, section, null, path, parentNode, { kind: 'repeat', error });
    const data = this.record.data;
    (data[q.name] || []).forEach((r, i) => {
      const rowBox = el(
        'fieldset',
        { class: 'row' },
        el('legend', { text: `${label} ${i + 1}` }),
        ...this.build(q.children || [], r, i, `${q.name}.${i}.`, node),
        el('button', {
          type: 'button',
          class: 'secondary',
          text: `Remove ${label} ${i + 1}`,
          onclick: () => {
            data[q.name].splice(i, 1);
            this.changed();
            this.render();
          },
        }),
      );
      rows.append(rowBox);
    });
    section.append(
      el('button', {
        type: 'button',
        class: 'secondary add-row',
        text: `Add ${label}`,
        onclick: () => {
          (data[q.name] = data[q.name] || []).push({});
          this.changed();
          this.render();
          const boxes = this.container.querySelectorAll(`[data-path="${q.name}"] .row`);
          boxes[boxes.length - 1]?.querySelector('input, select, textarea')?.focus();
        },
      }),
    );
    return section;
  }

  buildField(q, row, path, parentNode) {
    const id = `q${++nextId}`;
    const label = this.text(q.label) || q.name;
    const required = q.required === true;
    const hint = this.text(q.hint);
    const hintEl = hint ? el('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null;
    const error = el('p', { class: 'error', id: `${id}-error`, 'aria-live': 'polite' });
    const described = [hintEl && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
    const store = row || this.record.data;
    const value = store[q.name];
    let control;
    let wrapper;
    if (CHOICE_TYPES.has(q.type) && q.choices) {
      const multiple = q.type === 'select_multiple';
      const chosen = multiple ? new Set(value || []) : new Set(isEmpty(value) ? [] : [value]);
      const options = q.choices.map((choice, i) =>
        el(
          'label',
          { class: 'choice' },
          el('input', {
            type: multiple ? 'checkbox' : 'radio',
            name: id,
            id: `${id}-${i}`,
            value: choice.name,
            checked: chosen.has(choice.name),
          }),
          el('span', { text: this.text(choice.label) || choice.name }),
        ),
      );
      wrapper = el(
        'fieldset',
        { class: 'q choices', 'aria-describedby': described },
        el('legend', {}, label, required ? mark() : null),
        hintEl,
        el('div', { class: 'options' }, options),
        error,
      );
    } else if (q.type === 'geopoint') {
      const v = value || {};
      const part = (name, text, extra) =>
        el(
          'label',
          { class: 'part' },
          el('span', { text }),
          el('input', { type: 'number', step: 'any', inputmode: 'decimal', 'data-part': name, value: v[name] ?? '', ...extra }),
        );
      const status = el('span', { class: 'gps-status', 'aria-live': 'polite', text: v.accuracy != null ? `Accuracy ${v.accuracy} m` : '' });
      wrapper = el(
        'fieldset',
        { class: 'q geopoint', 'aria-describedby': described },
        el('legend', {}, label, required ? mark() : null),
        hintEl,
        el('button', { type: 'button', class: 'secondary', text: 'Use GPS', onclick: () => this.captureGps(wrapper, status) }),
        status,
        el('div', { class: 'parts' }, part('lat', 'Latitude', { min: -90, max: 90 }), part('lon', 'Longitude', { min: -180, max: 180 }), part('accuracy', 'Accuracy (m)', { min: 0 })),
        error,
      );
    } else {
      const attrs = { id, name: path, 'aria-describedby': described, required: required || undefined };
      if (q.type === 'integer') Object.assign(attrs, { type: 'number', step: 1, inputmode: 'numeric' });
      else if (q.type === 'decimal' || q.type === 'range') Object.assign(attrs, { type: 'number', step: 'any', inputmode: 'decimal' });
      else if (q.type === 'date') attrs.type = 'date';
      else if (q.type === 'time') attrs.type = 'time';
      else if (q.type === 'datetime') attrs.type = 'datetime-local';
      else if (q.appearance === 'numbers') Object.assign(attrs, { type: 'tel', inputmode: 'tel' });
      else attrs.type = 'text';
      if (q.read_only) attrs.readonly = true;
      if (q.pcode_level) attrs.list = `pcodes-${q.pcode_level}`;
      if (!INPUT_TYPES.has(q.type) && q.type !== 'select_one' && q.type !== 'select_multiple') {
        attrs.placeholder = `(${q.type} answers are typed as text here)`;
      }
      control =
        q.appearance === 'multiline'
          ? el('textarea', { ...attrs, type: undefined, rows: 3 })
          : el('input', attrs);
      control.value = isEmpty(value) ? '' : Array.isArray(value) ? value.join(' ') : String(value);
      wrapper = el(
        'div',
        { class: 'q' },
        el('label', { for: id, text: label }),
        required ? mark() : null,
        hintEl,
        control,
        error,
      );
    }
    this.register(q, wrapper, row, path, parentNode, { kind: 'field', error, control, store });
    return wrapper;
  }

  captureGps(wrapper, status) {
    if (!('geolocation' in navigator)) {
      status.textContent = 'No GPS on this device: type the coordinates.';
      return;
    }
    status.textContent = 'Finding position…';
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const set = (name, v) => {
          wrapper.querySelector(`[data-part="${name}"]`).value = v;
        };
        set('lat', pos.coords.latitude.toFixed(6));
        set('lon', pos.coords.longitude.toFixed(6));
        set('accuracy', Math.round(pos.coords.accuracy * 10) / 10);
        status.textContent = `Accuracy ${Math.round(pos.coords.accuracy * 10) / 10} m`;
        wrapper.querySelector('[data-part="lat"]').dispatchEvent(new Event('change', { bubbles: true }));
      },
      (error) => {
        status.textContent = `No position (${error.message}): type the coordinates.`;
      },
      { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 },
    );
  }

  // ---- reading answers --------------------------------------------------------------------

  read(node) {
    const { q, element } = node;
    node.typeError = null;
    if (q.type === 'select_multiple' && q.choices) {
      const picked = [...element.querySelectorAll('input:checked')].map((i) => i.value);
      return picked.length ? picked : undefined;
    }
    if (q.type === 'select_one' && q.choices) {
      return element.querySelector('input:checked')?.value;
    }
    if (q.type === 'geopoint') {
      const parts = {};
      for (const input of element.querySelectorAll('[data-part]')) {
        if (input.value !== '') parts[input.dataset.part] = Number(input.value);
        if (input.validity.badInput) node.typeError = 'Enter numbers for the coordinates.';
      }
      if (parts.lat === undefined && parts.lon === undefined) return undefined;
      if (parts.lat === undefined || parts.lon === undefined) node.typeError = 'Enter both latitude and longitude.';
      return parts;
    }
    const input = node.control;
    if (input.validity?.badInput) {
      node.typeError = 'Enter a number.';
      return undefined;
    }
    const raw = input.value;
    if (raw.trim() === '') return undefined;
    if (q.type === 'integer') {
      const n = Number(raw);
      if (!Number.isInteger(n)) node.typeError = 'Enter a whole number.';
      return n;
    }
    if (q.type === 'decimal' || q.type === 'range') return Number(raw);
    return raw;
  }

  edited(event) {
    const wrapper = event.target.closest('[data-path]');
    const node = wrapper && this.nodes.find((n) => n.element === wrapper);
    if (!node || node.kind !== 'field') return;
    const value = this.read(node);
    if (isEmpty(value)) delete node.store[node.q.name];
    else node.store[node.q.name] = value;
    this.touched.add(node.path);
    node.serverError = null;
    this.record.server_errors = (this.record.server_errors || []).filter((e) => e.field !== node.path);
    this.changed();
  }

  changed() {
    this.recalculate();
    this.refresh();
    this.onChange(this.record);
  }

  // ---- relevance and checks ---------------------------------------------------------------

  refresh() {
    for (const node of this.nodes) {
      const own = node.q.relevant ? toBool(compile(node.q.relevant, true)(this.scope(node.row), undefined)) : true;
      node.relevant = (node.parent ? node.parent.relevant : true) && own;
      node.element.hidden = !node.relevant;
      if (node.kind === 'field') this.check(node);
      if (node.kind === 'repeat') node.error.textContent = node.serverError || '';
    }
    this.updateSummary();
  }

  check(node) {
    const { q } = node;
    const value = node.store[q.name];
    let message = null;
    if (node.relevant) {
      const scope = this.scope(node.row);
      if (node.typeError) message = node.typeError;
      else if (isEmpty(value)) {
        const required = typeof q.required === 'string' ? toBool(compile(q.required, false)(scope, value)) : q.required;
        if (required) message = this.text(q.required_message) || 'This answer is required.';
      } else {
        if (q.constraint && !toBool(compile(q.constraint, true)(scope, value))) {
          message = this.text(q.constraint_message) || `This answer does not meet the form's rule: ${q.constraint}`;
        }
        const known = q.pcode_level && this.pcodes[q.pcode_level];
        if (!message && known && known.size && !known.has(String(value))) {
          message = `${value} is not a known admin level ${q.pcode_level} P-code.`;
        }
      }
    }
    node.clientError = message;
    const shown = node.serverError || ((this.touched.has(node.path) || this.showAll) && message) || '';
    node.error.textContent = shown;
    node.element.classList.toggle('invalid', Boolean(shown));
    const inputs = node.control ? [node.control] : node.element.querySelectorAll('input');
    for (const input of inputs) input.setAttribute('aria-invalid', shown ? 'true' : 'false');
  }

  // Errors that stop finalizing, in form order: [{path, message}].
  problems() {
    this.showAll = true;
    this.refresh();
    return this.nodes
      .filter((n) => n.kind === 'field' && n.relevant && n.clientError)
      .map((n) => ({ path: n.path, message: n.clientError, node: n }));
  }

  focusFirstProblem() {
    const first = this.nodes.find((n) => n.element.classList.contains('invalid') && !n.element.hidden);
    first?.element.querySelector('input, select, textarea')?.focus();
    first?.element.scrollIntoView({ block: 'center' });
  }

  // The server's reasons (`{field, rule, message}`, field like "origins.0.origin_individuals"),
  // each shown next to its question; any that match no question go to the summary at the top.
  showServerErrors(errors) {
    const loose = [];
    for (const error of errors) {
      const node = this.nodes.find((n) => n.path === error.field && (n.kind === 'field' || n.kind === 'repeat'));
      if (node) node.serverError = error.message;
      else loose.push(error);
    }
    this.looseErrors = loose;
    this.refresh();
  }

  updateSummary() {
    if (!this.summary) return;
    const remaining = this.nodes.filter((n) => n.serverError).length + (this.looseErrors || []).length;
    this.summary.hidden = remaining === 0;
    this.summary.replaceChildren(
      el('strong', { text: `The server did not accept this record (${remaining} problem${remaining === 1 ? '' : 's'}): fix the answers marked below and finalize again.` }),
      ...(this.looseErrors || []).map((e) => el('p', { text: `${e.field}: ${e.message}` })),
    );
  }

  // The answers as the server should get them: only relevant, answered questions.
  submission() {
    this.recalculate();
    this.refresh();
    const relevant = new Map(this.nodes.map((n) => [n.path, n.relevant]));
    const clean = (questions, source, prefix) => {
      const out = {};
      for (const q of questions) {
        const path = prefix + q.name;
        if (relevant.get(path) === false) continue;
        if (q.type === 'group') Object.assign(out, clean(q.children || [], source, prefix));
        else if (q.type === 'repeat') {
          const rows = (source[q.name] || []).map((r, i) => clean(q.children || [], r, `${q.name}.${i}.`));
          const kept = rows.filter((r) => Object.keys(r).length);
          if (kept.length) out[q.name] = kept;
        } else if (q.type !== 'note' && !isEmpty(source[q.name])) out[q.name] = source[q.name];
      }
      return out;
    };
    return clean(this.definition.questions, this.record.data, '');
  }
}
