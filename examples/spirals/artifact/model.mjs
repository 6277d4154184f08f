// A one-hidden-layer network trained with mini-batch SGD and L2 weight decay.
// train(config, rows, seed) returns predict(row) → probability of label 1.

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const activations = {
  tanh: { f: Math.tanh, df: (y) => 1 - y * y },
  relu: { f: (x) => (x > 0 ? x : 0), df: (y) => (y > 0 ? 1 : 0) },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), df: (y) => y * (1 - y) },
};

/** Input features of a row [x, y, n1, n2, ...]. */
export function featurize(row, kind) {
  const [x, y, n1, n2] = row;
  if (kind === 'raw') return [x, y, n1, n2];
  if (kind === 'poly2') return [x, y, n1, n2, x * x, y * y, x * y];
  const r = Math.hypot(x, y);
  const a = Math.atan2(y, x);
  return [x, y, n1, n2, r, Math.sin(a), Math.cos(a), Math.sin(a + 3 * Math.PI * r), Math.cos(a + 3 * Math.PI * r)];
}

export function train(config, rows, seed) {
  const rand = mulberry32(seed * 7919 + 17);
  const act = activations[config.activation];
  const X = rows.map((r) => featurize(r, config.features));
  const Y = rows.map((r) => r[r.length - 1]);
  const d = X[0].length;
  const h = config.hiddenUnits;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const W1 = Array.from({ length: h }, () => Array.from({ length: d }, () => gauss() * config.initScale));
  const b1 = new Array(h).fill(0);
  const W2 = Array.from({ length: h }, () => gauss() * config.initScale);
  let b2 = 0;
  const order = X.map((_, i) => i);
  const hidden = new Array(h);
  const forward = (x) => {
    let z = b2;
    for (let j = 0; j < h; j += 1) {
      let s = b1[j];
      const w = W1[j];
      for (let k = 0; k < d; k += 1) s += w[k] * x[k];
      hidden[j] = act.f(s);
      z += W2[j] * hidden[j];
    }
    return 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, z))));
  };
  for (let epoch = 0; epoch < config.epochs; epoch += 1) {
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += config.batchSize) {
      const batch = order.slice(start, start + config.batchSize);
      const gW1 = W1.map((w) => new Array(d).fill(0));
      const gb1 = new Array(h).fill(0);
      const gW2 = new Array(h).fill(0);
      let gb2 = 0;
      for (const i of batch) {
        const x = X[i];
        const err = forward(x) - Y[i];
        gb2 += err;
        for (let j = 0; j < h; j += 1) {
          gW2[j] += err * hidden[j];
          const delta = err * W2[j] * act.df(hidden[j]);
          gb1[j] += delta;
          for (let k = 0; k < d; k += 1) gW1[j][k] += delta * x[k];
        }
      }
      const lr = config.learningRate / batch.length;
      for (let j = 0; j < h; j += 1) {
        W2[j] -= lr * gW2[j] + config.learningRate * config.l2 * W2[j];
        b1[j] -= lr * gb1[j];
        for (let k = 0; k < d; k += 1) W1[j][k] -= lr * gW1[j][k] + config.learningRate * config.l2 * W1[j][k];
      }
      b2 -= lr * gb2;
    }
  }
  return (row) => forward(featurize(row, config.features));
}
