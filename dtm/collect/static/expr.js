// The XPath subset XLSForms use in relevant, constraint, required and calculation, evaluated
// in the browser with the same coercions as the server's forms/expressions.py (an unanswered
// question is the empty string; "<" compares numbers and ISO dates as days since 1970; "="
// compares as numbers when either side is a number). Expressions compile once into closures
// called as fn(scope, dot); scope.value(name) reads an answer, scope.values(name) the list of a
// repeat question's answers (for sum() and count()).

const TOKEN =
  /\s*(?:\$\{([^}]*)\}|\.\.\/([A-Za-z_][\w\-.]*)|(\d+(?:\.\d*)?|\.\d+)|'([^']*)'|"([^"]*)"|(!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)|(\.)|([A-Za-z_][\w\-.]*(?::[A-Za-z_][\w\-.]*)?))/y;
const WORD_OPS = new Set(['and', 'or', 'div', 'mod']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

export function toNumber(v) {
  if (typeof v === 'number') return v;
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v)) v = v.join(' ');
  else if (typeof v === 'object') return NaN;
  const s = String(v).trim();
  if (!s) return NaN;
  const n = Number(s);
  if (!Number.isNaN(n)) return n;
  if (ISO_DATE.test(s)) {
    const t = Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10));
    return Number.isNaN(t) ? NaN : Math.round(t / 86400000);
  }
  return NaN;
}

export function toString(v) {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (Array.isArray(v)) return v.map(toString).join(' ');
  if (typeof v === 'object') {
    return [v.lat, v.lon, v.altitude ?? 0, v.accuracy ?? 0].map(toString).join(' ');
  }
  return String(v);
}

export function toBool(v) {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  return true;
}

const isEmpty = (x) => x === null || x === undefined || x === '' || (Array.isArray(x) && !x.length);
const selectedList = (v) => (Array.isArray(v) ? v : toString(v).split(/\s+/).filter(Boolean));

function equal(x, y) {
  if (typeof x === 'boolean' || typeof y === 'boolean') return toBool(x) === toBool(y);
  if (typeof x === 'number' || typeof y === 'number') return toNumber(x) === toNumber(y);
  return toString(x) === toString(y);
}

function localToday() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const FUNCTIONS = {
  not: (x) => !toBool(x),
  true: () => true,
  false: () => false,
  boolean: toBool,
  number: toNumber,
  string: toString,
  int: (x) => {
    const n = toNumber(x);
    return Number.isFinite(n) ? Math.trunc(n) : n;
  },
  round: (x, p = 0) => {
    const f = 10 ** Math.trunc(toNumber(p));
    return Math.floor(toNumber(x) * f + 0.5) / f;
  },
  abs: (x) => Math.abs(toNumber(x)),
  'string-length': (x) => toString(x).length,
  concat: (...xs) => xs.map(toString).join(''),
  contains: (a, b) => toString(a).includes(toString(b)),
  'starts-with': (a, b) => toString(a).startsWith(toString(b)),
  'ends-with': (a, b) => toString(a).endsWith(toString(b)),
  selected: (a, b) => selectedList(a).includes(toString(b).trim()),
  'count-selected': (a) => selectedList(a).length,
  today: localToday,
  coalesce: (a, b) => (toString(a) !== '' ? a : b),
  if: (c, a, b) => (toBool(c) ? a : b),
  regex: (v, p) => {
    try {
      return new RegExp(toString(p)).test(toString(v));
    } catch (_) {
      return false;
    }
  },
};
const NODESET_FUNCTIONS = {
  sum: (values) => values.reduce((t, v) => (isEmpty(v) ? t : t + toNumber(v)), 0),
  count: (values) => values.length,
};

function tokenize(text) {
  const tokens = [];
  const end = text.trimEnd().length;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < end) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m || TOKEN.lastIndex === start) throw new Error(`unexpected text at ${start}`);
    if (m[1] !== undefined) tokens.push(['ref', m[1]]);
    else if (m[2] !== undefined) tokens.push(['ref', m[2]]);
    else if (m[3] !== undefined) tokens.push(['num', Number(m[3])]);
    else if (m[4] !== undefined) tokens.push(['str', m[4]]);
    else if (m[5] !== undefined) tokens.push(['str', m[5]]);
    else if (m[6] !== undefined) tokens.push(['op', m[6]]);
    else if (m[7] !== undefined) tokens.push(['dot', '.']);
    else if (WORD_OPS.has(m[8])) tokens.push(['op', m[8]]);
    else tokens.push(['name', m[8]]);
  }
  tokens.push(['end', null]);
  return tokens;
}

// Recursive descent over the tokens; each rule returns a closure (scope, dot) -> value.
// `ref` closures carry .ref = name so sum() and count() can ask for the whole column.
function parse(text) {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];
  const isOp = (...ops) => peek()[0] === 'op' && ops.includes(peek()[1]);
  const binary = (ops, sub, make) => {
    let left = sub();
    while (isOp(...ops)) {
      const op = take()[1];
      const right = sub();
      left = make(op, left, right);
    }
    return left;
  };
  const orExpr = () =>
    binary(['or'], andExpr, (_, a, b) => (s, d) => toBool(a(s, d)) || toBool(b(s, d)));
  const andExpr = () =>
    binary(['and'], equality, (_, a, b) => (s, d) => toBool(a(s, d)) && toBool(b(s, d)));
  const equality = () =>
    binary(['=', '!='], relational, (op, a, b) => {
      const emptyTest = b.constant === '';
      const test = emptyTest ? (s, d) => isEmpty(a(s, d)) : (s, d) => equal(a(s, d), b(s, d));
      return op === '=' ? test : (s, d) => !test(s, d);
    });
  const RELATIONS = {
    '<': (x, y) => x < y,
    '<=': (x, y) => x <= y,
    '>': (x, y) => x > y,
    '>=': (x, y) => x >= y,
  };
  const relational = () =>
    binary(['<', '<=', '>', '>='], additive, (op, a, b) => (s, d) =>
      RELATIONS[op](toNumber(a(s, d)), toNumber(b(s, d))),
    );
  const ARITHMETIC = {
    '+': (x, y) => x + y,
    '-': (x, y) => x - y,
    '*': (x, y) => x * y,
    div: (x, y) => x / y,
    mod: (x, y) => x % y,
  };
  const arithmetic = (op, a, b) => (s, d) => ARITHMETIC[op](toNumber(a(s, d)), toNumber(b(s, d)));
  const additive = () => binary(['+', '-'], multiplicative, arithmetic);
  const multiplicative = () => binary(['*', 'div', 'mod'], unary, arithmetic);
  const unary = () => {
    if (isOp('-')) {
      take();
      const inner = unary();
      return (s, d) => -toNumber(inner(s, d));
    }
    return primary();
  };
  const primary = () => {
    const [kind, value] = take();
    if (kind === 'num' || kind === 'str') {
      const constant = () => value;
      constant.constant = value;
      return constant;
    }
    if (kind === 'dot') return (s, d) => d;
    if (kind === 'ref') {
      const read = (s) => s.value(value);
      read.ref = value;
      return read;
    }
    if (kind === 'op' && value === '(') {
      const inner = orExpr();
      expect(')');
      return inner;
    }
    if (kind === 'name' && isOp('(')) {
      take();
      const args = [];
      if (!isOp(')')) {
        args.push(orExpr());
        while (isOp(',')) {
          take();
          args.push(orExpr());
        }
      }
      expect(')');
      if (NODESET_FUNCTIONS[value]) {
        const fn = NODESET_FUNCTIONS[value];
        const arg = args[0];
        return (s, d) => fn(arg.ref ? s.values(arg.ref) : [arg(s, d)]);
      }
      const fn = FUNCTIONS[value];
      if (!fn) throw new Error(`function ${value}() is not supported`);
      return (s, d) => fn(...args.map((a) => a(s, d)));
    }
    throw new Error(`unexpected ${value ?? kind}`);
  };
  const expect = (op) => {
    const [kind, value] = take();
    if (kind !== 'op' || value !== op) throw new Error(`expected ${op}`);
  };
  const compiled = orExpr();
  if (peek()[0] !== 'end') throw new Error(`unexpected ${peek()[1]}`);
  return compiled;
}

const cache = new Map();

// Compile `text` once; a broken expression never stops the form: it evaluates to `fallback`.
export function compile(text, fallback = true) {
  const key = `${fallback}\u0000${text}`;
  if (!cache.has(key)) {
    let fn;
    try {
      const inner = parse(text);
      fn = (scope, dot) => {
        try {
          return inner(scope, dot);
        } catch (_) {
          return fallback;
        }
      };
    } catch (error) {
      console.warn('expression not understood, treated as', fallback, text, error);
      fn = () => fallback;
    }
    cache.set(key, fn);
  }
  return cache.get(key);
}
