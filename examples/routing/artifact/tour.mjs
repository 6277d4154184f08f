// A travelling-salesman heuristic: a construction rule, a local search (2-opt and/or Or-opt over
// candidate lists of near neighbours), and an iterated local search (kicks, acceptance).
// tour(config, cities, seed) returns a permutation of the city indices.

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

const dist = (c, i, j) => Math.hypot(c[i][0] - c[j][0], c[i][1] - c[j][1]);

// A deterministic effort budget per instance (candidate moves looked at), so that a run's cost does
// not depend on the machine: local search and kicks stop when it is spent.
const EFFORT = 600_000;
let effort = 0;

/** Length of a closed tour. */
export function tourLength(cities, order) {
  let total = 0;
  for (let k = 0; k < order.length; k += 1) total += dist(cities, order[k], order[(k + 1) % order.length]);
  return total;
}

function construct(cities, rule, rand) {
  const n = cities.length;
  const idx = cities.map((_, i) => i);
  if (rule === 'random') {
    for (let i = n - 1; i > 0; i -= 1) { const j = Math.floor(rand() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
    return idx;
  }
  if (rule === 'sweep') {
    const cx = cities.reduce((s, c) => s + c[0], 0) / n;
    const cy = cities.reduce((s, c) => s + c[1], 0) / n;
    return idx.sort((a, b) => Math.atan2(cities[a][1] - cy, cities[a][0] - cx) - Math.atan2(cities[b][1] - cy, cities[b][0] - cx));
  }
  if (rule === 'nearest') {
    const used = new Array(n).fill(false);
    const order = [Math.floor(rand() * n)];
    used[order[0]] = true;
    while (order.length < n) {
      const last = order.at(-1);
      let best = -1;
      for (let j = 0; j < n; j += 1) if (!used[j] && (best < 0 || dist(cities, last, j) < dist(cities, last, best))) best = j;
      used[best] = true;
      order.push(best);
    }
    return order;
  }
  // Farthest insertion: the city farthest from the tour goes where it lengthens the tour least.
  const inTour = new Array(n).fill(false);
  const near = new Array(n).fill(Infinity);
  const order = [Math.floor(rand() * n)];
  inTour[order[0]] = true;
  for (let j = 0; j < n; j += 1) near[j] = dist(cities, order[0], j);
  while (order.length < n) {
    let far = -1;
    for (let j = 0; j < n; j += 1) if (!inTour[j] && (far < 0 || near[j] > near[far])) far = j;
    let at = 0;
    let bestDelta = Infinity;
    for (let k = 0; k < order.length; k += 1) {
      const a = order[k];
      const b = order[(k + 1) % order.length];
      const delta = dist(cities, a, far) + dist(cities, far, b) - dist(cities, a, b);
      if (delta < bestDelta) { bestDelta = delta; at = k + 1; }
    }
    order.splice(at, 0, far);
    inTour[far] = true;
    for (let j = 0; j < n; j += 1) near[j] = Math.min(near[j], dist(cities, far, j));
  }
  return order;
}

function neighbourLists(cities, k) {
  return cities.map((_, i) => cities.map((_, j) => j).filter((j) => j !== i).sort((a, b) => dist(cities, i, a) - dist(cities, i, b)).slice(0, k));
}

function reverse(order, pos, i, j) {
  // Reverses order[i..j] (i < j) and keeps `pos` in step.
  while (i < j) {
    const a = order[i];
    const b = order[j];
    order[i] = b; pos[b] = i;
    order[j] = a; pos[a] = j;
    i += 1; j -= 1;
  }
}

/** 2-opt over candidate lists; returns whether the tour changed. */
function twoOpt(cities, order, pos, neighbours, firstImprovement) {
  const n = order.length;
  let changedAny = false;
  let improved = true;
  while (improved && effort < EFFORT) {
    improved = false;
    for (let i = 0; i < n; i += 1) {
      const a = order[i];
      const b = order[(i + 1) % n];
      let best = null;
      let bestGain = 1e-10;
      effort += neighbours[a].length;
      for (const c of neighbours[a]) {
        const g1 = dist(cities, a, b) - dist(cities, a, c);
        if (g1 <= 0) break;
        const j = pos[c];
        const d = order[(j + 1) % n];
        if (c === b || d === a) continue;
        const gain = g1 + dist(cities, c, d) - dist(cities, b, d);
        if (gain > bestGain) { bestGain = gain; best = j; if (firstImprovement) break; }
      }
      if (best !== null) {
        const j = best;
        if (i < j) reverse(order, pos, i + 1, j);
        else reverse(order, pos, j + 1, i);
        improved = true;
        changedAny = true;
      }
    }
  }
  return changedAny;
}

/** Or-opt: moves segments of 1–3 cities next to a near neighbour (either direction). */
function orOpt(cities, order, pos, neighbours) {
  const n = order.length;
  let changedAny = false;
  let improved = true;
  while (improved && effort < EFFORT) {
    improved = false;
    for (let len = 1; len <= 3 && !improved; len += 1) {
      for (let i = 0; i < n && !improved; i += 1) {
        const seg = Array.from({ length: len }, (_, k) => order[(i + k) % n]);
        const prev = order[(i - 1 + n) % n];
        const next = order[(i + len) % n];
        const removeGain = dist(cities, prev, seg[0]) + dist(cities, seg.at(-1), next) - dist(cities, prev, next);
        effort += neighbours[seg[0]].length;
        for (const c of neighbours[seg[0]]) {
          if (seg.includes(c)) continue;
          const d = order[(pos[c] + 1) % n];
          if (seg.includes(d)) continue;
          const forward = dist(cities, c, seg[0]) + dist(cities, seg.at(-1), d) - dist(cities, c, d);
          const backward = dist(cities, c, seg.at(-1)) + dist(cities, seg[0], d) - dist(cities, c, d);
          if (removeGain - Math.min(forward, backward) > 1e-10) {
            const piece = forward <= backward ? seg : [...seg].reverse();
            const rest = order.filter((x) => !seg.includes(x));
            const at = rest.indexOf(c) + 1;
            rest.splice(at, 0, ...piece);
            rest.forEach((x, k) => { order[k] = x; pos[x] = k; });
            improved = true;
            changedAny = true;
            break;
          }
        }
      }
    }
  }
  return changedAny;
}

function localSearch(cities, order, neighbours, config) {
  const pos = new Array(order.length);
  order.forEach((x, k) => { pos[x] = k; });
  if (config.local === 'none') return;
  for (let round = 0; round < 20; round += 1) {
    const a = config.local.includes('2opt') ? twoOpt(cities, order, pos, neighbours, config.firstImprovement) : false;
    const b = config.local.includes('oropt') ? orOpt(cities, order, pos, neighbours) : false;
    if (!a && !b) return;
    if (config.local === '2opt' || config.local === 'oropt') return;
  }
}

function kick(order, kind, size, rand) {
  const n = order.length;
  if (kind === 'double-bridge') {
    // Four segments A B C D → A C B D, cut points within `size` positions of a random start.
    const s = Math.floor(rand() * n);
    const rot = [...order.slice(s), ...order.slice(0, s)];
    const span = Math.min(n - 1, Math.max(3, size * 3));
    const cuts = [1 + Math.floor(rand() * (span - 2)), 0, 0];
    cuts[1] = cuts[0] + 1 + Math.floor(rand() * Math.max(1, span - cuts[0] - 1));
    cuts[2] = Math.min(n - 1, cuts[1] + 1 + Math.floor(rand() * Math.max(1, span - cuts[1])));
    return [...rot.slice(0, cuts[0]), ...rot.slice(cuts[1], cuts[2]), ...rot.slice(cuts[0], cuts[1]), ...rot.slice(cuts[2])];
  }
  // Segment shuffle: `size` random cities swapped among themselves.
  const next = [...order];
  for (let k = 0; k < size; k += 1) {
    const i = Math.floor(rand() * n);
    const j = Math.floor(rand() * n);
    [next[i], next[j]] = [next[j], next[i]];
  }
  return next;
}

export function tour(config, cities, seed) {
  const rand = mulberry32(seed * 7919 + 13);
  effort = 0;
  const neighbours = neighbourLists(cities, config.neighbours);
  let current = construct(cities, config.construction, rand);
  localSearch(cities, current, neighbours, config);
  let currentLength = tourLength(cities, current);
  let best = current;
  let bestLength = currentLength;
  if (config.perturbation === 'none') return best;
  for (let k = 0; k < config.kicks && effort < EFFORT; k += 1) {
    const next = kick(current, config.perturbation, config.kickSize, rand);
    localSearch(cities, next, neighbours, config);
    const length = tourLength(cities, next);
    if (length < currentLength || length < bestLength * (1 + config.acceptWorse)) {
      current = next;
      currentLength = length;
    }
    if (length < bestLength) { best = next; bestLength = length; }
  }
  return best;
}
