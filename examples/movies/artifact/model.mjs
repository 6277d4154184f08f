// The training recipe: features from a film's row (money on a raw or log scale, missing values,
// categories), then a linear model or a one-hidden-layer network trained by mini-batch SGD with L2
// weight decay and a squared or Huber loss. train(config, rows, seed) returns predict(row) → rating.

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

const NUMERIC = [0, 1, 2, 3, 4, 5, 6]; // usGross, worldwideGross, budget, year, runningTime, rottenTomatoes, imdbVotes
const MONEY = new Set([0, 1, 2, 6]);
const CATEGORICAL = [7, 8, 9, 10]; // mpaa, genre, source, creativeType

/** Fits the feature encoding on the training rows; returns encode(row) → number[]. */
function featurizer(config, rows, labels) {
  const raw = (row, c) => {
    const v = row[c];
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    return config.logMoney && MONEY.has(c) ? Math.log1p(Math.max(0, v)) : v;
  };
  const means = NUMERIC.map((c) => {
    const present = rows.map((r) => raw(r, c)).filter((v) => v !== null);
    return present.reduce((a, b) => a + b, 0) / Math.max(1, present.length);
  });
  const labelMean = labels.reduce((a, b) => a + b, 0) / labels.length;
  const levels = CATEGORICAL.map((c) => {
    const stats = new Map();
    rows.forEach((r, i) => {
      const key = String(r[c]);
      const s = stats.get(key) ?? { n: 0, sum: 0 };
      s.n += 1;
      s.sum += labels[i];
      stats.set(key, s);
    });
    return stats;
  });
  const encodeRaw = (row) => {
    const out = [];
    NUMERIC.forEach((c, k) => {
      const v = raw(row, c);
      if (config.missing === 'zero') out.push(v ?? 0);
      else out.push(v ?? means[k]);
      if (config.missing === 'indicator') out.push(v === null ? 1 : 0);
    });
    CATEGORICAL.forEach((c, k) => {
      const key = String(row[c]);
      if (config.categorical === 'onehot') for (const level of levels[k].keys()) out.push(level === key ? 1 : 0);
      if (config.categorical === 'target') {
        // Smoothed mean rating of the category in the training rows (10 films of prior weight).
        const s = levels[k].get(key) ?? { n: 0, sum: 0 };
        out.push((s.sum + 10 * labelMean) / (s.n + 10));
      }
    });
    return out;
  };
  const encoded = rows.map(encodeRaw);
  const d = encoded[0].length;
  const mu = new Array(d).fill(0);
  const sd = new Array(d).fill(1);
  if (config.standardize) {
    for (let j = 0; j < d; j += 1) {
      mu[j] = encoded.reduce((a, x) => a + x[j], 0) / encoded.length;
      sd[j] = Math.sqrt(encoded.reduce((a, x) => a + (x[j] - mu[j]) ** 2, 0) / encoded.length) || 1;
    }
  }
  return (row) => encodeRaw(row).map((v, j) => (v - mu[j]) / sd[j]);
}

export function train(config, rows, seed) {
  const rand = mulberry32(seed * 7919 + 17);
  const labels = rows.map((r) => r[r.length - 1]);
  const encode = featurizer(config, rows, labels);
  const X = rows.map(encode);
  const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
  const Y = labels.map((y) => y - mean);
  const d = X[0].length;
  const h = config.model === 'mlp' ? config.hiddenUnits : 0;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const W1 = Array.from({ length: h }, () => Array.from({ length: d }, () => gauss() * Math.sqrt(2 / d)));
  const b1 = new Array(h).fill(0);
  const w = Array.from({ length: h || d }, () => (h ? gauss() * Math.sqrt(1 / h) : 0));
  let b = 0;
  const hidden = (x) => W1.map((row, k) => Math.max(0, row.reduce((a, wj, j) => a + wj * x[j], b1[k])));
  const forward = (x) => {
    const z = h ? hidden(x) : x;
    return { z, y: z.reduce((a, v, k) => a + v * w[k], b) };
  };
  const order = X.map((_, i) => i);
  const lr = config.learningRate;
  for (let epoch = 0; epoch < config.epochs; epoch += 1) {
    for (let i = order.length - 1; i > 0; i -= 1) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += config.batchSize) {
      const batch = order.slice(start, start + config.batchSize);
      const gw = new Array(w.length).fill(0);
      const gW1 = h ? W1.map((r) => new Array(r.length).fill(0)) : [];
      const gb1 = new Array(h).fill(0);
      let gb = 0;
      for (const i of batch) {
        const { z, y } = forward(X[i]);
        const err = y - Y[i];
        const g = config.loss === 'huber' ? Math.max(-1, Math.min(1, err)) : err;
        gb += g;
        for (let k = 0; k < w.length; k += 1) gw[k] += g * z[k];
        if (h) {
          for (let k = 0; k < h; k += 1) {
            if (z[k] <= 0) continue;
            const gk = g * w[k];
            gb1[k] += gk;
            const x = X[i];
            for (let j = 0; j < d; j += 1) gW1[k][j] += gk * x[j];
          }
        }
      }
      const m = batch.length;
      for (let k = 0; k < w.length; k += 1) w[k] -= lr * (gw[k] / m + config.l2 * w[k]);
      b -= (lr * gb) / m;
      for (let k = 0; k < h; k += 1) {
        b1[k] -= (lr * gb1[k]) / m;
        for (let j = 0; j < d; j += 1) W1[k][j] -= lr * (gW1[k][j] / m + config.l2 * W1[k][j]);
      }
    }
  }
  return (row) => {
    const y = forward(encode(row)).y + mean;
    // A diverged model falls back to the mean rating; ratings live on 1..10.
    return Number.isFinite(y) ? Math.min(10, Math.max(1, y)) : mean;
  };
}
